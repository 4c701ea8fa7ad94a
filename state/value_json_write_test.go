package state

import (
	"bytes"
	"math"
	"testing"

	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"
)

// TestMarshalValueMatchesCtyJSON checks that the state's encoder writes
// what cty's json package writes, byte for byte, and fails where it fails.
func TestMarshalValueMatchesCtyJSON(t *testing.T) {
	t.Parallel()
	huge, _ := cty.ParseNumberVal("123456789012345678901234567890")
	frac, _ := cty.ParseNumberVal("0.1")
	obj := cty.Object(map[string]cty.Type{"id": cty.String, "port": cty.Number, "tags": cty.Map(cty.String)})
	values := []cty.Value{
		cty.StringVal("plain"),
		cty.StringVal(""),
		cty.StringVal(`quote " and back\slash`),
		cty.StringVal("<html> & friends"),
		cty.StringVal("tab\tnew\nline\x01\x7f"),
		cty.StringVal("ünïcødé \u2028 ✓"),
		cty.StringVal(string([]byte{0xff, 'a'})),
		cty.NumberIntVal(0),
		cty.NumberIntVal(-42),
		cty.NumberIntVal(math.MaxInt64),
		cty.NumberIntVal(math.MinInt64),
		cty.NumberFloatVal(1.5),
		cty.NumberFloatVal(math.Copysign(0, -1)),
		cty.NumberFloatVal(1e300),
		huge,
		frac,
		cty.True,
		cty.False,
		cty.NullVal(cty.String),
		cty.ListVal([]cty.Value{cty.StringVal("a"), cty.StringVal("b")}),
		cty.ListValEmpty(cty.Number),
		cty.SetVal([]cty.Value{cty.NumberIntVal(3), cty.NumberIntVal(1), cty.NumberIntVal(2)}),
		cty.MapVal(map[string]cty.Value{"z": cty.StringVal("1"), "a": cty.StringVal("2"), "<k>": cty.StringVal("3")}),
		cty.MapValEmpty(cty.String),
		cty.TupleVal([]cty.Value{cty.StringVal("a"), cty.NumberIntVal(1), cty.NullVal(cty.Bool)}),
		cty.EmptyTupleVal,
		cty.EmptyObjectVal,
		cty.ObjectVal(map[string]cty.Value{
			"id":   cty.StringVal("i-1"),
			"port": cty.NumberIntVal(8080),
			"tags": cty.MapVal(map[string]cty.Value{"env": cty.StringVal("prod")}),
		}),
		cty.NullVal(obj),
		cty.ListVal([]cty.Value{cty.ObjectVal(map[string]cty.Value{
			"id": cty.StringVal("a"), "port": cty.NullVal(cty.Number), "tags": cty.NullVal(cty.Map(cty.String)),
		})}),
	}
	for _, v := range values {
		check(t, v, v.Type())
	}
	// Where the value needs converting, has dynamic parts or cannot be
	// written at all.
	check(t, cty.NumberIntVal(5), cty.String)
	check(t, cty.StringVal("x"), cty.DynamicPseudoType)
	check(t, cty.ObjectVal(map[string]cty.Value{"v": cty.StringVal("x")}), cty.Object(map[string]cty.Type{"v": cty.DynamicPseudoType}))
	check(t, cty.UnknownVal(cty.String), cty.String)
	check(t, cty.ListVal([]cty.Value{cty.UnknownVal(cty.String)}), cty.List(cty.String))
	check(t, cty.StringVal("s").Mark("secret"), cty.String)
	check(t, cty.ListVal([]cty.Value{cty.StringVal("s").Mark("secret")}), cty.List(cty.String))
	check(t, cty.PositiveInfinity, cty.Number)
}

func check(t *testing.T, v cty.Value, ty cty.Type) {
	t.Helper()
	want, wantErr := ctyjson.Marshal(v, ty)
	got, err := marshalValue(v, ty)
	switch {
	case (err == nil) != (wantErr == nil):
		t.Errorf("%#v as %s: error %v, ctyjson's %v", v, ty.FriendlyName(), err, wantErr)
	case err != nil && err.Error() != wantErr.Error():
		t.Errorf("%#v as %s: error %q, ctyjson's %q", v, ty.FriendlyName(), err, wantErr)
	case !bytes.Equal(got, want):
		t.Errorf("%#v as %s:\n got %s\nwant %s", v, ty.FriendlyName(), got, want)
	}
}

func BenchmarkEncodeValue(b *testing.B) {
	v := cty.ObjectVal(map[string]cty.Value{
		"desired": cty.NumberIntVal(1),
		"env":     cty.MapVal(map[string]cty.Value{"UP": cty.StringVal("asg-0123456789abcdef")}),
		"health_check": cty.ObjectVal(map[string]cty.Value{
			"healthy_threshold": cty.NumberIntVal(2), "interval": cty.StringVal("10s"), "path": cty.StringVal("/healthz"),
			"timeout": cty.StringVal("2s"), "unhealthy_threshold": cty.NumberIntVal(3),
		}),
		"id":      cty.StringVal("asg-0123456789abcdef"),
		"max":     cty.NumberIntVal(1),
		"min":     cty.NumberIntVal(1),
		"network": cty.NullVal(cty.String),
		"port":    cty.NumberIntVal(8080),
		"rollout": cty.ObjectVal(map[string]cty.Value{"max_surge": cty.NumberIntVal(1), "max_unavailable": cty.NumberIntVal(0)}),
	})
	for _, bc := range []struct {
		name string
		enc  func(cty.Value, cty.Type) ([]byte, error)
	}{{"state", marshalValue}, {"ctyjson", ctyjson.Marshal}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := bc.enc(v, v.Type()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
