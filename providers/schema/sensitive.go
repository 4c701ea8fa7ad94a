package schema

import "github.com/zclconf/go-cty/cty"

// HasSensitive reports whether b or a block inside it declares a
// sensitive attribute. Most kinds declare none, and callers skip walking
// their values.
func (b *Block) HasSensitive() bool {
	for _, a := range b.Attributes {
		if a.Sensitive {
			return true
		}
	}
	for _, nb := range b.Blocks {
		if nb.Block.HasSensitive() {
			return true
		}
	}
	return false
}

// SensitivePaths lists, once each, the outermost paths of values that the
// schema declares sensitive. Values a provider reports carry no marks:
// these paths are what lets a plan, a state and the stack's references
// hide a computed secret such as a generated password.
func (s *Schema) SensitivePaths(values ...cty.Value) []cty.Path {
	if !s.Block.HasSensitive() {
		return nil
	}
	var out []cty.Path
	for _, v := range values {
		if v == cty.NilVal {
			continue
		}
		v = Unmarked(v)
		_ = cty.Walk(v, func(p cty.Path, _ cty.Value) (bool, error) {
			if len(p) == 0 || !s.IsSensitive(p) {
				return true, nil
			}
			for _, q := range out {
				if q.Equals(p) {
					return false, nil
				}
			}
			out = append(out, p.Copy())
			return false, nil
		})
	}
	return out
}
