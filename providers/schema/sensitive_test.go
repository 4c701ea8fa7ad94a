package schema_test

import (
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/stagecraft/stagecraft/providers/schema"
)

func TestSensitivePaths(t *testing.T) {
	t.Parallel()
	s := &schema.Schema{Block: schema.Block{
		Attributes: []*schema.Attribute{
			{Name: "name", Type: cty.String},
			{Name: "password", Type: cty.String, Sensitive: true},
		},
		Blocks: []*schema.NestedBlock{{TypeName: "user", Nesting: schema.NestingList, Block: schema.Block{
			Attributes: []*schema.Attribute{{Name: "token", Type: cty.Map(cty.String), Sensitive: true}},
		}}},
	}}
	user := func(tok string) cty.Value {
		return cty.ObjectVal(map[string]cty.Value{"token": cty.MapVal(map[string]cty.Value{"k": cty.StringVal(tok)})})
	}
	obj := func(users ...cty.Value) cty.Value {
		return cty.ObjectVal(map[string]cty.Value{
			"name": cty.StringVal("db"), "password": cty.StringVal("hunter2"), "user": cty.ListVal(users),
		})
	}
	got := s.SensitivePaths(obj(user("a")), obj(user("b"), user("c")), cty.NilVal)
	var names []string
	for _, p := range got {
		names = append(names, schema.PathString(p))
	}
	want := []string{"password", "user[0].token", "user[1].token"}
	if len(names) != len(want) {
		t.Fatalf("SensitivePaths = %q, want %q", names, want)
	}
	for i := range want {
		if names[i] != want[i] {
			t.Errorf("SensitivePaths = %q, want %q", names, want)
			break
		}
	}
}
