package funcs

import (
	"errors"
	"maps"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"

	"github.com/stagecraft/stagecraft/stacks/limits"
)

// templateFileFunc builds templatefile(path, vars): the file at path, read as
// an HCL string template and rendered with the attributes of vars as its
// variables and the functions of table.
//
// Inside the template, templatefile itself is replaced by a function that
// always fails, as Terraform does: a template that renders itself would never
// end, and the failure says so more clearly than "unknown function" would.
// table is copied, so later changes to it do not reach templates.
func (r fileReader) templateFileFunc(table map[string]function.Function) function.Function {
	params := []function.Parameter{
		{Name: "path", Type: cty.String},
		{Name: "vars", Type: cty.DynamicPseudoType},
	}
	funcs := maps.Clone(table)
	funcs["templatefile"] = function.New(&function.Spec{
		Description: "Fails: templatefile cannot be called from inside a template.",
		Params:      params,
		Type: func([]cty.Value) (cty.Type, error) {
			return cty.NilType, errors.New("templatefile cannot be called from inside a template rendered by templatefile, because a template could then render itself forever")
		},
	})

	// render reads, parses and evaluates the template. The function's Type
	// step renders it already, because a template that is one interpolation
	// ("${jsonencode(x)}") can produce a value of any type.
	render := func(args []cty.Value) (cty.Value, error) {
		p := args[0].AsString()
		src, err := r.read("templatefile", p)
		if err != nil {
			return cty.DynamicVal, function.NewArgError(0, err)
		}
		if diags := limits.CheckTemplate(src, p, hcl.InitialPos); diags.HasErrors() {
			return cty.DynamicVal, function.NewArgError(0, diags)
		}
		expr, diags := hclsyntax.ParseTemplate(src, p, hcl.InitialPos)
		if diags.HasErrors() {
			return cty.DynamicVal, function.NewArgError(0, diags)
		}
		return renderTemplate(expr, args[1], funcs)
	}

	return function.New(&function.Spec{
		Description: "Renders an HCL string template read from a file, whose path is relative to the directory of the stack file, with the given variables.",
		Params:      params,
		Type: func(args []cty.Value) (cty.Type, error) {
			if !args[0].IsKnown() || !args[1].IsKnown() {
				return cty.DynamicPseudoType, nil
			}
			val, err := render(args)
			return val.Type(), err
		},
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			return render(args)
		},
	})
}

// renderTemplate evaluates a parsed template with the attributes of vars as
// its variables. It checks first that every variable the template refers to
// is in vars, to name a missing one in words about templatefile rather than
// in HCL's general message about unknown variables.
func renderTemplate(expr hclsyntax.Expression, vars cty.Value, funcs map[string]function.Function) (cty.Value, error) {
	ty := vars.Type()
	if !ty.IsMapType() && !ty.IsObjectType() {
		return cty.DynamicVal, function.NewArgErrorf(1, "the template variables must be a map or an object, such as { name = \"web\" }, not a %s", ty.FriendlyName())
	}
	variables := vars.AsValueMap()
	for name := range variables {
		if !hclsyntax.ValidIdentifier(name) {
			return cty.DynamicVal, function.NewArgErrorf(1, "template variable name %q is not a valid identifier, so the template could not refer to it; use letters, digits, underscores and dashes, starting with a letter", name)
		}
	}
	for _, traversal := range expr.Variables() {
		root := traversal.RootName()
		if _, ok := variables[root]; !ok {
			return cty.DynamicVal, function.NewArgErrorf(1, "the template refers to the variable %q at %s, but vars has no %q; add it to the vars argument", root, traversal.SourceRange(), root)
		}
	}
	ctx := &hcl.EvalContext{Variables: variables, Functions: funcs}
	if diags := limits.CheckForLoops(expr, ctx); diags.HasErrors() {
		return cty.DynamicVal, diags
	}
	val, diags := expr.Value(ctx)
	if diags.HasErrors() {
		return cty.DynamicVal, diags
	}
	return val, nil
}
