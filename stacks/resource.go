package stacks

import (
	"fmt"
	"math/big"
	"slices"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/stagecraft/stagecraft/providers/schema"
	"github.com/stagecraft/stagecraft/stacks/addrs"
	"github.com/stagecraft/stagecraft/stacks/marks"
)

// instance is one instance of a block with count or for_each (or the only
// instance of a block with neither).
type instance struct {
	key     cty.Value // cty.NilVal, a number (count) or a string (for_each)
	symbols map[string]cty.Value
}

// metaArgValue evaluates count or for_each, refusing a sensitive value:
// it would show in the instances' addresses. ok is false when the value
// cannot be used; the diagnostics say why.
func (sc *scope) metaArgValue(a *hcl.Attribute, ctx *hcl.EvalContext) (v cty.Value, ok bool) {
	v, d := exprValue(a.Expr, ctx)
	sc.addDiags(d)
	if d.HasErrors() {
		return cty.NilVal, false
	}
	if marks.HasSensitive(v) {
		sc.errorf(a.Expr.Range(), "Sensitive "+a.Name, "%s is built from a sensitive value, which would show in addresses; use a value that is not sensitive.", a.Name)
		return cty.NilVal, false
	}
	return v, true
}

// expand evaluates count and for_each. unknown is true in validate mode
// when the instances cannot be known yet; the caller then checks the body
// once with unknown iteration symbols.
func (sc *scope) expand(meta map[string]*hcl.Attribute, ctx *hcl.EvalContext, what string) (insts []instance, unknown bool) {
	countAttr, hasCount := meta["count"]
	eachAttr, hasEach := meta["for_each"]
	if hasCount && hasEach {
		sc.errorf(eachAttr.NameRange, "Both count and for_each",
			"A %s sets either count or for_each, not both; keep the one that fits.", what)
		return nil, true
	}
	switch {
	case hasCount:
		v, ok := sc.metaArgValue(countAttr, ctx)
		if !ok {
			return nil, true
		}
		v, _ = v.Unmark()
		if !v.IsKnown() {
			if sc.ev.mode == modePlan {
				sc.errorf(countAttr.Expr.Range(), "Invalid count argument",
					"count depends on values that are only known after apply, so the planner cannot tell how many instances to create. Base count on variables or locals.")
				return nil, true
			}
			return nil, true
		}
		cv, err := convert.Convert(v, cty.Number)
		n, acc := int64(0), big.Exact
		if err == nil && !cv.IsNull() {
			n, acc = cv.AsBigFloat().Int64()
		}
		if err != nil || cv.IsNull() || acc != big.Exact || n < 0 {
			sc.errorf(countAttr.Expr.Range(), "Invalid count argument", "count must be a whole number, 0 or more.")
			return nil, true
		}
		if n > 10000 {
			sc.errorf(countAttr.Expr.Range(), "Invalid count argument", "count is %d; one block may have at most 10000 instances.", n)
			return nil, true
		}
		for i := int64(0); i < n; i++ {
			idx := cty.NumberIntVal(i)
			insts = append(insts, instance{key: idx, symbols: map[string]cty.Value{
				"count": cty.ObjectVal(map[string]cty.Value{"index": idx})}})
		}
		return insts, false
	case hasEach:
		v, ok := sc.metaArgValue(eachAttr, ctx)
		if !ok {
			return nil, true
		}
		if !v.IsWhollyKnown() {
			if sc.ev.mode == modePlan {
				sc.errorf(eachAttr.Expr.Range(), "Invalid for_each argument",
					"for_each depends on values that are only known after apply, so the planner cannot tell which instances to create. Base its keys on variables or locals.")
			}
			return nil, true
		}
		ty := v.Type()
		switch {
		case v.IsNull():
			sc.errorf(eachAttr.Expr.Range(), "Invalid for_each argument", "for_each is null; give a map, or a set of strings (toset([...])).")
			return nil, true
		case ty.IsMapType() || ty.IsObjectType():
			keys := []string{}
			m := map[string]cty.Value{}
			for it := v.ElementIterator(); it.Next(); {
				k, ev := it.Element()
				keys = append(keys, k.AsString())
				m[k.AsString()] = ev
			}
			sort.Strings(keys)
			for _, k := range keys {
				insts = append(insts, instance{key: cty.StringVal(k), symbols: map[string]cty.Value{
					"each": cty.ObjectVal(map[string]cty.Value{"key": cty.StringVal(k), "value": m[k]})}})
			}
		case ty.IsSetType() && ty.ElementType() == cty.String:
			var keys []string
			for it := v.ElementIterator(); it.Next(); {
				_, ev := it.Element()
				if ev.IsNull() {
					sc.errorf(eachAttr.Expr.Range(), "Invalid for_each argument", "for_each has a null element; every key must be a string.")
					return nil, true
				}
				keys = append(keys, ev.AsString())
			}
			sort.Strings(keys)
			for _, k := range keys {
				kv := cty.StringVal(k)
				insts = append(insts, instance{key: kv, symbols: map[string]cty.Value{
					"each": cty.ObjectVal(map[string]cty.Value{"key": kv, "value": kv})}})
			}
		default:
			hint := ""
			if ty.IsListType() || ty.IsTupleType() || ty.IsSetType() {
				hint = " To use a list of strings, convert it with toset(...)."
			}
			sc.errorf(eachAttr.Expr.Range(), "Invalid for_each argument", "for_each must be a map, or a set of strings.%s", hint)
			return nil, true
		}
		return insts, false
	}
	return []instance{{key: cty.NilVal}}, false
}

// unknownSymbols are the iteration symbols used to check a block whose
// instances are not known yet.
func unknownSymbols(meta map[string]*hcl.Attribute) map[string]cty.Value {
	syms := map[string]cty.Value{}
	if _, ok := meta["count"]; ok {
		syms["count"] = cty.ObjectVal(map[string]cty.Value{"index": cty.UnknownVal(cty.Number)})
	}
	if _, ok := meta["for_each"]; ok {
		syms["each"] = cty.ObjectVal(map[string]cty.Value{"key": cty.UnknownVal(cty.String), "value": cty.DynamicVal})
	}
	return syms
}

func childContext(parent *hcl.EvalContext, symbols map[string]cty.Value) *hcl.EvalContext {
	if len(symbols) == 0 {
		return parent
	}
	c := parent.NewChild()
	c.Variables = symbols
	c.Functions = parent.Functions
	return c
}

// schemaBlocks returns the schema of n's kind as it is evaluated (with the
// planner's plan-only blocks) and as the provider sees it once they are
// split off.
func (sc *scope) schemaBlocks(n *resourceNode) (block, provBlock *schema.Block) {
	if sc.ev.provider == "" {
		return &n.schema.Block, &n.schema.Block
	}
	return &n.schema.ForPlanner(sc.ev.provider).Block, &n.schema.ForProvider(sc.ev.provider).Block
}

// evalResource evaluates every instance of a resource block.
func (sc *scope) evalResource(n *resourceNode, refs []ref) {
	if sc.reuseBlock(n, refs) {
		return
	}
	firstResource, diagsBefore := len(sc.ev.resources), len(sc.ev.diags)
	ctx := sc.evalContext(refs, false)
	actx := sc.evalContext(refs, true)
	deps := sc.refDeps(refs)
	deps.add(sc.extraDeps)
	if d, ok := n.body.meta["depends_on"]; ok {
		_, td := dependsOnList(d.Expr)
		sc.addDiags(td)
	}
	lc := sc.lifecycle(n)
	block, provBlock := sc.schemaBlocks(n)
	insts, unknown := sc.expand(n.body.meta, ctx, "resource")
	if unknown {
		syms := unknownSymbols(n.body.meta)
		cfg, ranges := sc.evalBody(n.body, block, childContext(ctx, syms), childContext(actx, syms), nil, false)
		sc.checkKindRules(n.schema, cfg, ranges, n.block.DeclRange)
		n.value, n.addrValue = cty.DynamicVal, cty.DynamicVal
		return
	}
	blockAddr := sc.module.Resource(n.block.Kind, n.block.Name)
	// Every instance has the block's dependencies; sort them once and share
	// the slice (clipped, so an append by a reader copies it).
	dependsOn := slices.Clip(deps.sorted())
	vals := make([]cty.Value, 0, len(insts))
	addrVals := make([]cty.Value, 0, len(insts))
	for _, inst := range insts {
		key, _ := instanceKey(inst.key)
		addr := blockAddr.Instance(key)
		cfg, ranges := sc.evalBody(n.body, block, childContext(ctx, inst.symbols), childContext(actx, inst.symbols), nil, false)
		sc.checkKindRules(n.schema, cfg, ranges, n.block.DeclRange)
		settings := cty.NilVal
		if sc.ev.provider != "" {
			cfg, settings = schema.SplitPlanOnly(block, cfg)
		}
		r := &Resource{
			Address:   addr,
			Config:    cfg,
			Settings:  settings,
			DependsOn: dependsOn,
			Lifecycle: lc,
			DeclRange: n.block.DeclRange,
		}
		sc.ev.resources = append(sc.ev.resources, r)
		n.instances[addr] = struct{}{}
		if sc.all != nil {
			sc.all[addr] = struct{}{}
		}
		vals = append(vals, schema.WithComputed(provBlock, cfg, sc.ev.known[addr]))
		addrVals = append(addrVals, cty.StringVal(n.block.Address()+key.String()))
	}
	n.value, n.addrValue = collect(n.body.meta, insts, vals), collect(n.body.meta, insts, addrVals)
	sc.rememberBlock(n, firstResource, diagsBefore)
}

// collect shapes per-instance values as references see them: the value
// itself, a tuple (count) or an object by key (for_each).
func collect(meta map[string]*hcl.Attribute, insts []instance, vals []cty.Value) cty.Value {
	if _, ok := meta["count"]; ok {
		if len(vals) == 0 {
			return cty.EmptyTupleVal
		}
		return cty.TupleVal(vals)
	}
	if _, ok := meta["for_each"]; ok {
		m := make(map[string]cty.Value, len(vals))
		for i, inst := range insts {
			m[inst.key.AsString()] = vals[i]
		}
		return cty.ObjectVal(m)
	}
	if len(vals) == 1 {
		return vals[0]
	}
	return cty.DynamicVal
}

// evalBody evaluates a block's attributes and nested blocks into an object
// of the block's implied type. ranges records where each attribute path
// was written, for rule violations. inProvider is true inside a provider
// sub-block.
func (sc *scope) evalBody(sb *staticBody, b *schema.Block, ctx, actx *hcl.EvalContext, path cty.Path, inProvider bool) (cty.Value, map[string]hcl.Range) {
	ranges := map[string]hcl.Range{}
	v := sc.evalBlock(sb, b, ctx, actx, path, inProvider, ranges)
	return v, ranges
}

func (sc *scope) evalBlock(sb *staticBody, b *schema.Block, ctx, actx *hcl.EvalContext, path cty.Path, inProvider bool, ranges map[string]hcl.Range) cty.Value {
	attrs := make(map[string]cty.Value, len(b.Attributes)+len(b.Blocks))
	ranges[pathKey(path)] = sb.defRange
	// A required attribute in another provider's sub-block is only
	// required when that provider runs the resource.
	enforce := !inProvider || sc.ev.provider != ""
	for _, a := range b.Attributes {
		p := appendPath(path, cty.GetAttrStep{Name: a.Name})
		at, set := sb.attrs[a.Name]
		v := cty.NullVal(a.Type)
		if set {
			ranges[pathKey(p)] = at.Expr.Range()
			if a.Ref != "" {
				v = sc.evalRefAttr(at, a, actx)
			} else {
				v = sc.evalAttr(at, a, ctx)
			}
		}
		if v.IsNull() {
			switch {
			case a.Required && enforce:
				switch {
				case set && sc.call != nil && moduleVariable(at.Expr) != "":
					// The null comes from the caller: say so where the
					// user can fix it.
					sc.errorf(sc.call.DeclRange, "Missing required argument",
						"Module %q needs %s = ...: it passes its variable %q to %s.%s, which is required there (%s).",
						sc.call.Name, moduleVariable(at.Expr), moduleVariable(at.Expr), pathKey(path), a.Name, strings.TrimSuffix(a.Description, "."))
				case set:
					sc.errorf(at.Expr.Range(), "Missing required argument", "%s is null, but it is required: %s%s", a.Name, a.Description, allowedValues(a))
				default:
					sc.errorf(sb.missing, "Missing required argument", "The argument %q is required here: %s%s", a.Name, a.Description, allowedValues(a))
				}
				v = cty.UnknownVal(a.Type)
			case a.Default != cty.NilVal:
				v = a.Default
			}
		}
		if !v.Type().Equals(a.Type) {
			// Keep the object's type exact even where evaluation failed.
			if c, err := convert.Convert(v, a.Type); err == nil {
				v = c
			} else {
				v = cty.UnknownVal(a.Type)
			}
		}
		if a.Sensitive {
			v = v.Mark(Sensitive)
		}
		attrs[a.Name] = v
	}
	for _, nb := range b.Blocks {
		p := appendPath(path, cty.GetAttrStep{Name: nb.TypeName})
		blocks := sb.blocks[nb.TypeName]
		ety := sc.ev.types.Implied(&nb.Block)
		inProv := inProvider || nb.Provider != ""
		minItems := nb.MinItems
		if nb.Provider != "" && nb.Provider != sc.ev.provider {
			minItems = 0
		}
		if len(blocks) < minItems {
			sc.errorf(sb.missing, "Missing "+nb.TypeName+" block", "%s", missingBlockDetail(nb, minItems))
		}
		if nb.MaxItems > 0 && len(blocks) > nb.MaxItems {
			sc.errorf(blocks[nb.MaxItems].defRange, "Too many "+nb.TypeName+" blocks", "At most %d %s blocks are allowed here.", nb.MaxItems, nb.TypeName)
		}
		switch nb.Nesting {
		case schema.NestingSingle:
			if len(blocks) > 1 {
				sc.errorf(blocks[1].defRange, "Duplicate "+nb.TypeName+" block",
					"Only one %s block is allowed here; the first is at %s. Merge their settings into one block.", nb.TypeName, blocks[0].defRange)
			}
			switch {
			case len(blocks) > 0:
				attrs[nb.TypeName] = sc.evalBlock(blocks[0].body, &nb.Block, ctx, actx, p, inProv, ranges)
			case nb.Implied:
				empty := &staticBody{attrs: map[string]*hcl.Attribute{}, blocks: map[string][]*staticBlock{}, missing: sb.missing, defRange: sb.defRange}
				attrs[nb.TypeName] = sc.evalBlock(empty, &nb.Block, ctx, actx, p, inProv, ranges)
			default:
				attrs[nb.TypeName] = cty.NullVal(ety)
			}
		case schema.NestingList:
			if len(blocks) == 0 {
				attrs[nb.TypeName] = cty.ListValEmpty(ety)
				continue
			}
			elems := make([]cty.Value, len(blocks))
			for i, blk := range blocks {
				elems[i] = sc.evalBlock(blk.body, &nb.Block, ctx, actx, appendPath(p, cty.IndexStep{Key: cty.NumberIntVal(int64(i))}), inProv, ranges)
			}
			attrs[nb.TypeName] = cty.ListVal(elems)
		}
	}
	return cty.ObjectVal(attrs)
}

// moduleVariable returns NAME when expr is exactly var.NAME.
func moduleVariable(expr hcl.Expression) string {
	tr, d := hcl.AbsTraversalForExpr(expr)
	if d.HasErrors() || len(tr) != 2 || tr.RootName() != "var" {
		return ""
	}
	name, _ := traversalAttr(tr, 1)
	return name
}

// allowedValues describes an attribute's rules for error messages.
func allowedValues(a *schema.Attribute) string {
	var docs []string
	for _, r := range a.Rules {
		docs = append(docs, r.Doc)
	}
	if len(docs) == 0 {
		return ""
	}
	return " Allowed: " + strings.Join(docs, "; ") + "."
}

func missingBlockDetail(nb *schema.NestedBlock, minItems int) string {
	if nb.Provider != "" {
		var req []string
		for _, a := range nb.Attributes {
			if a.Required {
				req = append(req, a.Name+" = ...")
			}
		}
		return fmt.Sprintf("This environment uses the %s provider, which needs a %s { %s } block here: %s", nb.Provider, nb.TypeName, strings.Join(req, "  "), strings.TrimSuffix(nb.Description, ".")+".")
	}
	if minItems == 1 {
		return fmt.Sprintf("At least one %s block is required here: %s", nb.TypeName, nb.Description)
	}
	return fmt.Sprintf("At least %d %s blocks are required here: %s", minItems, nb.TypeName, nb.Description)
}

func appendPath(p cty.Path, step cty.PathStep) cty.Path {
	out := make(cty.Path, len(p)+1)
	copy(out, p)
	out[len(p)] = step
	return out
}

// pathKey renders a path as a map key ("route.1.weight").
func pathKey(p cty.Path) string {
	var b strings.Builder
	for i, s := range p {
		if i > 0 {
			b.WriteByte('.')
		}
		switch st := s.(type) {
		case cty.GetAttrStep:
			b.WriteString(st.Name)
		case cty.IndexStep:
			if st.Key.Type() == cty.Number {
				b.WriteString(st.Key.AsBigFloat().Text('f', -1))
			} else if st.Key.Type() == cty.String {
				b.WriteString(st.Key.AsString())
			}
		}
	}
	return b.String()
}

// evalAttr evaluates one attribute, converts it to its type and checks its
// rules.
func (sc *scope) evalAttr(at *hcl.Attribute, a *schema.Attribute, ctx *hcl.EvalContext) cty.Value {
	v, d := exprValue(at.Expr, ctx)
	sc.addDiags(d)
	if d.HasErrors() {
		return cty.UnknownVal(a.Type)
	}
	cv, err := convert.Convert(v, a.Type)
	if err != nil {
		sc.errorf(at.Expr.Range(), "Incorrect attribute value type", "%s must be %s: %s.", a.Name, typeName(a.Type), err)
		return cty.UnknownVal(a.Type)
	}
	if cv.IsKnown() && !cv.IsNull() && len(a.Rules) > 0 {
		plain, _ := cv.UnmarkDeep()
		for _, r := range a.Rules {
			if msg := r.Check(plain); msg != "" {
				if marks.HasSensitive(cv) {
					msg = fmt.Sprintf("The (sensitive) value does not fit: %s", r.Doc)
				}
				sc.errorf(at.Expr.Range(), "Invalid value for "+a.Name, "%s", msg)
			}
		}
	}
	return cv
}

// evalRefAttr evaluates a reference-typed attribute (route.target) to the
// address of the resource it names.
func (sc *scope) evalRefAttr(at *hcl.Attribute, a *schema.Attribute, actx *hcl.EvalContext) cty.Value {
	if tr, d := hcl.AbsTraversalForExpr(at.Expr); !d.HasErrors() && len(tr) > 2 {
		if _, ok := tr[2].(hcl.TraverseAttr); ok {
			sc.errorf(at.Expr.Range(), "Invalid "+a.Name, "%s takes the %s itself, such as %s.%s; leave out %s.",
				a.Name, a.Ref, tr.RootName(), traversalNameOr(tr), traversalString(tr[2:]))
			return cty.UnknownVal(cty.String)
		}
	}
	v, d := exprValue(at.Expr, actx)
	sc.addDiags(d)
	if d.HasErrors() {
		return cty.UnknownVal(cty.String)
	}
	v, _ = v.Unmark()
	if v.IsNull() {
		return cty.NullVal(cty.String)
	}
	if !v.IsKnown() {
		return cty.UnknownVal(cty.String)
	}
	if v.Type().IsTupleType() || v.Type().IsObjectType() {
		sc.errorf(at.Expr.Range(), "Invalid "+a.Name, "This refers to every instance of a block with count or for_each; pick one with [INDEX] or [\"KEY\"].")
		return cty.UnknownVal(cty.String)
	}
	if v.Type() != cty.String {
		sc.errorf(at.Expr.Range(), "Invalid "+a.Name, "%s must be a reference to %s, such as %s.app.", a.Name, withArticle(a.Ref), a.Ref)
		return cty.UnknownVal(cty.String)
	}
	local := v.AsString()
	addr, err := addrs.Parse(local)
	if err != nil || !addr.Module.IsRoot() {
		sc.errorf(at.Expr.Range(), "Invalid "+a.Name, "%q is not %s in this stack; write a reference such as %s.app.", local, withArticle(a.Ref), a.Ref)
		return cty.UnknownVal(cty.String)
	}
	if addr.Kind != a.Ref {
		sc.errorf(at.Expr.Range(), "Invalid "+a.Name, "%s must be %s, but %s is %s.", a.Name, withArticle(a.Ref), local, withArticle(addr.Kind))
		return cty.UnknownVal(cty.String)
	}
	if _, ok := sc.resources[addr.Kind+"."+addr.Name]; !ok {
		return cty.UnknownVal(cty.String) // reported as an undeclared reference
	}
	return cty.StringVal(sc.module.Resource(addr.Kind, addr.Name).Instance(addr.Key).String())
}

func traversalNameOr(tr hcl.Traversal) string {
	if n, ok := traversalAttr(tr, 1); ok {
		return n
	}
	return "NAME"
}

// checkKindRules runs the kind's cross-attribute rules and places each
// problem on the attribute it concerns.
func (sc *scope) checkKindRules(sch *schema.Schema, cfg cty.Value, ranges map[string]hcl.Range, def hcl.Range) {
	plain := schema.Unmarked(cfg)
	for _, r := range sch.Rules {
		for _, p := range r.Check(plain) {
			rng := def
			for path := p.Path; ; path = path[:len(path)-1] {
				if got, ok := ranges[pathKey(path)]; ok {
					rng = got
					break
				}
				if len(path) == 0 {
					break
				}
			}
			sc.errorf(rng, p.Summary, "%s", p.Detail)
		}
	}
}

// lifecycle reads a resource's lifecycle block.
func (sc *scope) lifecycle(n *resourceNode) Lifecycle {
	var lc Lifecycle
	blk := n.body.lifecycle
	if blk == nil {
		return lc
	}
	content, d := blk.Body.Content(lifecycleSchema)
	sc.addDiags(d)
	sc.addDiags(constAttr(content, "prevent_destroy", constBool, &lc.PreventDestroy))
	if a, ok := content.Attributes["allow_data_loss"]; ok {
		b, bd := constBool(a)
		sc.addDiags(bd)
		lc.AllowDataLoss = b
		if b && !n.schema.DataBearing {
			r := a.Range
			sc.ev.diags = append(sc.ev.diags, &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: "allow_data_loss has no effect here",
				Detail:  fmt.Sprintf("%s holds no data, so replacing it never needs consent; only caches and coordinators do. Remove allow_data_loss.", upperFirst(withArticle(n.block.Kind))),
				Subject: &r})
		}
	}
	if a, ok := content.Attributes["ignore_changes"]; ok {
		lc.IgnoreChanges, lc.IgnoreAllChanges = sc.ignoreChanges(a, n.schema)
	}
	return lc
}

var lifecycleSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
	{Name: "prevent_destroy"}, {Name: "allow_data_loss"}, {Name: "ignore_changes"},
}}

func (sc *scope) ignoreChanges(a *hcl.Attribute, schema *schema.Schema) ([]cty.Path, bool) {
	if tr, d := hcl.AbsTraversalForExpr(a.Expr); !d.HasErrors() && len(tr) == 1 && tr.RootName() == "all" {
		return nil, true
	}
	exprs, d := hcl.ExprList(a.Expr)
	sc.addDiags(d)
	var paths []cty.Path
	for _, e := range exprs {
		tr, td := hcl.RelTraversalForExpr(e)
		if td.HasErrors() {
			v, vd := exprValue(e, nil)
			if vd.HasErrors() || v.Type() != cty.String || v.IsNull() {
				sc.errorf(e.Range(), "Invalid ignore_changes entry", "Each entry names an attribute, such as env or scaling.target_cpu, or the whole list is the word all.")
				continue
			}
			var pd hcl.Diagnostics
			tr, pd = hclsyntax.ParseTraversalPartial([]byte(v.AsString()), e.Range().Filename, e.Range().Start)
			if pd.HasErrors() || len(tr) == 0 {
				sc.errorf(e.Range(), "Invalid ignore_changes entry", "%q is not an attribute path; write one such as \"env\" or \"scaling.target_cpu\".", v.AsString())
				continue
			}
			tr = relTraversal(tr)
		}
		p := cty.Path{}
		for _, step := range tr {
			switch s := step.(type) {
			case hcl.TraverseAttr:
				p = p.GetAttr(s.Name)
			case hcl.TraverseIndex:
				p = p.Index(s.Key)
			}
		}
		if len(p) == 0 {
			continue
		}
		root := p[0].(cty.GetAttrStep).Name
		_, isAttr := schema.Attribute(root)
		_, isBlock := schema.NestedBlock(root)
		if !isAttr && !isBlock {
			var names []string
			for _, at := range schema.Attributes {
				names = append(names, at.Name)
			}
			for _, nb := range schema.Blocks {
				names = append(names, nb.TypeName)
			}
			hint := suggestion(root, names)
			if hint == "" {
				hint = " Its attributes are: " + strings.Join(names, ", ") + "."
			}
			sc.errorf(e.Range(), "Invalid ignore_changes entry", "%s has no attribute %q.%s", upperFirst(withArticle(schema.Kind)), root, hint)
			continue
		}
		paths = append(paths, p)
	}
	return paths, false
}

// relTraversal turns a parsed absolute traversal (root first) into
// relative steps, so "scaling.target_cpu" reads as attribute steps.
func relTraversal(tr hcl.Traversal) hcl.Traversal {
	out := hcl.Traversal{}
	for _, s := range tr {
		if r, ok := s.(hcl.TraverseRoot); ok {
			out = append(out, hcl.TraverseAttr{Name: r.Name, SrcRange: r.SrcRange})
			continue
		}
		out = append(out, s)
	}
	return out
}

func typeName(t cty.Type) string {
	switch {
	case t == cty.String:
		return "a string"
	case t == cty.Number:
		return "a number"
	case t == cty.Bool:
		return "true or false"
	case t.IsListType():
		return "a list of " + strings.TrimPrefix(strings.TrimPrefix(typeName(t.ElementType()), "a "), "an ") + "s"
	case t.IsMapType():
		return "a map of " + strings.TrimPrefix(strings.TrimPrefix(typeName(t.ElementType()), "a "), "an ") + "s"
	}
	return t.FriendlyName()
}

// withArticle puts "a" or "an" before a kind name.
func withArticle(word string) string {
	if word != "" && strings.ContainsRune("aeiou", rune(word[0])) {
		return "an " + word
	}
	return "a " + word
}
