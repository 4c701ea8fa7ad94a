package planner

import (
	"github.com/zclconf/go-cty/cty"

	"github.com/stagecraft/stagecraft/planner/plan"
	"github.com/stagecraft/stagecraft/providers/kinds"
	"github.com/stagecraft/stagecraft/providers/schema"
)

// recordSensitivePaths writes on each change and drift the attributes its
// kind's schema declares sensitive. Values read from a provider carry no
// marks, so this is what lets whoever shows or saves the plan hide them
// without knowing kinds.
func recordSensitivePaths(pl *plan.Plan) {
	// Most kinds declare nothing sensitive; their values are not walked.
	declares := map[string]*schema.Schema{}
	schemaOf := func(kind string) *schema.Schema {
		s, seen := declares[kind]
		if !seen {
			if k, ok := kinds.Schema(kind); ok && hasSensitive(&k.Block) {
				s = k
			}
			declares[kind] = s
		}
		return s
	}
	for _, c := range pl.Changes {
		if s := schemaOf(c.Kind); s != nil {
			c.SensitivePaths = declaredSensitive(s, c.Before, c.After)
		}
	}
	for _, d := range pl.Drift {
		if s := schemaOf(d.Kind); s != nil {
			d.SensitivePaths = declaredSensitive(s, d.Before, d.Actual)
		}
	}
}

// hasSensitive reports whether b or a block inside it declares a
// sensitive attribute.
func hasSensitive(b *schema.Block) bool {
	return anyAttribute(b, func(a *schema.Attribute) bool { return a.Sensitive })
}

// declaredSensitive lists, once each, the outermost paths of values that
// the schema declares sensitive.
func declaredSensitive(s *schema.Schema, values ...cty.Value) []cty.Path {
	var out []cty.Path
	for _, v := range values {
		if v == cty.NilVal {
			continue
		}
		v, _ = v.UnmarkDeep()
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
