package edit

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"
)

// exprSource is an expression's text as written.
func exprSource(e *hclwrite.Expression) string {
	return strings.TrimSpace(string(e.BuildTokens(nil).Bytes()))
}

// rawTokens lexes an expression into tokens for SetAttributeRaw.
func rawTokens(expr string) hclwrite.Tokens {
	f, diags := hclwrite.ParseConfig([]byte("x = "+expr+"\n"), "expr", hcl.InitialPos)
	if diags.HasErrors() {
		panic(fmt.Sprintf("built expression does not parse: %s\n%s", diags, expr)) // our bug
	}
	return f.Body().GetAttribute("x").Expr().BuildTokens(nil)
}

// detachedCopy copies a block (with its comments) into a tree of its own,
// so it can be appended elsewhere without touching the original.
func detachedCopy(b *hclwrite.Block) *hclwrite.Block {
	f, diags := hclwrite.ParseConfig(b.BuildTokens(nil).Bytes(), "block", hcl.InitialPos)
	if diags.HasErrors() {
		panic(fmt.Sprintf("copied block does not parse: %s", diags)) // it parsed as part of its file
	}
	nb := f.Body().Blocks()[0]
	f.Body().RemoveBlock(nb)
	return nb
}

// object is an object constructor's items as written.
type object struct {
	items []objectItem
}

type objectItem struct {
	key string // the key's value, or its text when not a constant
	src string // "KEY = value" as written
}

// parseObject reads { KEY = value, ... } written as an object constructor.
func parseObject(src string) (*object, bool) {
	expr, diags := hclsyntax.ParseExpression([]byte(src), "env", hcl.InitialPos)
	if diags.HasErrors() {
		return nil, false
	}
	oc, ok := expr.(*hclsyntax.ObjectConsExpr)
	if !ok {
		return nil, false
	}
	text := func(r hcl.Range) string { return src[r.Start.Byte:r.End.Byte] }
	out := &object{}
	for _, it := range oc.Items {
		key := text(it.KeyExpr.Range())
		if v, d := it.KeyExpr.Value(nil); !d.HasErrors() && v.IsKnown() && !v.IsNull() && v.Type() == cty.String {
			key = v.AsString()
		}
		out.items = append(out.items, objectItem{key: key, src: text(it.KeyExpr.Range()) + " = " + text(it.ValueExpr.Range())})
	}
	return out, true
}

// routePath is a route's path, normalised ("/orders/*" and "/orders/" are
// the same path), and as written for messages.
func routePath(b *hclwrite.Block) (norm, shown string) {
	a := b.Body().GetAttribute("path")
	if a == nil {
		return "/", "/"
	}
	src := exprSource(a.Expr())
	expr, diags := hclsyntax.ParseExpression([]byte(src), "path", hcl.InitialPos)
	if diags.HasErrors() {
		return src, src
	}
	v, d := expr.Value(nil)
	if d.HasErrors() || !v.IsKnown() || v.IsNull() || v.Type() != cty.String {
		return src, src
	}
	return strings.TrimSuffix(v.AsString(), "*"), v.AsString()
}
