package addrs

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	t.Parallel()
	web := RootModule.Child("web", NoKey)
	tests := map[string]struct {
		in string
		// text is the canonical form ("" means the same as in).
		text string
		want Instance
	}{
		"resource":             {in: "cache.sessions", want: RootModule.Resource("cache", "sessions").Instance(NoKey)},
		"count instance":       {in: "cache.c[10]", want: RootModule.Resource("cache", "c").Instance(IntKey(10))},
		"for_each instance":    {in: `autoscaling_group.svc["orders"]`, want: RootModule.Resource("autoscaling_group", "svc").Instance(StringKey("orders"))},
		"resource in module":   {in: "module.web.load_balancer.edge", want: web.Resource("load_balancer", "edge").Instance(NoKey)},
		"nested modules":       {in: `module.a[0].module.b["x"].cache.c[1]`, want: RootModule.Child("a", IntKey(0)).Child("b", StringKey("x")).Resource("cache", "c").Instance(IntKey(1))},
		"spaces are canonical": {in: `cache.c[ 2 ]`, text: "cache.c[2]", want: RootModule.Resource("cache", "c").Instance(IntKey(2))},
		"leading zeros":        {in: `cache.c[007]`, text: "cache.c[7]", want: RootModule.Resource("cache", "c").Instance(IntKey(7))},
		"escaped key":          {in: `cache.c["eu \"west\"\n"]`, want: RootModule.Resource("cache", "c").Instance(StringKey("eu \"west\"\n"))},
		"brackets in key":      {in: `cache.c["x[\"1"]`, want: RootModule.Resource("cache", "c").Instance(StringKey(`x["1`))},
		"dots in key":          {in: `module.m["a.b"].cache.c`, want: RootModule.Child("m", StringKey("a.b")).Resource("cache", "c").Instance(NoKey)},
		"dashes in names":      {in: "module.my-app.cache.a-b_1", want: RootModule.Child("my-app", NoKey).Resource("cache", "a-b_1").Instance(NoKey)},
		"unicode key":          {in: `cache.c["zoë"]`, want: RootModule.Resource("cache", "c").Instance(StringKey("zoë"))},
		"kind named module":    {in: "cache.module", want: RootModule.Resource("cache", "module").Instance(NoKey)},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, err := Parse(tc.in)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tc.in, err)
			}
			if got != tc.want {
				t.Errorf("Parse(%q) = %#v, want %#v", tc.in, got, tc.want)
			}
			text := tc.text
			if text == "" {
				text = tc.in
			}
			if got.String() != text {
				t.Errorf("String() = %q, want %q", got.String(), text)
			}
			if tc.want.String() != text {
				t.Errorf("built address prints %q, want %q", tc.want.String(), text)
			}
			again, err := Parse(got.String())
			if err != nil || again != got {
				t.Errorf("Parse(%q) = %#v, %v; want %#v", got.String(), again, err, got)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		in      string
		wantErr string
	}{
		"kind only":          {in: "cache", wantErr: `"cache" has no resource name; write cache.NAME`},
		"module only":        {in: "module", wantErr: `"module" ends after "module"; write module.NAME`},
		"module address":     {in: `module.web["a"]`, wantErr: `"module.web[\"a\"]" names a module, not a resource; write module.web["a"].KIND.NAME`},
		"attribute":          {in: "cache.sessions.endpoint", wantErr: `"cache.sessions.endpoint" continues after the resource; an address ends with KIND.NAME or KIND.NAME[KEY]`},
		"not a traversal":    {in: "cache sessions", wantErr: `"cache sessions" ` + generalForm},
		"empty":              {in: "", wantErr: `"" ` + generalForm},
		"index after kind":   {in: "cache[0]", wantErr: `"cache[0]" ` + generalForm},
		"index after module": {in: "module[0].web.cache.c", wantErr: generalForm},
		"empty name":         {in: "cache..c", wantErr: generalForm},
		"trailing dot":       {in: "cache.c.", wantErr: generalForm},
		"name starts digit":  {in: "cache.1c", wantErr: generalForm},
		"empty key":          {in: "cache.c[]", wantErr: "an instance key is a whole number ([0]) or a quoted string"},
		"bare word key":      {in: "cache.c[a]", wantErr: "an instance key is a whole number"},
		"negative key":       {in: "cache.c[-1]", wantErr: "an instance key is a whole number"},
		"fraction key":       {in: "cache.c[1.5]", wantErr: "an instance key is a whole number"},
		"huge key":           {in: "cache.c[100000000000000000000]", wantErr: "an instance key is a whole number"},
		"unclosed string":    {in: `cache.c["a]`, wantErr: "an instance key is a whole number"},
		"unclosed bracket":   {in: `cache.c[0`, wantErr: "an instance key is a whole number"},
		"bad escape":         {in: `cache.c["\q"]`, wantErr: "an instance key is a whole number"},
		"text after key":     {in: `cache.c[0]x`, wantErr: generalForm},
		"two keys":           {in: `cache.c[0][1]`, wantErr: generalForm},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			a, err := Parse(tc.in)
			if err == nil {
				t.Fatalf("Parse(%q) = %q, want an error", tc.in, a)
			}
			if !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("error = %q, want it to contain %q", err.Error(), tc.wantErr)
			}
			if strings.Count(err.Error(), "\n") != 0 {
				t.Errorf("error %q spans lines, want one sentence", err.Error())
			}
		})
	}
}

func TestParseTarget(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		in       string
		isModule bool
	}{
		"module":          {in: "module.web", isModule: true},
		"module instance": {in: `module.web["a"]`, isModule: true},
		"nested module":   {in: "module.a[0].module.b", isModule: true},
		"resource":        {in: "cache.c"},
		"instance":        {in: "module.web.cache.c[1]"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			tg, err := ParseTarget(tc.in)
			if err != nil {
				t.Fatalf("ParseTarget(%q): %v", tc.in, err)
			}
			if tg.String() != tc.in {
				t.Errorf("String() = %q, want %q", tg.String(), tc.in)
			}
			m, isModule := tg.Module()
			if isModule != tc.isModule {
				t.Errorf("Module() = %q, %v; want a module: %v", m, isModule, tc.isModule)
			}
			if _, isInstance := tg.Instance(); isInstance == tc.isModule {
				t.Errorf("Instance() reports %v for %q", isInstance, tc.in)
			}
		})
	}
}

func TestTargetContains(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		target, addr string
		want         bool
	}{
		"itself":                     {"cache.sessions", "cache.sessions", true},
		"its count instance":         {"cache.c", "cache.c[0]", true},
		"its for_each instance":      {"autoscaling_group.svc", `autoscaling_group.svc["orders"]`, true},
		"a longer name":              {"cache.c", "cache.cc", false},
		"a longer name with index":   {"cache.c", "cache.cc[0]", false},
		"an instance, not the other": {"cache.c[1]", "cache.c[10]", false},
		"instance itself":            {"cache.c[1]", "cache.c[1]", true},
		"another kind":               {"cache.c", "coordinator.c", false},
		"module resources":           {"module.web", "module.web.load_balancer.edge", true},
		"module instances":           {"module.web", `module.web["a"].cache.c`, true},
		"nested module":              {"module.web", "module.web.module.db.cache.c", true},
		"another module":             {"module.web", "module.webs.cache.c", false},
		"one module instance":        {`module.web["a"]`, `module.web["a"].cache.c`, true},
		"not the other instance":     {`module.web["a"]`, `module.web["b"].cache.c`, false},
		"unkeyed module only":        {`module.web["a"]`, `module.web.cache.c`, false},
		"resource not in module":     {"cache.c", "module.web.cache.c", false},
		"root resource not in":       {"module.web", "cache.c", false},
		"inner keys must match":      {"module.a.module.b", "module.a[0].module.b.cache.c", false},
		"inner module call":          {"module.a[0].module.b", `module.a[0].module.b["x"].cache.c`, true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			tg, err := ParseTarget(tc.target)
			if err != nil {
				t.Fatal(err)
			}
			a, err := Parse(tc.addr)
			if err != nil {
				t.Fatal(err)
			}
			if got := tg.Contains(a); got != tc.want {
				t.Errorf("ParseTarget(%q).Contains(%q) = %v, want %v", tc.target, tc.addr, got, tc.want)
			}
		})
	}
}

func TestInstanceContains(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		dep, addr string
		want      bool
	}{
		"same address":          {"cache.c", "cache.c", true},
		"counted instance":      {"cache.c", "cache.c[10]", true},
		"for_each instance":     {"cache.c", `cache.c["a"]`, true},
		"key with brackets":     {"cache.c", `cache.c["x[\"1"]`, true},
		"other block, prefix":   {"cache.c", "cache.cc[0]", false},
		"instance, not block":   {"cache.c[1]", "cache.c[10]", false},
		"instance, not another": {"cache.c[1]", "cache.c", false},
		"module resource":       {"module.m.cache.c", "module.m.cache.c[0]", true},
		"module instance":       {"module.m.cache.c", "module.m[0].cache.c", false},
		"resource in module[0]": {"module.m[0].cache.c", "module.m[0].cache.c[2]", true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dep, addr := mustParse(t, tc.dep), mustParse(t, tc.addr)
			if got := dep.Contains(addr); got != tc.want {
				t.Errorf("%q.Contains(%q) = %v, want %v", tc.dep, tc.addr, got, tc.want)
			}
		})
	}
}

func TestBlock(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"cache.c":                  "cache.c",
		"cache.c[3]":               "cache.c",
		`cache.c["a.b"]`:           "cache.c",
		`module.m["x"].cache.c[0]`: `module.m["x"].cache.c`,
		`module.m["x"].cache.c`:    `module.m["x"].cache.c`,
	} {
		if got := mustParse(t, in).Block().String(); got != want {
			t.Errorf("Block() of %q = %q, want %q", in, got, want)
		}
	}
}

func TestResourceText(t *testing.T) {
	t.Parallel()
	var r Resource
	if err := r.UnmarshalText([]byte("module.m.cache.c")); err != nil {
		t.Fatal(err)
	}
	if want := RootModule.Child("m", NoKey).Resource("cache", "c"); r != want {
		t.Errorf("UnmarshalText = %#v, want %#v", r, want)
	}
	err := r.UnmarshalText([]byte("cache.c[0]"))
	if want := `"cache.c[0]" names an instance, not a resource block; leave out [0]`; err == nil || err.Error() != want {
		t.Errorf("UnmarshalText(cache.c[0]) = %v, want %q", err, want)
	}
}

func TestModuleSteps(t *testing.T) {
	t.Parallel()
	m := RootModule.Child("a", IntKey(0)).Child("b", StringKey("x.y"))
	want := []ModuleStep{{"a", IntKey(0)}, {"b", StringKey("x.y")}}
	got := m.Steps()
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("Steps() = %#v, want %#v", got, want)
	}
	if RootModule.Steps() != nil || !RootModule.IsRoot() || m.IsRoot() {
		t.Errorf("the root module has steps or is not the root")
	}
}

func TestKey(t *testing.T) {
	t.Parallel()
	if n, ok := IntKey(3).Int(); !ok || n != 3 {
		t.Errorf("IntKey(3).Int() = %d, %v", n, ok)
	}
	if s, ok := StringKey("a").Str(); !ok || s != "a" {
		t.Errorf(`StringKey("a").Str() = %q, %v`, s, ok)
	}
	if _, ok := StringKey("3").Int(); ok {
		t.Errorf(`StringKey("3") reports an int key`)
	}
	if !NoKey.IsNone() || IntKey(0).IsNone() || StringKey("").IsNone() {
		t.Errorf("IsNone is wrong for NoKey, [0] or [\"\"]")
	}
	if IntKey(1) == StringKey("1") {
		t.Errorf(`[1] equals ["1"]`)
	}
	for k, want := range map[Key]string{NoKey: "", IntKey(12): "[12]", StringKey(`eu "west"`): `["eu \"west\""]`} {
		if k.String() != want {
			t.Errorf("String() = %q, want %q", k.String(), want)
		}
	}
}

func mustParse(t *testing.T, s string) Instance {
	t.Helper()
	a, err := Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}
