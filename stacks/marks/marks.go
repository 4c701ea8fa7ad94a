// Package marks holds the cty marks Stagecraft puts on values. It imports
// nothing but cty's conventions, so the plan data (planner/plan) can keep
// the marks when it saves and loads values without linking the stack
// language.
package marks

// Sensitive is the cty mark carried by every value that must not be
// printed: sensitive variables and outputs, sensitive attributes, and
// everything computed from them.
const Sensitive = sensitiveMark("sensitive")

// sensitiveMark is a type of its own, so no other package's string can be
// mistaken for the mark.
type sensitiveMark string
