package planner

import (
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
			if k, ok := kinds.Schema(kind); ok && k.Block.HasSensitive() {
				s = k
			}
			declares[kind] = s
		}
		return s
	}
	for _, c := range pl.Changes {
		if s := schemaOf(c.Kind); s != nil {
			c.SensitivePaths = s.SensitivePaths(c.Before, c.After)
		}
	}
	for _, d := range pl.Drift {
		if s := schemaOf(d.Kind); s != nil {
			d.SensitivePaths = s.SensitivePaths(d.Before, d.Actual)
		}
	}
}
