package stacks

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/stagecraft/stagecraft/stacks/limits"
	"github.com/stagecraft/stagecraft/stacks/stackfs"
)

// EnvVarPrefix starts the names of environment variables that set stack
// variables: STAGECRAFT_VAR_app_port=9090.
const EnvVarPrefix = "STAGECRAFT_VAR_"

// varValue is a candidate value for a root variable and where it came from.
type varValue struct {
	val cty.Value
	rng *hcl.Range
	// origin says where a value without a source range came from
	// ("-var app_port").
	origin string
}

// rootVariables gathers root variable values. Later sources win: the
// variable's default, the environment block's variables, STAGECRAFT_VAR_
// environment variables, then -var-file and -var in command-line order.
func (sc *scope) rootVariables(vars []*Variable, env *Environment, req Request) {
	decl := map[string]*Variable{}
	var names []string
	for _, v := range vars {
		decl[v.Name] = v
		names = append(names, v.Name)
	}
	set := map[string]varValue{}
	if env != nil && env.Variables != nil {
		pairs, d := hcl.ExprMap(env.Variables)
		if d.HasErrors() {
			sc.errorf(env.Variables.Range(), "Invalid environment variables", "variables must be an object such as { app_port = 9090 }.")
		}
		for _, kv := range pairs {
			name := hcl.ExprAsKeyword(kv.Key)
			if name == "" {
				kval, kd := exprValue(kv.Key, nil)
				if kd.HasErrors() || kval.Type() != cty.String || kval.IsNull() {
					sc.errorf(kv.Key.Range(), "Invalid variable name", "Each key of variables is a variable name.")
					continue
				}
				name = kval.AsString()
			}
			if _, ok := decl[name]; !ok {
				sc.errorf(kv.Key.Range(), "Value for undeclared variable",
					"Environment %q sets %q, but the stack declares no such variable.%s Declare it with a variable block, or remove it here.", env.Name, name, suggestion(name, names))
				continue
			}
			val, vd := exprValue(kv.Value, &hcl.EvalContext{Functions: sc.funcs})
			sc.addDiags(vd)
			if vd.HasErrors() {
				continue
			}
			r := kv.Value.Range()
			set[name] = varValue{val: val, rng: &r}
		}
	}
	if req.Getenv != nil {
		for _, v := range vars {
			raw := req.Getenv(EnvVarPrefix + v.Name)
			if raw == "" {
				continue
			}
			val, d := parseRawVar(v, raw, EnvVarPrefix+v.Name)
			sc.addDiags(d)
			if !d.HasErrors() {
				set[v.Name] = varValue{val: val, origin: EnvVarPrefix + v.Name}
			}
		}
	}
	for _, in := range req.Vars {
		if in.File != "" {
			for name, vv := range sc.readVarFile(in.File, in.Source, decl, names) {
				set[name] = vv
			}
			continue
		}
		v, ok := decl[in.Name]
		if !ok {
			sc.ev.diags = append(sc.ev.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Value for undeclared variable",
				Detail: fmt.Sprintf("-var sets %q, but the stack declares no such variable.%s Declare it with a variable block, or check the name.", in.Name, suggestion(in.Name, names))})
			continue
		}
		val, d := parseRawVar(v, in.Value, "-var "+in.Name)
		sc.addDiags(d)
		if !d.HasErrors() {
			set[in.Name] = varValue{val: val, origin: "-var " + in.Name}
		}
	}
	for _, v := range vars {
		vv, ok := set[v.Name]
		switch {
		case ok:
		case v.Default != cty.NilVal:
			vv = varValue{val: v.Default}
		case sc.ev.mode == modeValidate:
			vv = varValue{val: cty.UnknownVal(v.Type)}
		default:
			r := v.DeclRange
			sc.ev.diags = append(sc.ev.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "No value for required variable",
				Detail: fmt.Sprintf("Variable %q has no default, so it needs a value: set it in the environment block (variables = { %s = ... }), with -var %s=VALUE, in a -var-file, or as %s%s.",
					v.Name, v.Name, v.Name, EnvVarPrefix, v.Name),
				Subject: &r})
			vv = varValue{val: cty.UnknownVal(v.Type)}
		}
		sc.vars[v.Name] = sc.finishVariable(v, vv.val, vv.rng, vv.origin)
		sc.varRanges[v.Name] = vv.rng
	}
}

// readVarFile reads a -var-file: HCL attributes, or a JSON object when the
// name ends in .json. The path comes from the command line, so it may lie
// outside the stack directory (as in Terraform); the file must still be a
// regular file within limits.MaxFileSize.
func (sc *scope) readVarFile(path string, source []byte, decl map[string]*Variable, names []string) map[string]varValue {
	src, err := source, error(nil)
	if src == nil {
		src, err = stackfs.ReadPath(path)
	}
	if err != nil {
		sc.ev.diags = append(sc.ev.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Cannot read variable file",
			Detail: fmt.Sprintf("Reading -var-file %s failed: %s. A variable file must be a regular file of at most %s.", path, stackfs.Describe(err), limits.Size(limits.MaxFileSize))})
		return nil
	}
	f, d := parseSource(src, strings.HasSuffix(path, ".json"), path)
	sc.addDiags(d)
	if f == nil || d.HasErrors() {
		return nil
	}
	attrs, ad := f.Body.JustAttributes()
	sc.addDiags(ad)
	out := map[string]varValue{}
	for _, a := range sortedAttributes(attrs) {
		if _, ok := decl[a.Name]; !ok {
			r := a.NameRange
			sc.ev.diags = append(sc.ev.diags, &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: "Value for undeclared variable",
				Detail:  fmt.Sprintf("The file sets %q, but the stack declares no such variable, so it is ignored.%s", a.Name, suggestion(a.Name, names)),
				Subject: &r})
			continue
		}
		val, vd := exprValue(a.Expr, nil)
		sc.addDiags(vd)
		if vd.HasErrors() {
			continue
		}
		r := a.Expr.Range()
		out[a.Name] = varValue{val: val, rng: &r}
	}
	return out
}

// parseRawVar reads a value given as text (-var, environment variables):
// as a plain string for primitive types, as an HCL expression otherwise.
func parseRawVar(v *Variable, raw, origin string) (cty.Value, hcl.Diagnostics) {
	if v.Type.IsPrimitiveType() || v.Type == cty.DynamicPseudoType {
		return cty.StringVal(raw), nil
	}
	if d := limits.CheckNative([]byte(raw), origin, hcl.InitialPos); d.HasErrors() {
		return cty.DynamicVal, d
	}
	expr, d := hclsyntax.ParseExpression([]byte(raw), origin, hcl.InitialPos)
	if d.HasErrors() {
		return cty.DynamicVal, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Invalid value for variable",
			Detail: fmt.Sprintf("%s: variable %q is %s, so its value is written as an expression, such as [\"a\", \"b\"] or { key = \"value\" }; %q does not parse.", origin, v.Name, typeexpr.TypeString(v.Type), raw)}}
	}
	val, vd := exprValue(expr, nil)
	if vd.HasErrors() {
		return cty.DynamicVal, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Invalid value for variable",
			Detail: fmt.Sprintf("%s: the value of variable %q must be a literal value; references and function calls are not evaluated here.", origin, v.Name)}}
	}
	return val, nil
}

// finishVariable converts a value to the variable's type, applies the
// type's attribute defaults, checks nullability and marks sensitive values.
func (sc *scope) finishVariable(v *Variable, val cty.Value, rng *hcl.Range, origin string) cty.Value {
	subject := rng
	if subject == nil {
		r := v.DeclRange
		subject = &r
	}
	if v.typeDefaults != nil && !val.IsNull() && val.IsKnown() {
		val = v.typeDefaults.Apply(val)
	}
	conv, err := convert.Convert(val, v.Type)
	if err != nil {
		given := ""
		if origin != "" {
			given = fmt.Sprintf(" (the value comes from %s)", origin)
		}
		sc.ev.diags = append(sc.ev.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid value for variable",
			Detail: fmt.Sprintf("Variable %q must be %s%s: %s.", v.Name, typeexpr.TypeString(v.Type), given, err), Subject: subject})
		conv = cty.UnknownVal(v.Type)
	}
	if conv.IsNull() && !v.Nullable {
		switch {
		case v.Default != cty.NilVal && !v.Default.IsNull():
			conv = v.Default
		case v.Default != cty.NilVal && rng == nil && origin == "":
			// The null default itself was reported when the block was
			// read.
		default:
			sc.ev.diags = append(sc.ev.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid value for variable",
				Detail: fmt.Sprintf("Variable %q is not nullable, so it needs a value other than null.", v.Name), Subject: subject})
			conv = cty.UnknownVal(v.Type)
		}
	}
	if v.Sensitive {
		conv = conv.Mark(Sensitive)
	}
	return conv
}

// validateVariables runs the validation blocks of the scope's variables.
func (sc *scope) validateVariables(vars []*Variable) {
	ctx := &hcl.EvalContext{Variables: map[string]cty.Value{"var": cty.ObjectVal(sc.vars)}, Functions: sc.funcs}
	for _, v := range vars {
		for _, val := range v.Validations {
			res, d := exprValue(val.Condition, ctx)
			sc.addDiags(d)
			if d.HasErrors() {
				continue
			}
			res, _ = res.UnmarkDeep()
			if !res.IsKnown() {
				continue
			}
			b, err := convert.Convert(res, cty.Bool)
			if err != nil || b.IsNull() {
				sc.errorf(val.Condition.Range(), "Invalid validation condition", "The condition must be true or false.")
				continue
			}
			if b.True() {
				continue
			}
			msg := "The value does not pass the validation rule."
			if m, md := exprValue(val.ErrorMessage, ctx); !md.HasErrors() {
				m, _ = m.UnmarkDeep()
				if m.IsKnown() && !m.IsNull() && m.Type() == cty.String {
					msg = m.AsString()
				}
			}
			subject := sc.varRanges[v.Name]
			if subject == nil {
				r := val.Condition.Range()
				subject = &r
			}
			sc.ev.diags = append(sc.ev.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid value for variable",
				Detail:  fmt.Sprintf("%s\n\nThis was checked by the validation rule of variable %q at %s.", msg, v.Name, val.DeclRange),
				Subject: subject})
		}
	}
}
