package stacks

import (
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/stagecraft/stagecraft/stacks/limits"
)

// exprValue evaluates expr in ctx after checking that its for expressions
// stay within limits.MaxElements iterations (limits.CheckForLoops). Every
// expression of a stack is evaluated through it.
func exprValue(expr hcl.Expression, ctx *hcl.EvalContext) (cty.Value, hcl.Diagnostics) {
	if diags := limits.CheckForLoops(expr, ctx); diags.HasErrors() {
		return cty.DynamicVal, diags
	}
	return expr.Value(ctx)
}
