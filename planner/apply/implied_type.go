package apply

import (
	"github.com/zclconf/go-cty/cty"

	"github.com/stagecraft/stagecraft/providers/schema"
)

// ImpliedType returns the implied type of a kind's schema, made once per
// schema and shared by every resource of the kind: a cty object type is a
// map of its attribute types, which ImpliedType builds afresh on every
// call, and values built with it keep it. Safe for concurrent use.
func (x *Executor) ImpliedType(s *schema.Schema) cty.Type {
	if ty, ok := x.types.Load(s); ok {
		return ty.(cty.Type)
	}
	ty, _ := x.types.LoadOrStore(s, s.ImpliedType())
	return ty.(cty.Type)
}
