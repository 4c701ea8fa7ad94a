package stacks

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// evalCall evaluates every instance of a module call: its inputs in this
// scope, then the module's own scope.
func (sc *scope) evalCall(n *callNode, refs []ref) {
	call := n.call
	src, _, d := callSource(call.Body)
	if d.HasErrors() || src == "" {
		return // reported while loading
	}
	ms, err := resolveSource(sc.fsys, sc.dir, src)
	if err != nil {
		return // reported while loading
	}
	mod, ok := sc.ev.stack.modules[ms.key]
	if !ok {
		return // failed to load; reported then
	}
	content, rest, cd := call.Body.PartialContent(moduleCallMetaSchema)
	sc.addDiags(cd)
	inputs, id := rest.JustAttributes()
	sc.addDiags(id)
	declared := map[string]*Variable{}
	var names []string
	for _, v := range mod.variables {
		declared[v.Name] = v
		names = append(names, v.Name)
	}
	for _, a := range sortedAttributes(inputs) {
		if _, ok := declared[a.Name]; !ok {
			sc.errorf(a.NameRange, "Unsupported argument",
				"Module %q (%s) has no variable named %q.%s Its variables are: %s.", call.Name, src, a.Name, suggestion(a.Name, names), quotedList(names))
		}
	}
	ctx := sc.evalContext(refs, false)
	// Resources in the module depend on what their inputs refer to
	// (tracked per variable) and on everything the call's depends_on names.
	deps := depSet{}
	deps.add(sc.extraDeps)
	if a, ok := content.Attributes["depends_on"]; ok {
		trs, td := dependsOnList(a.Expr)
		sc.addDiags(td)
		deps.add(sc.refDeps(sc.resolveRefs(trs, refFlags{where: "module call"})))
	}
	insts, unknown := sc.expand(content.Attributes, ctx, "module call")
	if unknown {
		insts = []instance{{key: cty.NilVal, symbols: unknownSymbols(content.Attributes)}}
	}
	vals := make([]cty.Value, 0, len(insts))
	for _, inst := range insts {
		key, _ := instanceKey(inst.key)
		child := newScope(sc.ev, sc.module.Child(call.Name, key), mod.fsys, mod.dir, mod.files, mod.key)
		child.call = call
		child.extraDeps.add(deps)
		ictx := childContext(ctx, inst.symbols)
		for _, v := range mod.variables {
			in, given := inputs[v.Name]
			var val cty.Value
			var rng *hcl.Range
			if given {
				r := in.Expr.Range()
				rng = &r
				iv, d := exprValue(in.Expr, ictx)
				sc.addDiags(d)
				val = iv
				if d.HasErrors() {
					val = cty.UnknownVal(v.Type)
				}
				child.varDeps[v.Name] = sc.refDeps(sc.resolveRefs(in.Expr.Variables(), refFlags{count: true, each: true}))
			} else if v.Default != cty.NilVal {
				val = v.Default
			} else {
				r := call.DeclRange
				sc.ev.diags = append(sc.ev.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Missing required argument",
					Detail:  fmt.Sprintf("Module %q needs a value for its variable %q%s; set %s = ... in the module block.", call.Name, v.Name, describe(v.Description), v.Name),
					Subject: &r})
				val = cty.UnknownVal(v.Type)
			}
			child.vars[v.Name] = sc.finishVariable(v, val, rng, "")
			child.varRanges[v.Name] = rng
		}
		child.runBody(mod.variables, mod.locals, mod.resources, mod.modules, mod.outputs)
		outs := map[string]cty.Value{}
		ci := &callInstance{outputDeps: map[string]depSet{}, all: child.all}
		for name, v := range child.outputVals {
			outs[name] = v
			ci.outputDeps[name] = child.outputDeps[name]
		}
		n.instances[key] = ci
		if sc.all != nil {
			sc.all.add(child.all)
		}
		vals = append(vals, cty.ObjectVal(outs))
	}
	if unknown {
		n.value = cty.DynamicVal
		return
	}
	n.value = collect(content.Attributes, insts, vals)
}

func describe(desc string) string {
	if desc == "" {
		return ""
	}
	return " (" + desc + ")"
}
