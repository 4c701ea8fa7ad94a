// Package marks holds the cty marks Stagecraft puts on values. It imports
// only cty, so the plan data (planner/plan) can keep the marks when it
// saves and loads values without linking the stack language.
package marks

import "github.com/zclconf/go-cty/cty"

// Sensitive is the cty mark carried by every value that must not be
// printed: sensitive variables and outputs, sensitive attributes, and
// everything computed from them.
const Sensitive = sensitiveMark("sensitive")

// sensitiveMark is a type of its own, so no other package's string can be
// mistaken for the mark.
type sensitiveMark string

// HasSensitive reports whether v or any value inside it carries the
// Sensitive mark.
func HasSensitive(v cty.Value) bool {
	_, pvm := v.UnmarkDeepWithPaths()
	for _, p := range pvm {
		if _, ok := p.Marks[Sensitive]; ok {
			return true
		}
	}
	return false
}
