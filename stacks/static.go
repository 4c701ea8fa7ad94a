package stacks

import (
	"fmt"
	"sort"
	"strings"

	"github.com/agext/levenshtein"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// This file holds helpers for attributes whose values must be known while
// loading: names, descriptions, flags and address lists.

func constValue(a *hcl.Attribute, ty cty.Type, what string) (cty.Value, hcl.Diagnostics) {
	v, diags := exprValue(a.Expr, nil)
	if diags.HasErrors() {
		for _, d := range diags {
			if d.Summary == "Variables not allowed" || d.Summary == "Function calls not allowed" {
				d.Detail = fmt.Sprintf("%s must be a literal value here, written directly; references and function calls are not evaluated in this position.", a.Name)
			}
		}
		return cty.NullVal(ty), diags
	}
	if !v.IsWhollyKnown() {
		return cty.NullVal(ty), hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Invalid attribute value",
			Detail:  fmt.Sprintf("%s must be %s, written directly.", a.Name, what),
			Subject: a.Expr.Range().Ptr()}}
	}
	c, err := convert.Convert(v, ty)
	if err != nil || c.IsNull() {
		return cty.NullVal(ty), hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Incorrect attribute value type",
			Detail:  fmt.Sprintf("%s must be %s.", a.Name, what),
			Subject: a.Expr.Range().Ptr()}}
	}
	return c, nil
}

func constString(a *hcl.Attribute) (string, hcl.Diagnostics) {
	v, diags := constValue(a, cty.String, "a string")
	if v.IsNull() {
		return "", diags
	}
	return v.AsString(), diags
}

func constBool(a *hcl.Attribute) (bool, hcl.Diagnostics) {
	v, diags := constValue(a, cty.Bool, "true or false")
	if v.IsNull() {
		return false, diags
	}
	return v.True(), diags
}

// constAttr sets *into from the constant attribute name of a block's
// content, read with read (constString, constBool); a block without it
// leaves *into as it was (the default).
func constAttr[T any](content *hcl.BodyContent, name string, read func(*hcl.Attribute) (T, hcl.Diagnostics), into *T) hcl.Diagnostics {
	a, ok := content.Attributes[name]
	if !ok {
		return nil
	}
	v, diags := read(a)
	*into = v
	return diags
}

// constName reads a name given as a string ("local") or a bare word (local).
func constName(a *hcl.Attribute) (string, hcl.Diagnostics) {
	if tr, d := hcl.AbsTraversalForExpr(a.Expr); !d.HasErrors() && len(tr) == 1 {
		return tr.RootName(), nil
	}
	return constString(a)
}

// traversalList reads a list of references such as depends_on.
func traversalList(expr hcl.Expression) ([]hcl.Traversal, hcl.Diagnostics) {
	exprs, diags := hcl.ExprList(expr)
	var out []hcl.Traversal
	for _, e := range exprs {
		tr, d := hcl.AbsTraversalForExpr(e)
		if d.HasErrors() {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid reference",
				Detail:  "Each element must be a reference to a resource or module, such as cache.sessions or module.web, written without quotes.",
				Subject: e.Range().Ptr()})
			continue
		}
		out = append(out, tr)
	}
	return out, diags
}

// dependsOnList reads depends_on: references to resources and modules only.
func dependsOnList(expr hcl.Expression) ([]hcl.Traversal, hcl.Diagnostics) {
	trs, diags := traversalList(expr)
	var out []hcl.Traversal
	for _, tr := range trs {
		root := tr.RootName()
		if (root == "module" || isKind(root)) && len(tr) >= 2 {
			out = append(out, tr)
			continue
		}
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid depends_on entry",
			Detail:  fmt.Sprintf("depends_on lists resources and modules, such as cache.sessions or module.web; %s is not one. A value used in an expression already creates the dependencies it needs.", traversalString(tr)),
			Subject: tr.SourceRange().Ptr()})
	}
	return out, diags
}

// addressList reads a list of resource or module addresses, written as
// references or as strings.
func addressList(expr hcl.Expression) ([]string, []hcl.Range, hcl.Diagnostics) {
	exprs, diags := hcl.ExprList(expr)
	var addrs []string
	var ranges []hcl.Range
	for _, e := range exprs {
		tr, d := hcl.AbsTraversalForExpr(e)
		if d.HasErrors() {
			v, vd := exprValue(e, nil)
			if vd.HasErrors() || v.Type() != cty.String || v.IsNull() {
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid address",
					Detail:  "Each element must be a resource or module address, such as \"cache.old\" or \"module.web\".",
					Subject: e.Range().Ptr()})
				continue
			}
			var pd hcl.Diagnostics
			tr, pd = hclsyntax.ParseTraversalAbs([]byte(v.AsString()), e.Range().Filename, e.Range().Start)
			if pd.HasErrors() {
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid address",
					Detail:  fmt.Sprintf("%q is not an address; write one such as \"cache.old\" or \"module.web\".", v.AsString()),
					Subject: e.Range().Ptr()})
				continue
			}
		}
		addr, ok := blockAddress(tr)
		if !ok {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid address",
				Detail:  fmt.Sprintf("%s is not a resource or module address; write KIND.NAME (such as cache.old) or module.NAME.", traversalString(tr)),
				Subject: e.Range().Ptr()})
			continue
		}
		addrs = append(addrs, addr)
		ranges = append(ranges, e.Range())
	}
	return addrs, ranges, diags
}

// blockAddress turns KIND.NAME or module.NAME into an address string.
func blockAddress(tr hcl.Traversal) (string, bool) {
	if len(tr) != 2 {
		return "", false
	}
	attr, ok := tr[1].(hcl.TraverseAttr)
	if !ok {
		return "", false
	}
	root := tr.RootName()
	if root != "module" && !isKind(root) {
		return "", false
	}
	return root + "." + attr.Name, true
}

func checkName(what, name string, rng hcl.Range) hcl.Diagnostics {
	if hclsyntax.ValidIdentifier(name) {
		return nil
	}
	return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Invalid " + what + " name",
		Detail:  fmt.Sprintf("%q is not a valid name: a name starts with a letter or underscore and has only letters, digits, underscores and dashes.", name),
		Subject: rng.Ptr()}}
}

// traversalString renders a traversal as written (cache.sessions[0].endpoint).
func traversalString(tr hcl.Traversal) string {
	var b strings.Builder
	for i, step := range tr {
		switch s := step.(type) {
		case hcl.TraverseRoot:
			b.WriteString(s.Name)
		case hcl.TraverseAttr:
			b.WriteString("." + s.Name)
		case hcl.TraverseIndex:
			b.WriteString("[" + keyString(s.Key) + "]")
		case hcl.TraverseSplat:
			b.WriteString("[*]")
		default:
			if i > 0 {
				b.WriteString("...")
			}
		}
	}
	return b.String()
}

func keyString(k cty.Value) string {
	if !k.IsKnown() || k.IsNull() {
		return "?"
	}
	switch k.Type() {
	case cty.String:
		return fmt.Sprintf("%q", k.AsString())
	case cty.Number:
		return k.AsBigFloat().Text('f', -1)
	}
	return "?"
}

// suggestion returns " Did you mean "x"?" for the closest candidate, or "".
func suggestion(given string, candidates []string) string {
	best, bestDist := "", 3
	for _, c := range candidates {
		if d := levenshtein.Distance(given, c, nil); d < bestDist {
			best, bestDist = c, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" Did you mean %q?", best)
}

// sortedAttributes returns attributes in source order.
func sortedAttributes(attrs hcl.Attributes) []*hcl.Attribute {
	out := make([]*hcl.Attribute, 0, len(attrs))
	for _, a := range attrs {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool {
		ri, rj := out[i].Range, out[j].Range
		if ri.Filename != rj.Filename {
			return ri.Filename < rj.Filename
		}
		return ri.Start.Byte < rj.Start.Byte
	})
	return out
}
