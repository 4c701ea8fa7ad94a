package addrs

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCompare(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		in, want []string
	}{
		"numbers compare as numbers": {
			in:   []string{"cache.c[10]", "cache.c[2]", "cache.c[1]", "cache.c[0]"},
			want: []string{"cache.c[0]", "cache.c[1]", "cache.c[2]", "cache.c[10]"},
		},
		"kinds and names as strings": {
			in:   []string{"load_balancer.edge", "cache.b", "autoscaling_group.app", "cache.a"},
			want: []string{"autoscaling_group.app", "cache.a", "cache.b", "load_balancer.edge"},
		},
		"resource before its instances": {
			in:   []string{"cache.c[0]", "cache.c"},
			want: []string{"cache.c", "cache.c[0]"},
		},
		"module instances": {
			in:   []string{"module.m[10].cache.c", "module.m[9].cache.c", `module.m["a"].cache.c`},
			want: []string{`module.m["a"].cache.c`, "module.m[9].cache.c", "module.m[10].cache.c"},
		},
		"digits inside names": {
			in:   []string{"cache.node12", "cache.node3"},
			want: []string{"cache.node3", "cache.node12"},
		},
		"modules sort among kinds by the word module": {
			in:   []string{"network.n", "module.a.cache.c", "load_balancer.edge", "cache.c"},
			want: []string{"cache.c", "load_balancer.edge", "module.a.cache.c", "network.n"},
		},
		"string keys before int keys": {
			in:   []string{"cache.c[0]", `cache.c["b"]`, `cache.c["a10"]`, `cache.c["a9"]`},
			want: []string{`cache.c["a9"]`, `cache.c["a10"]`, `cache.c["b"]`, "cache.c[0]"},
		},
		"dash before key before underscore": {
			in:   []string{"cache.cc", "cache.c_x", "cache.c[0]", "cache.c-x", "cache.c"},
			want: []string{"cache.c", "cache.c-x", "cache.c[0]", "cache.c_x", "cache.cc"},
		},
		"unkeyed module before its instances": {
			in:   []string{`module.m["a"].cache.c`, "module.m.cache.c", "module.m-2.cache.c"},
			want: []string{"module.m-2.cache.c", "module.m.cache.c", `module.m["a"].cache.c`},
		},
		"nested modules": {
			in:   []string{"module.a.module.b.cache.c", "module.a.cache.z", "module.a.module.b[2].cache.c"},
			want: []string{"module.a.cache.z", "module.a.module.b.cache.c", "module.a.module.b[2].cache.c"},
		},
		"leading zeros in names break ties by bytes": {
			in:   []string{"cache.n1", "cache.n01"},
			want: []string{"cache.n01", "cache.n1"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var got []Instance
			for _, s := range tc.in {
				got = append(got, mustParse(t, s))
			}
			slices.SortFunc(got, Compare)
			var texts []string
			for _, a := range got {
				texts = append(texts, a.String())
			}
			if diff := cmp.Diff(tc.want, texts); diff != "" {
				t.Errorf("order (-want +got):\n%s", diff)
			}
			for i, a := range got {
				if c := Compare(a, a); c != 0 {
					t.Errorf("Compare(%q, itself) = %d, want 0", a, c)
				}
				if i > 0 && !Less(got[i-1], a) {
					t.Errorf("Less(%q, %q) = false, want true", got[i-1], a)
				}
			}
		})
	}
}

func TestCompareText(t *testing.T) {
	t.Parallel()
	in := []string{"cache.c[2]", "cache.c[10]", "cache.c", `cache.c["a"]`, "module.m.cache.c"}
	var got []Instance
	for _, s := range in {
		got = append(got, mustParse(t, s))
	}
	slices.SortFunc(got, CompareText)
	var texts []string
	for _, a := range got {
		texts = append(texts, a.String())
	}
	want := []string{"cache.c", `cache.c["a"]`, "cache.c[10]", "cache.c[2]", "module.m.cache.c"}
	if diff := cmp.Diff(want, texts); diff != "" {
		t.Errorf("byte order (-want +got):\n%s", diff)
	}
}

func TestCompareAllocatesNothing(t *testing.T) {
	a, b := mustParse(t, `module.web["a"].cache.c[10]`), mustParse(t, `module.web["a"].cache.c[9]`)
	if n := testing.AllocsPerRun(100, func() { Compare(a, b); CompareText(a, b) }); n != 0 {
		t.Errorf("Compare allocates %v times, want 0", n)
	}
}

func TestJSON(t *testing.T) {
	t.Parallel()
	type record struct {
		Address      Instance   `json:"address"`
		Dependencies []Instance `json:"dependencies"`
		Block        Resource   `json:"block"`
	}
	in := `{"address":"module.m[\"a\"].cache.c[0]","dependencies":["cache.d","network.n[1]"],"block":"cache.c"}`
	var r record
	if err := json.Unmarshal([]byte(in), &r); err != nil {
		t.Fatal(err)
	}
	if r.Address.Key != IntKey(0) || len(r.Dependencies) != 2 || r.Block.Name != "c" {
		t.Errorf("decoded %#v", r)
	}
	out, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != in {
		t.Errorf("encoded %s, want %s", out, in)
	}
	err = json.Unmarshal([]byte(`{"address":"cache"}`), &r)
	if want := `"cache" has no resource name; write cache.NAME`; err == nil || err.Error() != want {
		t.Errorf("decoding a bad address gives %v, want %q", err, want)
	}
}

func TestCompareStrings(t *testing.T) {
	t.Parallel()
	in := []string{"cache.c[10]", `cache.c["a"]`, "cache.c[2]", "cache.n01", "cache.n1", "cache.c"}
	want := []string{"cache.c", `cache.c["a"]`, "cache.c[2]", "cache.c[10]", "cache.n01", "cache.n1"}
	got := slices.Clone(in)
	slices.SortFunc(got, CompareStrings)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
	for _, a := range in {
		for _, b := range in {
			if sign(CompareStrings(a, b)) != sign(Compare(mustParse(t, a), mustParse(t, b))) {
				t.Errorf("CompareStrings(%q, %q) and Compare disagree", a, b)
			}
		}
	}
}

func TestZeroInstanceText(t *testing.T) {
	t.Parallel()
	type entry struct {
		Address Instance `json:"address,omitzero"`
	}
	out, err := json.Marshal(entry{})
	if err != nil || string(out) != `{}` {
		t.Errorf("zero address encodes as %s, %v; want it left out", out, err)
	}
	var e entry
	if err := json.Unmarshal([]byte(`{"address":""}`), &e); err != nil || !e.Address.IsZero() {
		t.Errorf(`decoding "" gives %#v, %v; want the zero address`, e.Address, err)
	}
	if (Instance{}).String() != "" {
		t.Errorf("zero address prints %q", Instance{}.String())
	}
}
