package providertest

import (
	"fmt"
	"slices"
	"strings"

	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"

	"github.com/stagecraft/stagecraft/providers/schema"
)

// configDiff lists where got differs from want on what a user configures:
// computed attributes are skipped, and an optional+computed attribute left
// null in want may hold anything (the provider picked it).
func configDiff(b *schema.Block, path cty.Path, want, got cty.Value) []string {
	want, _ = want.UnmarkDeep()
	got, _ = got.UnmarkDeep()
	if want.IsNull() || got.IsNull() || !want.IsKnown() || !got.IsKnown() {
		if want.RawEquals(got) {
			return nil
		}
		return []string{describe(path, want, got)}
	}
	var out []string
	for _, a := range b.Attributes {
		w, g := want.GetAttr(a.Name), got.GetAttr(a.Name)
		if a.Computed && (!a.Optional || w.IsNull()) {
			continue
		}
		for _, p := range valueDiff(path.GetAttr(a.Name), w, g) {
			out = append(out, describe(p, pathValue(want, path, p), pathValue(got, path, p)))
		}
	}
	for _, nb := range b.Blocks {
		w, g := want.GetAttr(nb.TypeName), got.GetAttr(nb.TypeName)
		p := path.GetAttr(nb.TypeName)
		if nb.Nesting != schema.NestingList {
			out = append(out, configDiff(&nb.Block, p, w, g)...)
			continue
		}
		if w.IsNull() || g.IsNull() || !w.IsKnown() || !g.IsKnown() || w.LengthInt() != g.LengthInt() {
			if !w.RawEquals(g) {
				out = append(out, describe(p, w, g))
			}
			continue
		}
		for i := 0; i < w.LengthInt(); i++ {
			idx := cty.NumberIntVal(int64(i))
			out = append(out, configDiff(&nb.Block, p.IndexInt(i), w.Index(idx), g.Index(idx))...)
		}
	}
	return out
}

// pathValue returns the value at the absolute path p inside v, which sits
// at base.
func pathValue(v cty.Value, base, p cty.Path) cty.Value {
	got, err := p[len(base):].Apply(v)
	if err != nil {
		return cty.NilVal
	}
	return got
}

// exactDiff lists every difference between want and got as sentences.
func exactDiff(want, got cty.Value) []string {
	want, _ = want.UnmarkDeep()
	got, _ = got.UnmarkDeep()
	var out []string
	for _, p := range valueDiff(nil, want, got) {
		out = append(out, describe(p, pathValue(want, nil, p), pathValue(got, nil, p)))
	}
	return out
}

// valueDiff returns the paths, under path, at which a and b differ: the
// deepest path where both still have the same shape.
func valueDiff(path cty.Path, a, b cty.Value) []cty.Path {
	a, _ = a.UnmarkDeep()
	b, _ = b.UnmarkDeep()
	if a.RawEquals(b) {
		return nil
	}
	if !a.Type().Equals(b.Type()) || a.IsNull() || b.IsNull() || !a.IsKnown() || !b.IsKnown() {
		return []cty.Path{path}
	}
	ty := a.Type()
	var out []cty.Path
	switch {
	case ty.IsObjectType():
		for name := range ty.AttributeTypes() {
			out = append(out, valueDiff(path.GetAttr(name), a.GetAttr(name), b.GetAttr(name))...)
		}
		sortPaths(out)
	case ty.IsListType() || ty.IsTupleType():
		if a.LengthInt() != b.LengthInt() {
			return []cty.Path{path}
		}
		for i := 0; i < a.LengthInt(); i++ {
			idx := cty.NumberIntVal(int64(i))
			out = append(out, valueDiff(path.IndexInt(i), a.Index(idx), b.Index(idx))...)
		}
	case ty.IsMapType():
		am, bm := a.AsValueMap(), b.AsValueMap()
		if len(am) != len(bm) {
			return []cty.Path{path}
		}
		for k, av := range am {
			bv, ok := bm[k]
			if !ok {
				return []cty.Path{path}
			}
			out = append(out, valueDiff(path.IndexString(k), av, bv)...)
		}
		sortPaths(out)
	default:
		out = []cty.Path{path}
	}
	return out
}

func sortPaths(ps []cty.Path) {
	slices.SortFunc(ps, func(a, b cty.Path) int { return strings.Compare(schema.PathString(a), schema.PathString(b)) })
}

func describe(p cty.Path, want, got cty.Value) string {
	return fmt.Sprintf("%s: got %s, want %s", schema.PathString(p), render(got), render(want))
}

// render shows a value as JSON, the way a reader of a test failure wants it.
func render(v cty.Value) string {
	switch {
	case v == cty.NilVal:
		return "(absent)"
	case !v.IsKnown():
		return "(unknown)"
	case v.IsNull():
		return "null"
	}
	v, _ = v.UnmarkDeep()
	b, err := ctyjson.Marshal(v, v.Type())
	if err != nil {
		return v.GoString()
	}
	return string(b)
}
