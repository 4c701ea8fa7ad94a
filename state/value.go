package state

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"
)

// EncodeValue turns a provider's actual value into the JSON stored in
// Resource.Attributes. ty is the kind's implied type, the same type later
// passed to Resource.Value. The value must be wholly known and unmarked:
// record sensitive attributes in Resource.SensitivePaths instead of marks.
func EncodeValue(v cty.Value, ty cty.Type) (json.RawMessage, error) {
	b, err := marshalValue(v, ty)
	if err != nil {
		return nil, fmt.Errorf("encode value of type %s: %w", ty.FriendlyName(), err)
	}
	return b, nil
}

// Value decodes the resource's attributes with the kind's implied type ty.
func (r *Resource) Value(ty cty.Type) (cty.Value, error) {
	v, err := unmarshalValue(r.Attributes, ty)
	if err != nil {
		return cty.NilVal, fmt.Errorf("decode attributes of %s: %w", r.Address, err)
	}
	return v, nil
}

// EncodeOutput stores an output value together with its type, so that it can
// be decoded without the stack that declared it (for `stagecraft output` and
// for other stacks that read this one's outputs). The value must be wholly
// known and unmarked; sensitivity is carried by the sensitive flag.
func EncodeOutput(v cty.Value, sensitive bool) (*Output, error) {
	ty := v.Type()
	tb, err := ctyjson.MarshalType(ty)
	if err != nil {
		return nil, fmt.Errorf("encode output type %s: %w", ty.FriendlyName(), err)
	}
	vb, err := ctyjson.Marshal(v, ty)
	if err != nil {
		return nil, fmt.Errorf("encode output value of type %s: %w", ty.FriendlyName(), err)
	}
	return &Output{Value: vb, Type: tb, Sensitive: sensitive}, nil
}

// Decode returns the output's value with its stored type.
func (o *Output) Decode() (cty.Value, error) {
	ty, err := ctyjson.UnmarshalType(o.Type)
	if err != nil {
		return cty.NilVal, fmt.Errorf("decode output type: %w", err)
	}
	v, err := ctyjson.Unmarshal(o.Value, ty)
	if err != nil {
		return cty.NilVal, fmt.Errorf("decode output value: %w", err)
	}
	return v, nil
}

// FormatPath writes a cty path in the dotted form used by
// Resource.SensitivePaths: attribute names and map keys joined by dots and
// list or tuple indexes as decimal numbers ("env.DB_PASSWORD", "ports.0").
// A key that contains a dot or a bracket, or is empty, is written as a
// quoted index (`labels["a.b"]`) so that the form stays unambiguous. Steps
// into sets, which have no stable index, are written as "*".
func FormatPath(p cty.Path) string {
	var b strings.Builder
	for _, step := range p {
		switch step := step.(type) {
		case cty.GetAttrStep:
			writeDotted(&b, step.Name)
		case cty.IndexStep:
			key := step.Key
			switch {
			case !key.IsKnown() || key.IsNull():
				writeDotted(&b, "*")
			case key.Type() == cty.String:
				k := key.AsString()
				if k == "" || strings.ContainsAny(k, ".[]\"") {
					b.WriteString("[" + strconv.Quote(k) + "]")
				} else {
					writeDotted(&b, k)
				}
			case key.Type() == cty.Number:
				writeDotted(&b, key.AsBigFloat().Text('f', -1))
			default:
				// Set elements are indexed by their own value.
				writeDotted(&b, "*")
			}
		}
	}
	return b.String()
}

func writeDotted(b *strings.Builder, s string) {
	if b.Len() > 0 {
		b.WriteByte('.')
	}
	b.WriteString(s)
}
