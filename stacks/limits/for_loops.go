package limits

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// CheckForLoops refuses expr when its for expressions would iterate more
// than MaxElements times in all. A for expression nested in the body of
// another runs once per element of the outer one, so three nested loops
// over a thousand elements each iterate a billion times: HCL offers no hook
// inside that loop, so the product of the collections' lengths is worked
// out first, from the collections themselves (evaluated in ctx), and
// refused with the inner for expression's range when it is over the limit.
//
// A collection that refers to an enclosing for expression's variables
// cannot be measured before the loop runs and counts as one element; JSON
// expressions are not walked. An expression without a for expression costs
// a single walk.
func CheckForLoops(expr hcl.Expression, ctx *hcl.EvalContext) hcl.Diagnostics {
	node, ok := expr.(hclsyntax.Node)
	if !ok || !containsFor(node) {
		return nil
	}
	return walkForBudget(node, ctx, 1, nil)
}

// containsFor reports whether node or any expression inside it is a for
// expression.
func containsFor(node hclsyntax.Node) bool {
	found := false
	hclsyntax.VisitAll(node, func(n hclsyntax.Node) hcl.Diagnostics {
		if _, ok := n.(*hclsyntax.ForExpr); ok {
			found = true
		}
		return nil
	})
	return found
}

// walkForBudget checks node, whose expressions run mult times, with the
// iterator variables of the enclosing for expressions in iters.
func walkForBudget(node hclsyntax.Node, ctx *hcl.EvalContext, mult int64, iters map[string]bool) hcl.Diagnostics {
	w := &forBudgetWalker{ctx: ctx, mult: mult, iters: iters}
	diags := hclsyntax.Walk(node, w)
	return append(diags, w.diags...)
}

// forBudgetWalker handles each for expression it meets itself (its
// collection at the walker's multiplier, its body at the multiplier times
// the collection's length) and skips that expression's subtree in the
// outer walk.
type forBudgetWalker struct {
	ctx   *hcl.EvalContext
	mult  int64
	iters map[string]bool
	skip  hclsyntax.Node
	diags hcl.Diagnostics
}

func (w *forBudgetWalker) Enter(node hclsyntax.Node) hcl.Diagnostics {
	if w.skip != nil || w.diags.HasErrors() {
		return nil
	}
	f, ok := node.(*hclsyntax.ForExpr)
	if !ok {
		return nil
	}
	w.skip = f
	// The collection is evaluated once, before the loop: check it first,
	// so that measuring it cannot itself run away.
	if d := walkForBudget(f.CollExpr, w.ctx, w.mult, w.iters); d.HasErrors() {
		w.diags = append(w.diags, d...)
		return nil
	}
	n := w.collectionLength(f.CollExpr)
	total := w.mult * n
	if n > 0 && (total/n != w.mult || total > MaxElements) {
		w.diags = append(w.diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "For expression iterates too often",
			Detail: fmt.Sprintf("This for expression would run %d times (%d elements, inside loops that already run %d times), over the limit of %d iterations; loop over smaller collections.",
				total, n, w.mult, MaxElements),
			Subject: f.Range().Ptr(),
		})
		return nil
	}
	if n == 0 {
		// An empty collection runs its body never; nothing inside can
		// cost anything.
		return nil
	}
	inner := make(map[string]bool, len(w.iters)+2)
	for k := range w.iters {
		inner[k] = true
	}
	if f.KeyVar != "" {
		inner[f.KeyVar] = true
	}
	inner[f.ValVar] = true
	for _, body := range []hclsyntax.Expression{f.KeyExpr, f.ValExpr, f.CondExpr} {
		if body == nil {
			continue
		}
		if d := walkForBudget(body, w.ctx, total, inner); d.HasErrors() {
			w.diags = append(w.diags, d...)
			return nil
		}
	}
	return nil
}

func (w *forBudgetWalker) Exit(node hclsyntax.Node) hcl.Diagnostics {
	if node == w.skip {
		w.skip = nil
	}
	return nil
}

// collectionLength is the number of elements coll evaluates to, or 1 when
// that cannot be known before the loop runs (it refers to an enclosing
// loop's variables, is unknown, or fails: the evaluation proper reports
// the failure).
func (w *forBudgetWalker) collectionLength(coll hclsyntax.Expression) int64 {
	for _, tr := range coll.Variables() {
		if w.iters[tr.RootName()] {
			return 1
		}
	}
	v, diags := coll.Value(w.ctx)
	if diags.HasErrors() {
		return 1
	}
	v, _ = v.Unmark()
	if !v.IsKnown() || v.IsNull() || !v.CanIterateElements() {
		return 1
	}
	return int64(v.LengthInt())
}
