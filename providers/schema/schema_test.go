package schema

import (
	"testing"

	"github.com/zclconf/go-cty/cty"
)

// TestWithComputed fills computed attributes from what exists, at the top
// and in list blocks, keeps configured values and the configuration's
// marks, and takes no marks over from the known value but those of a
// computed attribute declared sensitive.
func TestWithComputed(t *testing.T) {
	t.Parallel()
	secret := cty.NewValueMarks("secret")
	b := &Block{
		Attributes: []*Attribute{
			{Name: "name", Type: cty.String, Required: true},
			{Name: "id", Type: cty.String, Computed: true},
			{Name: "port", Type: cty.Number, Optional: true, Computed: true},
			{Name: "password", Type: cty.String, Computed: true, Sensitive: true},
		},
		Blocks: []*NestedBlock{{TypeName: "listener", Nesting: NestingList, Block: Block{
			Attributes: []*Attribute{
				{Name: "port", Type: cty.Number, Required: true},
				{Name: "arn", Type: cty.String, Computed: true},
			},
		}}},
	}
	listener := func(port int64, arn cty.Value) cty.Value {
		return cty.ObjectVal(map[string]cty.Value{"port": cty.NumberIntVal(port), "arn": arn})
	}
	cfg := cty.ObjectVal(map[string]cty.Value{
		"name":     cty.StringVal("web").WithMarks(secret),
		"id":       cty.NullVal(cty.String),
		"port":     cty.NumberIntVal(8080),
		"password": cty.NullVal(cty.String),
		"listener": cty.ListVal([]cty.Value{listener(80, cty.NullVal(cty.String))}),
	})
	known := cty.ObjectVal(map[string]cty.Value{
		"name":     cty.StringVal("web"),
		"id":       cty.StringVal("i-1").WithMarks(secret),
		"port":     cty.NumberIntVal(9090),
		"password": cty.StringVal("hunter2").WithMarks(secret),
		"listener": cty.ListVal([]cty.Value{listener(80, cty.StringVal("arn-1"))}).WithMarks(secret),
	}).WithMarks(secret)

	got := WithComputed(b, cfg, known)
	want := cty.ObjectVal(map[string]cty.Value{
		"name":     cty.StringVal("web").WithMarks(secret),
		"id":       cty.StringVal("i-1"),
		"port":     cty.NumberIntVal(8080),
		"password": cty.StringVal("hunter2").WithMarks(secret),
		"listener": cty.ListVal([]cty.Value{listener(80, cty.StringVal("arn-1"))}),
	})
	if !got.RawEquals(want) {
		t.Errorf("with known:\n got %#v\nwant %#v", got, want)
	}

	got = WithComputed(b, cfg, cty.NilVal)
	want = cty.ObjectVal(map[string]cty.Value{
		"name":     cty.StringVal("web").WithMarks(secret),
		"id":       cty.UnknownVal(cty.String),
		"port":     cty.NumberIntVal(8080),
		"password": cty.UnknownVal(cty.String),
		"listener": cty.ListVal([]cty.Value{listener(80, cty.UnknownVal(cty.String))}),
	})
	if !got.RawEquals(want) {
		t.Errorf("without known:\n got %#v\nwant %#v", got, want)
	}
}
