package stacks

import (
	"fmt"
	"io/fs"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"

	"github.com/stagecraft/stagecraft/providers/kinds"
	"github.com/stagecraft/stagecraft/providers/schema"
	"github.com/stagecraft/stagecraft/stacks/addrs"
	"github.com/stagecraft/stagecraft/stacks/funcs"
	"github.com/stagecraft/stagecraft/stacks/marks"
)

// evalMode says how strict evaluation is about values not known yet.
type evalMode int

const (
	// modePlan needs every variable and every count and for_each known.
	modePlan evalMode = iota
	// modeValidate uses unknown values for missing variables and checks a
	// block with an unknown count once, without instances.
	modeValidate
)

// evaluator holds what one evaluation shares across module scopes.
type evaluator struct {
	stack *Stack
	// provider is the environment's provider; "" checks every provider's
	// sub-blocks and drops none.
	provider  string
	mode      evalMode
	known     map[addrs.Instance]cty.Value
	globals   map[string]cty.Value
	diags     hcl.Diagnostics
	resources []*Resource
	reads     *fileReads
	// reuse, blocks and same serve Request.Reuse (see reuse.go): the
	// earlier evaluation, this one's root block results, and the root
	// blocks whose value is what the earlier evaluation had.
	reuse  *Reuse
	blocks map[string]*blockResult
	same   map[string]bool
	// types holds the implied types of the schema blocks evaluated, so
	// that the instances of a block share one type value.
	types schema.TypeCache
}

// scope is the root of a stage or one instance of a module call.
type scope struct {
	ev *evaluator
	// module is the module instance the scope evaluates: the root, or
	// module.web or module.web["a"] inside modules.
	module addrs.Module
	fsys   fs.FS
	dir    string
	funcs  map[string]function.Function
	// stage is set at the root only, for messages about other stages;
	// call inside modules, for messages about the call's arguments.
	stage *resolvedStage
	call  *ModuleCall

	vars      map[string]cty.Value
	varDeps   map[string]depSet
	varRanges map[string]*hcl.Range
	varObj    cty.Value
	locals    map[string]*Local
	resources map[string]*resourceNode
	calls     map[string]*callNode
	outputs   []*Output
	// extraDeps apply to every resource in the scope (a module call's
	// depends_on and the references of its inputs).
	extraDeps depSet

	placeholders map[string]bool
	localVals    map[string]cty.Value
	// localAbsent explains, per local value, why it is unavailable in
	// this stage (it refers to a block of another stage).
	localAbsent  map[string]string
	localDeps    map[string]depSet
	outputVals   map[string]cty.Value
	outputDeps   map[string]depSet
	outputAbsent map[string]string
	// all holds every resource instance address in the scope and below,
	// which a reference to a module call as a whole depends on. The root
	// scope is no call's, so it keeps none (nil): in a large stack it
	// would hold every address once more, and nothing reads it.
	all depSet
}

type resourceNode struct {
	block  *ResourceBlock
	schema *schema.Schema
	body   *staticBody
	// value is what references to the resource see; addrValue is the same
	// shape holding address strings, for reference-typed attributes.
	value     cty.Value
	addrValue cty.Value
	instances depSet
}

// expanded reports whether the block has count or for_each, so that its
// instances' addresses carry keys.
func (n *resourceNode) expanded() bool {
	_, count := n.body.meta["count"]
	_, each := n.body.meta["for_each"]
	return count || each
}

type callNode struct {
	call  *ModuleCall
	value cty.Value
	// instances holds, per instance key (addrs.NoKey without count or
	// for_each), what each output and the whole instance depend on.
	instances map[addrs.Key]*callInstance
}

type callInstance struct {
	outputDeps map[string]depSet
	all        depSet
}

func (sc *scope) errorf(rng hcl.Range, summary, format string, args ...any) {
	r := rng
	sc.ev.diags = append(sc.ev.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary,
		Detail: fmt.Sprintf(format, args...), Subject: &r})
}

func (sc *scope) addDiags(d hcl.Diagnostics) {
	sc.ev.diags = append(sc.ev.diags, d...)
}

// newScope makes a scope whose module directory is dir in fsys, and
// whose functions read files in files, that directory on its own; origin
// names it in the record of files read ("" for the stack's, the module
// key for modules).
func newScope(ev *evaluator, module addrs.Module, fsys fs.FS, dir string, files fs.FS, origin string) *scope {
	sc := &scope{
		ev: ev, module: module, fsys: fsys, dir: dir,
		funcs:        funcs.Functions(recordingFS{fsys: files, prefix: origin + ":", reads: ev.reads}, "."),
		vars:         map[string]cty.Value{},
		varDeps:      map[string]depSet{},
		varRanges:    map[string]*hcl.Range{},
		locals:       map[string]*Local{},
		resources:    map[string]*resourceNode{},
		calls:        map[string]*callNode{},
		extraDeps:    depSet{},
		placeholders: map[string]bool{},
		localVals:    map[string]cty.Value{},
		localAbsent:  map[string]string{},
		localDeps:    map[string]depSet{},
		outputVals:   map[string]cty.Value{},
		outputDeps:   map[string]depSet{},
		outputAbsent: map[string]string{},
	}
	if !module.IsRoot() {
		sc.all = depSet{}
	}
	return sc
}

// runBody evaluates a module's body in sc once its variables have values:
// it checks them, declares the locals, resource blocks, module calls and
// outputs, and runs the scope. The root module and called modules are
// evaluated alike.
func (sc *scope) runBody(variables []*Variable, locals []*Local, resources []*ResourceBlock, calls []*ModuleCall, outputs []*Output) {
	sc.validateVariables(variables)
	for _, l := range locals {
		sc.locals[l.Name] = l
	}
	sc.addResources(resources)
	sc.addCalls(calls)
	sc.outputs = outputs
	sc.run()
}

// addResources prepares the resource blocks of the scope.
func (sc *scope) addResources(blocks []*ResourceBlock) {
	for _, b := range blocks {
		schema, ok := kinds.Schema(b.Kind)
		if !ok {
			continue
		}
		body, d := splitBody(b.Body, &schema.Block, true, b.DeclRange)
		sc.addDiags(d)
		sc.resources[b.Address()] = &resourceNode{block: b, schema: schema, body: body, value: cty.DynamicVal, addrValue: cty.DynamicVal, instances: depSet{}}
	}
}

func (sc *scope) addCalls(calls []*ModuleCall) {
	for _, c := range calls {
		sc.calls[c.Name] = &callNode{call: c, value: cty.DynamicVal, instances: map[addrs.Key]*callInstance{}}
	}
}

// node is one vertex of a scope's reference graph.
type node struct {
	key  string
	refs []ref
	rng  hcl.Range
	// expr is set for local values, whose references are resolved when
	// they are evaluated (after the locals they use).
	expr hcl.Expression
}

// run evaluates the scope: its graph in dependency order, then outputs.
func (sc *scope) run() {
	sc.varObj = cty.ObjectVal(sc.vars)
	nodes := sc.buildNodes()
	order := sc.order(nodes)
	for _, n := range order {
		switch {
		case strings.HasPrefix(n.key, "local."):
			sc.evalLocal(n)
		case strings.HasPrefix(n.key, "module."):
			sc.evalCall(sc.calls[strings.TrimPrefix(n.key, "module.")], n.refs)
		default:
			sc.evalResource(sc.resources[n.key], n.refs)
		}
	}
	for _, o := range sc.outputs {
		sc.evalOutput(o)
	}
}

func (sc *scope) buildNodes() map[string]*node {
	nodes := map[string]*node{}
	for _, name := range sortedKeys(sc.locals) {
		l := sc.locals[name]
		nodes["local."+name] = &node{key: "local." + name, rng: l.DeclRange, expr: l.Expr}
	}
	for _, key := range sortedKeys(sc.resources) {
		r := sc.resources[key]
		trs := r.body.traversals()
		trs = append(trs, sc.literalTargets(r.body.refAttrExprs(&r.schema.Block))...)
		_, hasCount := r.body.meta["count"]
		_, hasEach := r.body.meta["for_each"]
		nodes[key] = &node{key: key, rng: r.block.DeclRange,
			refs: sc.resolveRefs(trs, refFlags{count: hasCount, each: hasEach, where: "resource"})}
	}
	for _, name := range sortedKeys(sc.calls) {
		c := sc.calls[name]
		attrs, _ := c.call.Body.JustAttributes()
		var trs []hcl.Traversal
		for _, a := range sortedAttributes(attrs) {
			trs = append(trs, a.Expr.Variables()...)
		}
		_, hasCount := attrs["count"]
		_, hasEach := attrs["for_each"]
		nodes["module."+name] = &node{key: "module." + name, rng: c.call.DeclRange,
			refs: sc.resolveRefs(trs, refFlags{count: hasCount, each: hasEach, where: "module call"})}
	}
	return nodes
}

// order sorts the nodes so that each comes after everything it refers to,
// reporting cycles. The order is deterministic.
func (sc *scope) order(nodes map[string]*node) []*node {
	keys := sortedKeys(nodes)
	const (
		unvisited = iota
		visiting
		done
	)
	state := map[string]int{}
	var out []*node
	var stack []string
	var visit func(k string)
	visit = func(k string) {
		n := nodes[k]
		switch state[k] {
		case done:
			return
		case visiting:
			start := 0
			for i, s := range stack {
				if s == k {
					start = i
				}
			}
			cycle := append(append([]string{}, stack[start:]...), k)
			sc.errorf(nodes[cycle[0]].rng, "Cycle in references",
				"These refer to each other in a circle, so none can be evaluated first: %s. Break the cycle by removing one of the references.", joinArrow(cycle))
			return
		}
		state[k] = visiting
		stack = append(stack, k)
		var deps []string
		refs := n.refs
		if n.expr != nil {
			refs = rawRefs(n.expr.Variables())
		}
		for _, r := range refs {
			if dk := r.key(); dk != "" && dk != k {
				if _, ok := nodes[dk]; ok {
					deps = append(deps, dk)
				}
			} else if dk == k && r.root != "var" {
				if r.root == "local" {
					sc.errorf(r.rng, "Self-reference", "%s refers to itself, so it has no value to start from; compute it from other values.", k)
				} else {
					sc.errorf(r.rng, "Self-reference", "%s refers to itself; a block cannot use its own attributes. Use a local value or a variable instead.", k)
				}
			}
		}
		sort.Strings(deps)
		for _, d := range deps {
			visit(d)
		}
		stack = stack[:len(stack)-1]
		state[k] = done
		out = append(out, n)
	}
	for _, k := range keys {
		visit(k)
	}
	return out
}

func joinArrow(ss []string) string {
	out := ""
	for i, s := range ss {
		if i > 0 {
			out += " -> "
		}
		out += s
	}
	return out
}

// refDeps collects the resource instances behind a list of references.
func (sc *scope) refDeps(refs []ref) depSet {
	deps := depSet{}
	for _, r := range refs {
		switch r.root {
		case "var":
			deps.add(sc.varDeps[r.name])
		case "local":
			deps.add(sc.localDeps[r.name])
		case "module":
			c := sc.calls[r.name]
			want, ok := instanceKey(r.instKey)
			for key, inst := range c.instances {
				if r.instKey != cty.NilVal && (!ok || key != want) {
					continue
				}
				if od, ok := inst.outputDeps[r.attr]; ok && r.attr != "" {
					deps.add(od)
				} else {
					deps.add(inst.all)
				}
			}
		default:
			n := sc.resources[r.root+"."+r.name]
			if n.expanded() {
				// The block as a whole (see addrs.Instance.Contains).
				deps[sc.module.Resource(n.block.Kind, n.block.Name).Instance(addrs.NoKey)] = struct{}{}
				continue
			}
			deps.add(n.instances)
		}
	}
	return deps
}

// evalContext builds the context an expression with the given references
// is evaluated in. In address mode resources evaluate to their address
// strings, for reference-typed attributes.
func (sc *scope) evalContext(refs []ref, addrMode bool) *hcl.EvalContext {
	vars := map[string]cty.Value{"var": sc.varObj}
	for k, v := range sc.ev.globals {
		vars[k] = v
	}
	groups := map[string]map[string]cty.Value{}
	put := func(root, name string, v cty.Value) {
		if groups[root] == nil {
			groups[root] = map[string]cty.Value{}
		}
		groups[root][name] = v
	}
	for _, r := range refs {
		switch r.root {
		case "var":
		case "local":
			if v, ok := sc.localVals[r.name]; ok {
				put("local", r.name, v)
			} else {
				put("local", r.name, cty.DynamicVal)
			}
		case "module":
			put("module", r.name, sc.calls[r.name].value)
		default:
			n := sc.resources[r.root+"."+r.name]
			if addrMode {
				put(r.root, r.name, n.addrValue)
			} else {
				put(r.root, r.name, n.value)
			}
		}
	}
	for key := range sc.placeholders {
		root, name := splitKey(key)
		if name == "" {
			vars[root] = cty.DynamicVal // count or each, reported already
			continue
		}
		if root == "var" {
			m := sc.varObj.AsValueMap()
			if m == nil {
				m = map[string]cty.Value{}
			}
			m[name] = cty.DynamicVal
			vars["var"] = cty.ObjectVal(m)
			continue
		}
		if groups[root] == nil || groups[root][name] == cty.NilVal {
			put(root, name, cty.DynamicVal)
		}
	}
	for root, m := range groups {
		vars[root] = cty.ObjectVal(m)
	}
	return &hcl.EvalContext{Variables: vars, Functions: sc.funcs}
}

func splitKey(k string) (string, string) {
	for i := 0; i < len(k); i++ {
		if k[i] == '.' {
			return k[:i], k[i+1:]
		}
	}
	return k, ""
}

func (sc *scope) evalLocal(n *node) {
	name := n.key[len("local."):]
	l := sc.locals[name]
	var absent []string
	n.refs = sc.resolveRefs(l.Expr.Variables(), refFlags{where: "local value", absent: &absent})
	if len(absent) > 0 {
		sc.localAbsent[name] = absent[0]
		sc.localVals[name] = cty.DynamicVal
		sc.localDeps[name] = depSet{}
		return
	}
	v, d := exprValue(l.Expr, sc.evalContext(n.refs, false))
	sc.addDiags(d)
	if d.HasErrors() {
		v = cty.DynamicVal
	}
	sc.localVals[name] = v
	sc.localDeps[name] = sc.refDeps(n.refs)
}

func (sc *scope) evalOutput(o *Output) {
	var absent []string
	fl := refFlags{where: "output", absent: &absent}
	if sc.stage == nil {
		fl.absent = nil // a module's outputs always have their blocks
	}
	refs := sc.resolveRefs(o.Expr.Variables(), fl)
	var dependsOn []ref
	for _, tr := range o.DependsOn {
		dependsOn = append(dependsOn, sc.resolveRefs([]hcl.Traversal{tr}, fl)...)
	}
	if len(absent) > 0 {
		// The output describes blocks of other stages; it has no value in
		// this one.
		sc.outputAbsent[o.Name] = absent[0]
		return
	}
	v, d := exprValue(o.Expr, sc.evalContext(refs, false))
	sc.addDiags(d)
	if d.HasErrors() {
		v = cty.DynamicVal
	}
	if !o.Sensitive && marks.HasSensitive(v) {
		sc.errorf(o.Expr.Range(), "Output refers to sensitive values",
			"Output %q is built from a sensitive value, so it would be printed. Add sensitive = true to the output block to keep it hidden, or output something else.", o.Name)
	}
	if o.Sensitive {
		v = v.Mark(Sensitive)
	}
	deps := sc.refDeps(refs)
	deps.add(sc.refDeps(dependsOn))
	sc.outputVals[o.Name] = v
	sc.outputDeps[o.Name] = deps
}

// rawRefs lists the graph nodes traversals point at, without checking that
// they exist (for ordering only).
func rawRefs(trs []hcl.Traversal) []ref {
	var out []ref
	for _, tr := range trs {
		root := tr.RootName()
		if root != "local" && root != "module" && !isKind(root) {
			continue
		}
		if name, ok := traversalAttr(tr, 1); ok {
			out = append(out, ref{root: root, name: name, rng: tr.SourceRange()})
		}
	}
	return out
}
