package kinds

import (
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/stagecraft/stagecraft/providers/schema"
)

// TestSchemaProblems checks the problems a provider reports for a value it
// is given, with the path of each.
func TestSchemaProblems(t *testing.T) {
	t.Parallel()
	s, _ := Schema(Cache)
	s = s.ForProvider("sim")
	value := func(attrs map[string]cty.Value) cty.Value {
		full := map[string]cty.Value{}
		for name, aty := range s.ImpliedType().AttributeTypes() {
			full[name] = cty.NullVal(aty)
		}
		for k, v := range attrs {
			cv, err := convert.Convert(v, s.ImpliedType().AttributeType(k))
			if err != nil {
				t.Fatal(err)
			}
			full[k] = cv
		}
		return cty.ObjectVal(full)
	}
	tests := map[string]struct {
		v    cty.Value
		want string
	}{
		"fine":           {value(map[string]cty.Value{"engine": cty.StringVal("redis")}), ""},
		"required":       {value(nil), "engine: required, but not set"},
		"attribute rule": {value(map[string]cty.Value{"engine": cty.StringVal("mysql")}), `engine: "mysql" is not allowed here`},
		"kind rule, after the attributes pass": {value(map[string]cty.Value{"engine": cty.StringVal("memcached"), "replicas": cty.NumberIntVal(1)}),
			"replicas: Replicas need redis: memcached has no replication"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got := strings.Join(s.Problems(tt.v), "; ")
			if tt.want == "" && got != "" || !strings.HasPrefix(got, tt.want) {
				t.Errorf("Problems = %q, want it to start with %q", got, tt.want)
			}
		})
	}
	for p, want := range map[string]cty.Path{
		`route[0].weight`:   cty.GetAttrPath("route").IndexInt(0).GetAttr("weight"),
		`env["A"]`:          cty.GetAttrPath("env").Index(cty.StringVal("A")),
		"(the whole value)": nil,
	} {
		if got := schema.PathString(want); got != p {
			t.Errorf("PathString = %q, want %q", got, p)
		}
	}
}
