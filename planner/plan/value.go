package plan

import (
	"encoding/json"
	"fmt"

	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"

	"github.com/stagecraft/stagecraft/stacks/marks"
)

// EncodedValue is a cty value in JSON form, as plan files and the JSON plan
// carry it. Unknown values are null in Value and true in Unknown (a tree of
// the same shape); sensitive ones are true in Sensitive and, when redacted,
// null in Value.
type EncodedValue struct {
	Type      json.RawMessage `json:"type,omitempty"`
	Value     json.RawMessage `json:"value"`
	Unknown   json.RawMessage `json:"unknown,omitempty"`
	Sensitive json.RawMessage `json:"sensitive,omitempty"`
}

// EncodeValue encodes v. With redact, sensitive values are left out so the
// result can be shown to people; without, it round-trips through
// DecodeValue (plan files).
func EncodeValue(v cty.Value, redact bool) (*EncodedValue, error) {
	if v == cty.NilVal {
		return nil, nil
	}
	unmarked, pvm := v.UnmarkDeepWithPaths()
	sensPaths := make([]cty.Path, 0, len(pvm))
	for _, p := range pvm {
		if _, ok := p.Marks[marks.Sensitive]; ok {
			sensPaths = append(sensPaths, p.Path)
		}
	}
	plainVal := nullUnknowns(unmarked)
	if redact {
		for _, p := range sensPaths {
			plainVal = nullAt(plainVal, p)
		}
	}
	ty := unmarked.Type()
	js, err := ctyjson.Marshal(plainVal, ty)
	if err != nil {
		return nil, fmt.Errorf("encode value: %w", err)
	}
	out := &EncodedValue{Value: js}
	if !redact {
		tj, err := ctyjson.MarshalType(ty)
		if err != nil {
			return nil, fmt.Errorf("encode type: %w", err)
		}
		out.Type = tj
	}
	if m, any := unknownMirror(unmarked); any {
		out.Unknown, _ = json.Marshal(m)
	}
	if len(sensPaths) > 0 {
		out.Sensitive, _ = json.Marshal(pathsMirror(unmarked, sensPaths))
	}
	return out, nil
}

// DecodeValue reverses EncodeValue (without redaction).
func DecodeValue(e *EncodedValue) (cty.Value, error) {
	if e == nil {
		return cty.NilVal, nil
	}
	ty, err := ctyjson.UnmarshalType(e.Type)
	if err != nil {
		return cty.NilVal, fmt.Errorf("decode type: %w", err)
	}
	v, err := ctyjson.Unmarshal(e.Value, ty)
	if err != nil {
		return cty.NilVal, fmt.Errorf("decode value: %w", err)
	}
	if len(e.Unknown) > 0 {
		var m any
		if err := json.Unmarshal(e.Unknown, &m); err != nil {
			return cty.NilVal, fmt.Errorf("decode unknowns: %w", err)
		}
		v = applyMirror(v, m, func(v cty.Value) cty.Value { return cty.UnknownVal(v.Type()) })
	}
	if len(e.Sensitive) > 0 {
		var m any
		if err := json.Unmarshal(e.Sensitive, &m); err != nil {
			return cty.NilVal, fmt.Errorf("decode sensitive paths: %w", err)
		}
		v = applyMirror(v, m, func(v cty.Value) cty.Value { return v.Mark(marks.Sensitive) })
	}
	return v, nil
}

// nullUnknowns replaces every unknown value with a null of its type.
func nullUnknowns(v cty.Value) cty.Value {
	out, _ := cty.Transform(v, func(_ cty.Path, v cty.Value) (cty.Value, error) {
		if !v.IsKnown() {
			return cty.NullVal(v.Type()), nil
		}
		return v, nil
	})
	return out
}

func nullAt(v cty.Value, p cty.Path) cty.Value {
	out, _ := cty.Transform(v, func(q cty.Path, v cty.Value) (cty.Value, error) {
		if q.Equals(p) {
			return cty.NullVal(v.Type()), nil
		}
		return v, nil
	})
	return out
}

// unknownMirror builds the Unknown tree: true where v is unknown, objects
// and arrays where something inside is.
func unknownMirror(v cty.Value) (any, bool) {
	if !v.IsKnown() {
		return true, true
	}
	if v.IsNull() {
		return false, false
	}
	ty := v.Type()
	switch {
	case ty.IsObjectType() || ty.IsMapType():
		m := map[string]any{}
		for it := v.ElementIterator(); it.Next(); {
			k, e := it.Element()
			if sub, ok := unknownMirror(e); ok {
				m[k.AsString()] = sub
			}
		}
		return m, len(m) > 0
	case ty.IsListType() || ty.IsTupleType() || ty.IsSetType():
		var l []any
		any := false
		for it := v.ElementIterator(); it.Next(); {
			_, e := it.Element()
			sub, ok := unknownMirror(e)
			if !ok {
				sub = false
			}
			any = any || ok
			l = append(l, sub)
		}
		return l, any
	}
	return false, false
}

// pathsMirror builds a tree that is true at each of paths.
func pathsMirror(v cty.Value, paths []cty.Path) any {
	var root any = map[string]any{}
	for _, p := range paths {
		if len(p) == 0 {
			return true
		}
		root = setMirror(root, v, p)
	}
	return root
}

func setMirror(node any, v cty.Value, p cty.Path) any {
	if len(p) == 0 {
		return true
	}
	switch s := p[0].(type) {
	case cty.GetAttrStep:
		m, ok := node.(map[string]any)
		if !ok {
			m = map[string]any{}
		}
		var child cty.Value
		if v.IsKnown() && !v.IsNull() && v.Type().IsObjectType() && v.Type().HasAttribute(s.Name) {
			child = v.GetAttr(s.Name)
		}
		m[s.Name] = setMirror(m[s.Name], child, p[1:])
		return m
	case cty.IndexStep:
		if s.Key.Type() == cty.String {
			m, ok := node.(map[string]any)
			if !ok {
				m = map[string]any{}
			}
			var child cty.Value
			if v != cty.NilVal && v.IsKnown() && !v.IsNull() {
				child = v.Index(s.Key)
			}
			m[s.Key.AsString()] = setMirror(m[s.Key.AsString()], child, p[1:])
			return m
		}
		n := 0
		if v != cty.NilVal && v.IsKnown() && !v.IsNull() && v.CanIterateElements() {
			n = v.LengthInt()
		}
		l, ok := node.([]any)
		if !ok {
			l = make([]any, n)
			for i := range l {
				l[i] = false
			}
		}
		i, _ := s.Key.AsBigFloat().Int64()
		for int(i) >= len(l) {
			l = append(l, false)
		}
		var child cty.Value
		if v != cty.NilVal && v.IsKnown() && !v.IsNull() {
			child = v.Index(s.Key)
		}
		l[i] = setMirror(l[i], child, p[1:])
		return l
	}
	return node
}

// applyMirror applies fn wherever the mirror tree m is true.
func applyMirror(v cty.Value, m any, fn func(cty.Value) cty.Value) cty.Value {
	switch mm := m.(type) {
	case bool:
		if mm {
			return fn(v)
		}
		return v
	case map[string]any:
		if v.IsNull() || !v.IsKnown() {
			return v
		}
		ty := v.Type()
		if ty.IsObjectType() {
			attrs := v.AsValueMap()
			for k, sub := range mm {
				if a, ok := attrs[k]; ok {
					attrs[k] = applyMirror(a, sub, fn)
				}
			}
			return cty.ObjectVal(attrs)
		}
		if ty.IsMapType() {
			elems := v.AsValueMap()
			for k, sub := range mm {
				if a, ok := elems[k]; ok {
					elems[k] = applyMirror(a, sub, fn)
				}
			}
			if len(elems) == 0 {
				return v
			}
			return cty.MapVal(elems)
		}
	case []any:
		if v.IsNull() || !v.IsKnown() {
			return v
		}
		ty := v.Type()
		elems := v.AsValueSlice()
		for i := range elems {
			if i < len(mm) {
				elems[i] = applyMirror(elems[i], mm[i], fn)
			}
		}
		switch {
		case ty.IsListType():
			if len(elems) == 0 {
				return v
			}
			return cty.ListVal(elems)
		case ty.IsTupleType():
			return cty.TupleVal(elems)
		case ty.IsSetType():
			if len(elems) == 0 {
				return v
			}
			return cty.SetVal(elems)
		}
	}
	return v
}

// ValuesEqual reports whether two values are the same, so that the
// planner and the rendered diff agree on what a change changes: an unknown
// value is never equal to anything, and marks are ignored (sensitivity is
// decided by path).
//
// It compares the marked values as they are: cty's checks and Equals see
// through marks, and unmarking whole values first would copy every value
// the planner diffs (a no-op plan compares every attribute of every
// resource).
func ValuesEqual(a, b cty.Value) bool {
	if !a.IsWhollyKnown() || !b.IsWhollyKnown() {
		return false
	}
	if a.IsNull() || b.IsNull() {
		return a.IsNull() && b.IsNull()
	}
	if !a.Type().Equals(b.Type()) {
		return false
	}
	eq, _ := a.Equals(b).Unmark()
	return eq.IsKnown() && eq.True()
}
