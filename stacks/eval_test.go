package stacks

import (
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
	"github.com/stagecraft/stagecraft/stacks/addrs"
	"github.com/zclconf/go-cty/cty"
	"golang.org/x/tools/txtar"
)

// loadFiles loads a stack from inline files and fails the test on any
// error.
func loadFiles(t *testing.T, files map[string]string) *Stack {
	t.Helper()
	fsys := fstest.MapFS{}
	for name, src := range files {
		fsys[name] = &fstest.MapFile{Data: []byte(src), Mode: 0o644}
	}
	st, diags := LoadFS(fsys, ".")
	if diags.HasErrors() {
		if st != nil {
			t.Fatalf("load:\n%s", renderDiags(st.Files, diags))
		}
		t.Fatalf("load: %s", diags.Error())
	}
	return st
}

// evaluate evaluates req and fails the test on any error.
func evaluate(t *testing.T, st *Stack, req Request) *DesiredSet {
	t.Helper()
	ds, diags := st.Evaluate(req)
	if diags.HasErrors() {
		t.Fatalf("evaluate:\n%s", renderDiags(st.Files, diags))
	}
	return ds
}

func resourceAt(t *testing.T, ds *DesiredSet, addr string) *Resource {
	t.Helper()
	var have []string
	for _, r := range ds.Resources {
		if r.Address.String() == addr {
			return r
		}
		have = append(have, r.Address.String())
	}
	t.Fatalf("no resource %s in the desired set; it has %v", addr, have)
	return nil
}

func outputOf(t *testing.T, ds *DesiredSet, name string) cty.Value {
	t.Helper()
	for _, o := range ds.Outputs {
		if o.Name == name {
			return o.Value
		}
	}
	t.Fatalf("no output %q in the desired set", name)
	return cty.NilVal
}

func TestFormat(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		in, want string
	}{
		"messy stage": {
			in: "stage   \"one\"{\ncache \"sessions\" {\nengine=\"redis\"\n    memory_mb    =  128\nnodes=1+1\n}\n  }\n\n\n",
			want: `stage "one" {
  cache "sessions" {
    engine    = "redis"
    memory_mb = 128
    nodes     = 1 + 1
  }
}
`,
		},
		"comments and lists": {
			in: "locals {\na = { x = 1, yy = 2 } # c\n  bbbb = 2\n  # comment\n  c = [\n  1,\n  2,\n  ]\n}",
			want: `locals {
  a    = { x = 1, yy = 2 } # c
  bbbb = 2
  # comment
  c = [
    1,
    2,
  ]
}
`,
		},
		"already formatted": {
			in:   "variable \"port\" {\n  type    = number\n  default = 8080\n}\n",
			want: "variable \"port\" {\n  type    = number\n  default = 8080\n}\n",
		},
		"empty": {in: "\n\n", want: ""},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, err := Format([]byte(tc.in))
			if err != nil {
				t.Fatalf("Format: %v", err)
			}
			if diff := cmp.Diff(tc.want, string(got)); diff != "" {
				t.Errorf("Format (-want +got):\n%s", diff)
			}
			again, err := Format(got)
			if err != nil {
				t.Fatalf("Format of formatted source: %v", err)
			}
			if string(again) != string(got) {
				t.Errorf("Format is not idempotent:\nonce:\n%s\ntwice:\n%s", got, again)
			}
		})
	}
}

// TestFormatFixturesIdempotent formats every native-syntax stack file of the
// golden fixtures twice: the second pass must change nothing.
func TestFormatFixturesIdempotent(t *testing.T) {
	t.Parallel()
	paths, _ := filepath.Glob(filepath.Join("testdata", "valid", "*.txtar"))
	inv, _ := filepath.Glob(filepath.Join("testdata", "invalid", "*.txtar"))
	paths = append(paths, inv...)
	n := 0
	for _, p := range paths {
		ar, err := txtar.ParseFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range ar.Files {
			if !strings.HasSuffix(f.Name, ".hcl") || strings.HasSuffix(f.Name, ".vars.hcl") {
				continue
			}
			once, err := Format(f.Data)
			if err != nil {
				continue // the syntax-error fixtures
			}
			n++
			twice, err := Format(once)
			if err != nil {
				t.Errorf("%s %s: formatted source does not parse: %v", p, f.Name, err)
				continue
			}
			if string(once) != string(twice) {
				t.Errorf("%s %s: Format is not idempotent:\nonce:\n%s\ntwice:\n%s", p, f.Name, once, twice)
			}
		}
	}
	if n < 30 {
		t.Errorf("only %d fixture files formatted; the glob is wrong", n)
	}
}

func TestFormatRefusesSyntaxErrors(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		src      string
		filename string
		wantErr  string
	}{
		"unclosed block": {
			src:      "stage \"one\" {\n  cache \"c\" {\n    engine = \"redis\"\n",
			filename: "main.stack.hcl",
			wantErr:  "main.stack.hcl:2,13-14: Unclosed configuration block",
		},
		"unfinished list": {
			src:      "locals {\n  a = [1,\n}\n",
			filename: "stack.hcl",
			wantErr:  "stack.hcl:3,1-2: ",
		},
		"attribute without value": {
			src:      "variable \"x\" {\n  default =\n}\n",
			filename: "vars.hcl",
			wantErr:  "vars.hcl:2,12-3,1: Invalid expression",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			out, err := FormatFile([]byte(tc.src), tc.filename)
			if err == nil {
				t.Fatalf("FormatFile accepted a syntax error and returned:\n%s", out)
			}
			if out != nil {
				t.Errorf("FormatFile returned source along with an error: %q", out)
			}
			var fe *FormatError
			if !errors.As(err, &fe) || len(fe.Diags) == 0 {
				t.Errorf("error %v (%T) is not a *FormatError with diagnostics", err, err)
			}
			if !strings.HasPrefix(err.Error(), tc.wantErr) {
				t.Errorf("error = %q, want it to start with %q", err.Error(), tc.wantErr)
			}
		})
	}
}

// precedenceStack has one variable "v" whose value every source may set;
// the stage echoes it in an output.
var precedenceStack = map[string]string{
	"main.stack.hcl": `
variable "v" {
  type    = string
  default = "default"
}

environment "dev" {
  provider = "local"
  stage    = "one"
}

environment "blocked" {
  provider  = "local"
  stage     = "one"
  variables = { v = "block" }
}

stage "one" {
  cache "c" {
    engine = "redis"
  }
}

output "v" {
  value = var.v
}
`,
}

func TestVariablePrecedence(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	varFile := filepath.Join(dir, "prod.vars.hcl")
	if err := os.WriteFile(varFile, []byte("v = \"file\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	jsonFile := filepath.Join(dir, "prod.vars.hcl.json")
	if err := os.WriteFile(jsonFile, []byte(`{"v": "json file"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	getenv := func(k string) string {
		if k == EnvVarPrefix+"v" {
			return "getenv"
		}
		return ""
	}
	tests := map[string]struct {
		env    string
		getenv func(string) string
		vars   []VarInput
		want   string
	}{
		"default":                     {env: "dev", want: "default"},
		"environment block":           {env: "blocked", want: "block"},
		"getenv over block":           {env: "blocked", getenv: getenv, want: "getenv"},
		"var file over getenv":        {env: "blocked", getenv: getenv, vars: []VarInput{{File: varFile}}, want: "file"},
		"json var file":               {env: "blocked", vars: []VarInput{{File: jsonFile}}, want: "json file"},
		"var over var file":           {env: "blocked", getenv: getenv, vars: []VarInput{{File: varFile}, {Name: "v", Value: "var"}}, want: "var"},
		"var file after var wins":     {env: "blocked", getenv: getenv, vars: []VarInput{{Name: "v", Value: "var"}, {File: varFile}}, want: "file"},
		"later var wins":              {env: "dev", vars: []VarInput{{Name: "v", Value: "first"}, {Name: "v", Value: "second"}}, want: "second"},
		"empty getenv is no value":    {env: "blocked", getenv: func(string) string { return "" }, want: "block"},
		"var over default, no others": {env: "dev", vars: []VarInput{{Name: "v", Value: "var"}}, want: "var"},
	}
	st := loadFiles(t, precedenceStack)
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ds := evaluate(t, st, Request{Environment: tc.env, Getenv: tc.getenv, Vars: tc.vars})
			got := outputOf(t, ds, "v")
			if !got.RawEquals(cty.StringVal(tc.want)) {
				t.Errorf("var.v = %#v, want %q", got, tc.want)
			}
		})
	}
}

func TestKnownValues(t *testing.T) {
	t.Parallel()
	st := loadFiles(t, map[string]string{"main.stack.hcl": `
environment "dev" {
  provider = "local"
  stage    = "one"
}

stage "one" {
  cache "sessions" {
    engine = "redis"
  }
  autoscaling_group "app" {
    env = {
      REDIS = cache.sessions.endpoint
      NODES = join(",", cache.sessions.endpoints)
    }
    local {
      command = ["./app"]
    }
  }
}

output "endpoint" {
  value = cache.sessions.endpoint
}
`})
	tests := map[string]struct {
		known     map[addrs.Instance]cty.Value
		wantRedis cty.Value
		wantNodes cty.Value
	}{
		"not created yet": {
			wantRedis: cty.UnknownVal(cty.String),
			wantNodes: cty.UnknownVal(cty.String),
		},
		"existing cache": {
			known: map[addrs.Instance]cty.Value{addrs.MustParse("cache.sessions"): cty.ObjectVal(map[string]cty.Value{
				"id":        cty.StringVal("c-1"),
				"endpoint":  cty.StringVal("127.0.0.1:6379"),
				"endpoints": cty.ListVal([]cty.Value{cty.StringVal("127.0.0.1:6379"), cty.StringVal("127.0.0.1:6380")}),
			})},
			wantRedis: cty.StringVal("127.0.0.1:6379"),
			wantNodes: cty.StringVal("127.0.0.1:6379,127.0.0.1:6380"),
		},
		"existing cache without the attribute": {
			known:     map[addrs.Instance]cty.Value{addrs.MustParse("cache.sessions"): cty.ObjectVal(map[string]cty.Value{"id": cty.StringVal("c-1")})},
			wantRedis: cty.UnknownVal(cty.String),
			wantNodes: cty.UnknownVal(cty.String),
		},
		"another resource known": {
			known:     map[addrs.Instance]cty.Value{addrs.MustParse("cache.other"): cty.ObjectVal(map[string]cty.Value{"endpoint": cty.StringVal("x")})},
			wantRedis: cty.UnknownVal(cty.String),
			wantNodes: cty.UnknownVal(cty.String),
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ds := evaluate(t, st, Request{Environment: "dev", Known: tc.known})
			env := resourceAt(t, ds, "autoscaling_group.app").Config.GetAttr("env")
			for key, want := range map[string]cty.Value{"REDIS": tc.wantRedis, "NODES": tc.wantNodes} {
				got := env.Index(cty.StringVal(key))
				if got.IsKnown() != want.IsKnown() || (want.IsKnown() && !got.RawEquals(want)) {
					t.Errorf("env[%q] = %#v, want %#v", key, got, want)
				}
			}
			out := outputOf(t, ds, "endpoint")
			if out.IsKnown() != tc.wantRedis.IsKnown() || (out.IsKnown() && !out.RawEquals(tc.wantRedis)) {
				t.Errorf("output endpoint = %#v, want %#v", out, tc.wantRedis)
			}
			// The cache's own configuration is what the stack says, not
			// what exists: its computed attributes stay null.
			if ep := resourceAt(t, ds, "cache.sessions").Config.GetAttr("endpoint"); !ep.IsNull() {
				t.Errorf("cache.sessions config endpoint = %#v, want null", ep)
			}
		})
	}
}

func TestSensitivePaths(t *testing.T) {
	t.Parallel()
	st := loadFiles(t, map[string]string{"main.stack.hcl": `
variable "db_password" {
  type      = string
  sensitive = true
}

environment "dev" {
  provider  = "local"
  stage     = "one"
  variables = { db_password = "hunter2hunter2" }
}

stage "one" {
  autoscaling_group "app" {
    port = 8080
    env = {
      DB_PASSWORD = var.db_password
      DSN         = "postgres://app:${var.db_password}@db"
      DB_USER     = "app"
    }
    local {
      command = ["./app", "--user", "app", "--password", var.db_password]
    }
  }
}
`})
	ds := evaluate(t, st, Request{Environment: "dev"})
	cfg := resourceAt(t, ds, "autoscaling_group.app").Config
	_, pvms := cfg.UnmarkDeepWithPaths()
	var got []string
	for _, pvm := range pvms {
		if _, ok := pvm.Marks[Sensitive]; ok {
			got = append(got, pathKey(pvm.Path))
		}
	}
	sort.Strings(got)
	want := []string{"env.DB_PASSWORD", "env.DSN", "local.command.4"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("sensitive paths (-want +got):\n%s", diff)
	}
	tests := map[string]struct {
		path cty.Path
		want bool
	}{
		"password":          {cty.GetAttrPath("env").Index(cty.StringVal("DB_PASSWORD")), true},
		"built from it":     {cty.GetAttrPath("env").Index(cty.StringVal("DSN")), true},
		"neighbour":         {cty.GetAttrPath("env").Index(cty.StringVal("DB_USER")), false},
		"command argument":  {cty.GetAttrPath("local").GetAttr("command").Index(cty.NumberIntVal(4)), true},
		"other argument":    {cty.GetAttrPath("local").GetAttr("command").Index(cty.NumberIntVal(2)), false},
		"unrelated number":  {cty.GetAttrPath("port"), false},
		"the map as whole":  {cty.GetAttrPath("env"), false},
		"the whole command": {cty.GetAttrPath("local").GetAttr("command"), false},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			v, err := tc.path.Apply(cfg)
			if err != nil {
				t.Fatalf("%#v: %v", tc.path, err)
			}
			if got := v.HasMark(Sensitive); got != tc.want {
				t.Errorf("HasMark(Sensitive) at %s = %v, want %v", pathKey(tc.path), got, tc.want)
			}
		})
	}
}

func TestModuleDependsOn(t *testing.T) {
	t.Parallel()
	st := loadFiles(t, map[string]string{
		"main.stack.hcl": `
environment "dev" {
  provider = "local"
  stage    = "one"
}

stage "one" {
  cache "shared" {
    engine = "redis"
  }
  coordinator "locks" {
    engine = "etcd"
  }
  network "main" {
  }

  module "svc" {
    source     = "./modules/svc"
    redis      = cache.shared.endpoint
    depends_on = [network.main]
  }

  module "many" {
    source   = "./modules/svc"
    for_each = toset(["a", "b"])
    redis    = "${each.key}:${coordinator.locks.endpoints[0]}"
  }

  autoscaling_group "front" {
    env = { SVC = module.svc.url }
    local {
      command = ["./front"]
    }
  }
}
`,
		"modules/svc/main.hcl": `
variable "redis" {
  type = string
}

autoscaling_group "svc" {
  env = { REDIS = var.redis }
  local {
    command = ["./svc"]
  }
}

autoscaling_group "plain" {
  local {
    command = ["./plain"]
  }
}

load_balancer "lb" {
  listener {}
  route {
    target = autoscaling_group.svc
  }
}

output "url" {
  value = load_balancer.lb.url
}
`,
	})
	ds := evaluate(t, st, Request{Environment: "dev"})
	tests := map[string][]string{
		// The input it uses brings the root cache; the call's depends_on
		// applies to every resource of the module.
		"module.svc.autoscaling_group.svc":   {"cache.shared", "network.main"},
		"module.svc.autoscaling_group.plain": {"network.main"},
		"module.svc.load_balancer.lb":        {"module.svc.autoscaling_group.svc", "network.main"},
		// for_each instances each depend on what their inputs refer to.
		`module.many["a"].autoscaling_group.svc`: {"coordinator.locks"},
		`module.many["b"].load_balancer.lb`:      {`module.many["b"].autoscaling_group.svc`},
		// A root resource depends on what the module output refers to.
		"autoscaling_group.front": {"module.svc.load_balancer.lb"},
	}
	for addr, want := range tests {
		t.Run(addr, func(t *testing.T) {
			t.Parallel()
			r := resourceAt(t, ds, addr)
			if diff := cmp.Diff(want, addressStrings(r.DependsOn)); diff != "" {
				t.Errorf("DependsOn of %s (-want +got):\n%s", addr, diff)
			}
			wantMod := ""
			if strings.HasPrefix(addr, "module.") {
				wantMod = strings.TrimSuffix(addr, "."+r.Address.Kind+"."+r.Address.Name)
			}
			if r.Address.Module.String() != wantMod {
				t.Errorf("Module = %q, want %q", r.Address.Module, wantMod)
			}
		})
	}
}

func TestStackHash(t *testing.T) {
	t.Parallel()
	base := map[string]string{
		"main.stack.hcl": `
stage "one" {
  module "svc" {
    source = "./modules/svc"
  }
  autoscaling_group "app" {
    env = { BANNER = file("banner.txt") }
    local {
      command = ["./app"]
    }
  }
}
`,
		"env.stack.hcl.json":   `{"environment": {"dev": {"provider": "local", "stage": "one"}}}`,
		"modules/svc/main.hcl": "cache \"c\" {\n  engine = \"redis\"\n}\n",
		"banner.txt":           "hello\n",
		"dev.vars.hcl":         "x = 1\n",
		"README.md":            "# shop\n",
	}
	baseHash := loadFiles(t, base).Hash
	if again := loadFiles(t, base).Hash; again != baseHash {
		t.Fatalf("loading the same files twice gives two hashes: %s and %s", baseHash, again)
	}
	if len(baseHash) != 64 {
		t.Errorf("Hash = %q, want a hex SHA-256", baseHash)
	}
	tests := map[string]struct {
		file     string
		content  string
		remove   bool
		changes  bool
		knownBug string
		// sourceOnly cases change only the desired set's SourceHash,
		// which covers files read during evaluation.
		sourceOnly bool
	}{
		"stack file":          {file: "main.stack.hcl", content: base["main.stack.hcl"] + "\n# a comment\n", changes: true},
		"json stack file":     {file: "env.stack.hcl.json", content: `{"environment": {"dev": {"provider": "local", "stage": "one" }}}`, changes: true},
		"module file":         {file: "modules/svc/main.hcl", content: "cache \"c\" {\n  engine = \"memcached\"\n}\n", changes: true},
		"new stack file":      {file: "extra.stack.hcl", content: "locals {\n  x = 1\n}\n", changes: true},
		"removed stack file":  {file: "env.stack.hcl.json", remove: true, changes: true},
		"new module file":     {file: "modules/svc/more.hcl", content: "locals {\n  y = 2\n}\n", changes: true},
		"file read by file()": {file: "banner.txt", content: "goodbye\n", changes: true, sourceOnly: true},
		"variable file":       {file: "dev.vars.hcl", content: "x = 2\n", changes: false},
		"unrelated file":      {file: "README.md", content: "# the shop\n", changes: false},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if tc.knownBug != "" {
				t.Skip("known bug: " + tc.knownBug)
			}
			files := map[string]string{}
			for k, v := range base {
				files[k] = v
			}
			if tc.remove {
				delete(files, tc.file)
			} else {
				files[tc.file] = tc.content
			}
			if tc.sourceOnly {
				if got := loadFiles(t, files).Hash; got != baseHash {
					t.Errorf("changing %s changed the stack hash; only the source hash should change", tc.file)
				}
				want := sourceHash(t, loadFiles(t, base))
				if got := sourceHash(t, loadFiles(t, files)); (got != want) != tc.changes {
					t.Errorf("changing %s: source hash changed = %v, want %v", tc.file, got != want, tc.changes)
				}
				return
			}
			got := loadFiles(t, files).Hash
			if changed := got != baseHash; changed != tc.changes {
				t.Errorf("changing %s: hash changed = %v, want %v", tc.file, changed, tc.changes)
			}
		})
	}
}

func sourceHash(t *testing.T, st *Stack) string {
	t.Helper()
	ds, diags := st.Evaluate(Request{Environment: "dev"})
	if diags.HasErrors() {
		t.Fatalf("evaluate: %s", diags.Error())
	}
	return ds.SourceHash
}

// TestDiagnosticsInSourceOrder checks that validation reports its problems
// in the same order on every run: golden files and CI logs depend on it.
func TestDiagnosticsInSourceOrder(t *testing.T) {
	t.Parallel()
	st := loadFiles(t, map[string]string{"main.stack.hcl": `
stage "one" {
  cache "a" {
    engine    = "redis"
    id        = "x"
    endpoint  = "y"
    endpoints = ["z"]
  }
  cache "b" {
    engine    = "redis"
    memory_mb = var.nope
  }
  cache "c" {
    engine    = "redis"
    memory_mb = local.nope
  }
}
`})
	first := renderDiags(st.Files, st.Validate(ValidateRequest{}))
	for i := 0; i < 50; i++ {
		if got := renderDiags(st.Files, st.Validate(ValidateRequest{})); got != first {
			t.Fatalf("run %d reports in another order:\n%s\nthe first run:\n%s", i, got, first)
		}
	}
	lines := []string{}
	for _, l := range strings.Split(first, "\n") {
		if strings.HasPrefix(l, "  on main.stack.hcl line ") {
			lines = append(lines, l)
		}
	}
	if !sort.SliceIsSorted(lines, func(i, j int) bool { return lineOf(lines[i]) < lineOf(lines[j]) }) {
		t.Errorf("diagnostics are not in source order:\n%s", first)
	}
}

func lineOf(s string) int {
	n := 0
	for _, c := range strings.TrimPrefix(s, "  on main.stack.hcl line ") {
		if c < '0' || c > '9' {
			break
		}
		n = n*10 + int(c-'0')
	}
	return n
}
