package aws

// Values in and out of the network, load_balancer and autoscaling_group
// kinds: checking a desired value against the kind's schema before any call
// to AWS, reading its attributes, and building actual values of the
// schema's type. The three kinds share them; they live here because the
// group is their largest user.

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"sort"
	"strings"
	"time"

	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/stagecraft/stagecraft/providers"
)

// checkDesired makes sure desired is a known value of the kind's schema
// that passes its attribute and kind rules, the way a cloud API rejects a
// malformed request, and returns it without marks (sensitivity is the
// planner's business). The error names the address, as every error does.
func (k *kindBase) checkDesired(op string, r providers.Ref, desired cty.Value) (cty.Value, error) {
	if desired == cty.NilVal || desired.IsNull() {
		return desired, r.Errorf(op, "no configuration given")
	}
	desired, _ = desired.UnmarkDeep()
	ty := k.schema.ImpliedType()
	if !desired.Type().Equals(ty) {
		conv, err := convert.Convert(desired, ty)
		if err != nil {
			return desired, r.Errorf(op, "the value is not a %s configuration: %s", k.kind, err)
		}
		desired = conv
	}
	if !desired.IsWhollyKnown() {
		return desired, r.Errorf(op, "the configuration holds values not known yet; the planner resolves them before the call")
	}
	if probs := k.schema.Problems(desired); len(probs) > 0 {
		return desired, r.Errorf(op, "invalid configuration: %s", strings.Join(probs, "; "))
	}
	return desired, nil
}

// cval reads the attributes of an object value that checkDesired passed
// (or one part of it), treating null objects as empty.
type cval struct{ v cty.Value }

func (c cval) attr(name string) cty.Value {
	if c.v == cty.NilVal || c.v.IsNull() || !c.v.Type().IsObjectType() || !c.v.Type().HasAttribute(name) {
		return cty.NilVal
	}
	return c.v.GetAttr(name)
}

// isNull reports whether the object itself is absent.
func (c cval) isNull() bool { return c.v == cty.NilVal || c.v.IsNull() }

// str returns a string attribute, or "" when it is null.
func (c cval) str(name string) string {
	v := c.attr(name)
	if v == cty.NilVal || v.IsNull() || v.Type() != cty.String {
		return ""
	}
	return v.AsString()
}

// optStr returns a string attribute, or nil when it is null.
func (c cval) optStr(name string) *string {
	v := c.attr(name)
	if v == cty.NilVal || v.IsNull() || v.Type() != cty.String {
		return nil
	}
	s := v.AsString()
	return &s
}

// num returns a whole-number attribute, and false when it is null.
func (c cval) num(name string) (int64, bool) {
	v := c.attr(name)
	if v == cty.NilVal || v.IsNull() || v.Type() != cty.Number {
		return 0, false
	}
	n, _ := v.AsBigFloat().Int64()
	return n, true
}

// float returns a number attribute, and false when it is null.
func (c cval) float(name string) (float64, bool) {
	v := c.attr(name)
	if v == cty.NilVal || v.IsNull() || v.Type() != cty.Number {
		return 0, false
	}
	f, _ := v.AsBigFloat().Float64()
	return f, true
}

// sub returns a nested single block.
func (c cval) sub(name string) cval { return cval{c.attr(name)} }

// list returns the elements of a list attribute or block.
func (c cval) list(name string) []cval {
	v := c.attr(name)
	if v == cty.NilVal || v.IsNull() || !v.CanIterateElements() {
		return nil
	}
	var out []cval
	for it := v.ElementIterator(); it.Next(); {
		_, e := it.Element()
		out = append(out, cval{e})
	}
	return out
}

// strMap returns a map(string) attribute as a Go map (empty when null).
func (c cval) strMap(name string) map[string]string {
	out := map[string]string{}
	v := c.attr(name)
	if v == cty.NilVal || v.IsNull() || !v.CanIterateElements() {
		return out
	}
	for it := v.ElementIterator(); it.Next(); {
		k, e := it.Element()
		if e.IsNull() {
			continue
		}
		out[k.AsString()] = e.AsString()
	}
	return out
}

// valObject makes a value of the object type ty from attrs, with null for
// every attribute attrs leaves out. Values are converted to the attribute's
// type, so callers may pass a tuple for a list; a value that does not
// convert is our own bug.
func valObject(ty cty.Type, attrs map[string]cty.Value) cty.Value {
	vals := make(map[string]cty.Value, len(ty.AttributeTypes()))
	for name, aty := range ty.AttributeTypes() {
		v, ok := attrs[name]
		if !ok || v == cty.NilVal {
			vals[name] = cty.NullVal(aty)
			continue
		}
		cv, err := convert.Convert(v, aty)
		if err != nil {
			panic(fmt.Sprintf("aws: attribute %s: %s", name, err))
		}
		vals[name] = cv
	}
	return cty.ObjectVal(vals)
}

// valList makes a list of element type ety (an empty list for no elements).
func valList(ety cty.Type, elems []cty.Value) cty.Value {
	if len(elems) == 0 {
		return cty.ListValEmpty(ety)
	}
	return cty.ListVal(elems)
}

// valStrings makes a list(string) value.
func valStrings(ss []string) cty.Value {
	elems := make([]cty.Value, len(ss))
	for i, s := range ss {
		elems[i] = cty.StringVal(s)
	}
	return valList(cty.String, elems)
}

// valStringMap makes a map(string) value (an empty map for none).
func valStringMap(m map[string]string) cty.Value {
	if len(m) == 0 {
		return cty.MapValEmpty(cty.String)
	}
	vals := make(map[string]cty.Value, len(m))
	for k, v := range m {
		vals[k] = cty.StringVal(v)
	}
	return cty.MapVal(vals)
}

// valElemType returns the element type of a list attribute of the object type
// ty, or the type of a single-block attribute.
func valElemType(ty cty.Type, name string) cty.Type {
	at := ty.AttributeType(name)
	if at.IsListType() {
		return at.ElementType()
	}
	return at
}

// hclNumber renders a number the way HCL writes it.
func hclNumber(f float64) string {
	return new(big.Float).SetFloat64(f).Text('g', -1)
}

// wholeSeconds converts a duration such as "5s" to whole seconds,
// rounding up: AWS counts in seconds.
func wholeSeconds(s string) (int32, error) {
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, err
	}
	if d < 0 {
		return 0, errors.New("negative duration")
	}
	return int32(math.Ceil(d.Seconds())), nil
}

// spellsSeconds reports whether the duration spelled s is n seconds once
// rounded up: a spelling read back from a tag is kept only when it still
// says what AWS holds.
func spellsSeconds(s string, n int32) bool {
	got, err := wholeSeconds(s)
	return err == nil && got == n
}

// orderedKeys orders the keys of a map.
func orderedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
