package state

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stagecraft/stagecraft/stacks/addrs"
	"github.com/zclconf/go-cty/cty"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// cacheType is the implied type of a made-up kind, enough to exercise
// attributes of every shape.
var cacheType = cty.Object(map[string]cty.Type{
	"id":     cty.String,
	"name":   cty.String,
	"port":   cty.Number,
	"env":    cty.Map(cty.String),
	"labels": cty.List(cty.String),
})

func cacheValue(name string, port int64) cty.Value {
	return cty.ObjectVal(map[string]cty.Value{
		"id":   cty.StringVal("i-" + name),
		"name": cty.StringVal(name),
		"port": cty.NumberIntVal(port),
		"env": cty.MapVal(map[string]cty.Value{
			"DB_PASSWORD": cty.StringVal("hunter2"),
			"MODE":        cty.StringVal("lru"),
		}),
		"labels": cty.ListVal([]cty.Value{cty.StringVal("team:web")}),
	})
}

// testResource returns a resource with real cty attributes.
func testResource(t testing.TB, addr string) *Resource {
	t.Helper()
	attrs, err := EncodeValue(cacheValue(addr, 6379), cacheType)
	if err != nil {
		t.Fatal(err)
	}
	return &Resource{
		Address:        addrs.MustParse(addr),
		Kind:           "cache",
		Provider:       "local",
		ID:             "i-" + addr,
		Attributes:     attrs,
		SensitivePaths: []string{"env.DB_PASSWORD"},
		Dependencies:   []addrs.Instance{addrs.MustParse("network.main")},
	}
}

// goldenState is a state with every field set, for the golden file.
func goldenState(t *testing.T) *State {
	t.Helper()
	s := &State{
		FormatVersion: FormatVersion,
		Lineage:       "0f8fad5b-d9cb-469f-a165-70867728950e",
		Serial:        7,
		Stack:         "shop",
		Environment:   "dev",
		Stage:         "blue-green",
		Resources:     []*Resource{},
	}
	s.Set(testResource(t, "service.web"))
	s.Set(testResource(t, "cache.sessions"))
	tainted := testResource(t, "queue.jobs")
	tainted.Status = StatusTainted
	tainted.SensitivePaths = nil
	tainted.Dependencies = nil
	s.Set(tainted)
	url, err := EncodeOutput(cty.StringVal("http://127.0.0.1:8080"), false)
	if err != nil {
		t.Fatal(err)
	}
	pw, err := EncodeOutput(cty.ObjectVal(map[string]cty.Value{"user": cty.StringVal("app"), "password": cty.StringVal("hunter2")}), true)
	if err != nil {
		t.Fatal(err)
	}
	s.Outputs = map[string]*Output{"url": url, "db": pw}
	return s
}

// golden compares got with testdata/name, or rewrites the file with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./state -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs (-want +got); run go test ./state -update if the change is intended:\n%s", path, diff)
	}
}

func TestStateGoldenRoundTrip(t *testing.T) {
	t.Parallel()
	s := goldenState(t)
	data, err := Encode(s)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "state.json", data)

	fromFile, err := os.ReadFile(filepath.Join("testdata", "state.json"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := Decode(fromFile)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(s, got); diff != "" {
		t.Errorf("decoded golden state differs (-want +got):\n%s", diff)
	}
	r, _ := got.Resource(addrs.MustParse("cache.sessions"))
	v, err := r.Value(cacheType)
	if err != nil {
		t.Fatal(err)
	}
	if want := cacheValue("cache.sessions", 6379); !v.RawEquals(want) {
		t.Errorf("attributes decode to %#v, want %#v", v, want)
	}
	ov, err := got.Outputs["db"].Decode()
	if err != nil {
		t.Fatal(err)
	}
	if pw := ov.GetAttr("password"); !pw.RawEquals(cty.StringVal("hunter2")) {
		t.Errorf("output db.password = %#v", pw)
	}
}

func TestDecodeErrors(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		data string
		want string
	}{
		"newer format": {
			data: `{"format_version": 2, "lineage": "x", "resources": [], "something_new": {}}`,
			want: "state format version 2 is newer than this stagecraft understands (1); upgrade stagecraft",
		},
		"no format version": {
			data: `{"lineage": "x"}`,
			want: "decode state: not a stagecraft state file (no format_version)",
		},
		"not json": {
			data: `lineage = "x"`,
			want: "decode state: invalid character",
		},
		"no lineage": {
			data: `{"format_version": 1, "resources": []}`,
			want: "decode state: the state has no lineage",
		},
		"duplicate address": {
			data: `{"format_version": 1, "lineage": "x", "resources": [{"address": "a.b", "attributes": {}}, {"address": "a.b", "attributes": {}}]}`,
			want: "decode state: duplicate resource address a.b",
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := Decode([]byte(tt.data))
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("Decode error = %v, want it to start with %q", err, tt.want)
			}
		})
	}
}

func TestDecodeSortsResources(t *testing.T) {
	t.Parallel()
	data := `{"format_version": 1, "lineage": "x", "resources": [
		{"address": "z.last", "attributes": {"a":  1}},
		{"address": "a.first", "attributes": null}]}`
	s, err := Decode([]byte(data))
	if err != nil {
		t.Fatal(err)
	}
	if got := []string{s.Resources[0].Address.String(), s.Resources[1].Address.String()}; got[0] != "a.first" || got[1] != "z.last" {
		t.Errorf("resources in order %v, want sorted by address", got)
	}
	if got := string(s.Resources[1].Attributes); got != `{"a":1}` {
		t.Errorf("attributes = %s, want compacted JSON", got)
	}
}

func TestSetRemoveResource(t *testing.T) {
	t.Parallel()
	s := New("shop", "dev")
	for _, addr := range []string{"service.web", "cache.sessions", "queue.jobs", "cache.sessions"} {
		s.Set(&Resource{Address: addrs.MustParse(addr), ID: addr})
	}
	var got []string
	for _, r := range s.Resources {
		got = append(got, r.Address.String())
	}
	if diff := cmp.Diff([]string{"cache.sessions", "queue.jobs", "service.web"}, got); diff != "" {
		t.Errorf("addresses after Set (-want +got):\n%s", diff)
	}
	s.Set(&Resource{Address: addrs.MustParse("queue.jobs"), ID: "replaced"})
	if r, ok := s.Resource(addrs.MustParse("queue.jobs")); !ok || r.ID != "replaced" {
		t.Errorf("Resource(queue.jobs) = %+v, %v; want the replacement", r, ok)
	}
	if !s.Remove(addrs.MustParse("cache.sessions")) || s.Remove(addrs.MustParse("cache.sessions")) {
		t.Error("Remove should report true once, then false")
	}
	if _, ok := s.Resource(addrs.MustParse("cache.sessions")); ok {
		t.Error("removed resource is still found")
	}
	if len(s.Resources) != 2 {
		t.Errorf("%d resources left, want 2", len(s.Resources))
	}
}

func TestClone(t *testing.T) {
	t.Parallel()
	s := goldenState(t)
	c := s.Clone()
	if diff := cmp.Diff(s, c); diff != "" {
		t.Fatalf("clone differs (-orig +clone):\n%s", diff)
	}
	c.Resources[0].Attributes[0] = 'X'
	c.Resources[0].Dependencies[0] = addrs.MustParse("cache.changed")
	c.Resources[0].SensitivePaths[0] = "changed"
	c.Outputs["url"].Value[0] = 'X'
	c.Set(&Resource{Address: addrs.MustParse("new.one")})
	c.Serial++
	if diff := cmp.Diff(goldenState(t), s); diff != "" {
		t.Errorf("changing the clone changed the original (-want +got):\n%s", diff)
	}
}

func TestNewLineage(t *testing.T) {
	t.Parallel()
	uuid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	a, b := New("shop", "dev"), New("shop", "dev")
	if !uuid.MatchString(a.Lineage) {
		t.Errorf("lineage %q is not a UUID", a.Lineage)
	}
	if a.Lineage == b.Lineage {
		t.Errorf("two new states share lineage %s", a.Lineage)
	}
	if a.Serial != 0 || a.Stage != "" || a.FormatVersion != FormatVersion || a.Resources == nil {
		t.Errorf("New = %+v, want serial 0, no stage, current format, empty resources", a)
	}
}

func TestEncodeDoesNotChangeState(t *testing.T) {
	t.Parallel()
	s := &State{Lineage: "x", Resources: []*Resource{{Address: addrs.MustParse("cache.b")}, {Address: addrs.MustParse("cache.a")}}}
	data, err := Encode(s)
	if err != nil {
		t.Fatal(err)
	}
	if s.Resources[0].Address != addrs.MustParse("cache.b") || s.FormatVersion != 0 {
		t.Error("Encode changed the state it encoded")
	}
	if i, j := bytes.Index(data, []byte(`"cache.a"`)), bytes.Index(data, []byte(`"cache.b"`)); i > j {
		t.Errorf("Encode did not sort resources:\n%s", data)
	}
}

// addresses lists the addresses of a state's resources, in order.
func addresses(s *State) []string {
	var out []string
	for _, r := range s.Resources {
		out = append(out, r.Address.String())
	}
	return out
}
