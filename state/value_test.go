package state

import (
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"
)

func TestOutputRoundTrip(t *testing.T) {
	t.Parallel()
	tests := map[string]cty.Value{
		"string": cty.StringVal("http://127.0.0.1:8080"),
		"number": cty.NumberIntVal(3),
		"list":   cty.ListVal([]cty.Value{cty.StringVal("a"), cty.StringVal("b")}),
		"map":    cty.MapVal(map[string]cty.Value{"k": cty.True}),
		"object": cty.ObjectVal(map[string]cty.Value{"host": cty.StringVal("h"), "port": cty.NumberIntVal(1)}),
		"tuple":  cty.TupleVal([]cty.Value{cty.StringVal("a"), cty.NumberIntVal(1)}),
		"null":   cty.NullVal(cty.String),
	}
	for name, v := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			o, err := EncodeOutput(v, true)
			if err != nil {
				t.Fatal(err)
			}
			if !o.Sensitive {
				t.Error("sensitive flag lost")
			}
			got, err := o.Decode()
			if err != nil {
				t.Fatal(err)
			}
			if !got.RawEquals(v) {
				t.Errorf("Decode = %#v, want %#v", got, v)
			}
		})
	}
}

func TestEncodeValueRejectsUnknown(t *testing.T) {
	t.Parallel()
	v := cty.ObjectVal(map[string]cty.Value{"id": cty.UnknownVal(cty.String)})
	_, err := EncodeValue(v, v.Type())
	if err == nil || !strings.Contains(err.Error(), "encode value") {
		t.Errorf("EncodeValue(unknown) error = %v, want an encode error", err)
	}
}

func TestResourceValueWrongType(t *testing.T) {
	t.Parallel()
	r := testResource(t, "cache.sessions")
	_, err := r.Value(cty.String)
	if err == nil || !strings.Contains(err.Error(), "decode attributes of cache.sessions") {
		t.Errorf("Value(wrong type) error = %v, want one naming the resource", err)
	}
}

func TestFormatPath(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		path cty.Path
		want string
	}{
		"attribute":   {cty.GetAttrPath("name"), "name"},
		"map key":     {cty.GetAttrPath("env").Index(cty.StringVal("DB_PASSWORD")), "env.DB_PASSWORD"},
		"list index":  {cty.GetAttrPath("ports").Index(cty.NumberIntVal(0)).GetAttr("host"), "ports.0.host"},
		"dotted key":  {cty.GetAttrPath("labels").Index(cty.StringVal("a.b")), `labels["a.b"]`},
		"empty key":   {cty.GetAttrPath("labels").Index(cty.StringVal("")), `labels[""]`},
		"set element": {cty.GetAttrPath("tags").Index(cty.ObjectVal(map[string]cty.Value{"k": cty.True})), "tags.*"},
		"empty path":  {nil, ""},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if got := FormatPath(tt.path); got != tt.want {
				t.Errorf("FormatPath = %q, want %q", got, tt.want)
			}
		})
	}
}
