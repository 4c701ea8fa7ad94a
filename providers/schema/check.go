package schema

import (
	"fmt"
	"strings"

	"github.com/zclconf/go-cty/cty"
)

// Problems checks a wholly known value of the schema the way a cloud API
// rejects a malformed request: required attributes, each attribute's
// rules, the number of nested blocks, then (when those pass) the kind's
// rules. Each problem reads "path: what is wrong". Every provider checks
// what it is given with it before calling anything.
func (s *Schema) Problems(v cty.Value) []string {
	var probs []string
	s.Block.problems(nil, v, &probs)
	if len(probs) > 0 {
		return probs
	}
	for _, r := range s.Rules {
		for _, p := range r.Check(v) {
			probs = append(probs, PathString(p.Path)+": "+p.Summary+": "+strings.TrimSuffix(p.Detail, "."))
		}
	}
	return probs
}

func (b *Block) problems(path cty.Path, v cty.Value, probs *[]string) {
	for _, a := range b.Attributes {
		av := v.GetAttr(a.Name)
		ap := path.GetAttr(a.Name)
		if av.IsNull() {
			if a.Required {
				*probs = append(*probs, PathString(ap)+": required, but not set")
			}
			continue
		}
		if a.Computed && !a.Optional {
			continue // set by the provider; whatever was sent is overwritten
		}
		for _, rule := range a.Rules {
			if msg := rule.Check(av); msg != "" {
				*probs = append(*probs, PathString(ap)+": "+strings.TrimSuffix(msg, "."))
			}
		}
	}
	for _, nb := range b.Blocks {
		bv := v.GetAttr(nb.TypeName)
		bp := path.GetAttr(nb.TypeName)
		if nb.Nesting == NestingSingle {
			if bv.IsNull() {
				if nb.MinItems > 0 {
					*probs = append(*probs, PathString(bp)+": a "+nb.TypeName+" block is required")
				}
				continue
			}
			nb.Block.problems(bp, bv, probs)
			continue
		}
		n := 0
		if !bv.IsNull() {
			n = bv.LengthInt()
		}
		if n < nb.MinItems {
			*probs = append(*probs, fmt.Sprintf("%s: at least %d %s block(s) required, got %d", PathString(bp), nb.MinItems, nb.TypeName, n))
		}
		if nb.MaxItems > 0 && n > nb.MaxItems {
			*probs = append(*probs, fmt.Sprintf("%s: at most %d %s block(s) allowed, got %d", PathString(bp), nb.MaxItems, nb.TypeName, n))
		}
		for i := 0; i < n; i++ {
			ev := bv.Index(cty.NumberIntVal(int64(i)))
			if ev.IsNull() {
				*probs = append(*probs, PathString(bp.IndexInt(i))+": a "+nb.TypeName+" block cannot be null")
				continue
			}
			nb.Block.problems(bp.IndexInt(i), ev, probs)
		}
	}
}

// PathString renders a path the way stack files write it:
// route[0].weight, env["A"].
func PathString(p cty.Path) string {
	if len(p) == 0 {
		return "(the whole value)"
	}
	var sb strings.Builder
	for _, step := range p {
		switch s := step.(type) {
		case cty.GetAttrStep:
			if sb.Len() > 0 {
				sb.WriteByte('.')
			}
			sb.WriteString(s.Name)
		case cty.IndexStep:
			switch {
			case s.Key.Type() == cty.String && s.Key.IsKnown() && !s.Key.IsNull():
				fmt.Fprintf(&sb, "[%q]", s.Key.AsString())
			case s.Key.Type() == cty.Number && s.Key.IsKnown() && !s.Key.IsNull():
				fmt.Fprintf(&sb, "[%s]", s.Key.AsBigFloat().Text('f', -1))
			default:
				sb.WriteString("[?]")
			}
		}
	}
	return sb.String()
}
