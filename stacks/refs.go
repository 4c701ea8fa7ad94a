package stacks

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/stagecraft/stagecraft/stacks/addrs"
	"github.com/zclconf/go-cty/cty"
)

// ref is one reference from an expression to something in its scope.
type ref struct {
	root string // "var", "local", "module" or a kind
	name string
	// attr is the module output named after module.NAME (or after
	// module.NAME[KEY]), if any; key is that instance key.
	attr    string
	instKey cty.Value
	rng     hcl.Range
}

// key is the graph node the reference points at ("" for variables and
// globals, which are resolved before the graph is walked).
func (r ref) key() string {
	switch r.root {
	case "var":
		return ""
	case "local":
		return "local." + r.name
	}
	return r.root + "." + r.name
}

// depSet is a set of resource instance addresses.
type depSet map[addrs.Instance]struct{}

func (d depSet) add(other depSet) {
	for k := range other {
		d[k] = struct{}{}
	}
}

func (d depSet) sorted() []addrs.Instance {
	return slices.SortedFunc(maps.Keys(d), addrs.Compare)
}

// refFlags say which iteration symbols a block may use.
type refFlags struct {
	count, each bool
	where       string // "resource", "module call", "output", "local value"
	// absent, when set, collects references to blocks that belong to other
	// stages instead of reporting them: locals and outputs are written
	// once for every stage and are only unavailable where their blocks are
	// missing.
	absent *[]string
}

// resolveRefs maps traversals to references, reporting references to
// things that do not exist in this scope.
func (sc *scope) resolveRefs(trs []hcl.Traversal, fl refFlags) []ref {
	var out []ref
	for _, tr := range trs {
		root := tr.RootName()
		rng := tr.SourceRange()
		switch root {
		case "count":
			if !fl.count {
				sc.placeholders["count"] = true
				sc.errorf(rng, "Reference to \"count\" in a block without count", "%s", iterationDetail("count.index", "count", fl.where))
			}
			continue
		case "each":
			if !fl.each {
				sc.placeholders["each"] = true
				sc.errorf(rng, "Reference to \"each\" in a block without for_each", "%s", iterationDetail("each.key and each.value", "for_each", fl.where))
			}
			continue
		case "environment", "stage", "stack":
			continue
		}
		if root != "var" && root != "local" && root != "module" && !isKind(root) {
			continue // hcl reports unknown variables with suggestions
		}
		name, ok := traversalAttr(tr, 1)
		if !ok {
			sc.errorf(rng, "Invalid reference", "%s must be followed by a name, as in %s.NAME.", root, root)
			continue
		}
		r := ref{root: root, name: name, rng: rng}
		switch root {
		case "var":
			if _, ok := sc.vars[name]; !ok {
				sc.errorf(rng, "Reference to undeclared variable", "There is no variable named %q.%s Declare it with a variable block, or check the name.", name, suggestion(name, sortedKeys(sc.vars)))
				sc.placeholders["var."+name] = true
				continue
			}
		case "local":
			if _, ok := sc.locals[name]; !ok {
				sc.errorf(rng, "Reference to undeclared local value", "There is no local value named %q.%s Add it to a locals block, or check the name.", name, suggestion(name, sortedKeys(sc.locals)))
				sc.placeholders["local."+name] = true
				continue
			}
			if why, ok := sc.localAbsent[name]; ok {
				if fl.absent != nil {
					*fl.absent = append(*fl.absent, why)
				} else {
					sc.errorf(rng, "Local value not available in this stage", "local.%s cannot be used in stage %q: %s", name, sc.stage.name, why)
				}
			}
		case "module":
			if _, ok := sc.calls[name]; !ok {
				sc.missingBlock(rng, "module."+name, "module", fl)
				continue
			}
			next := 2
			if len(tr) > 2 {
				if ix, ok := tr[2].(hcl.TraverseIndex); ok {
					r.instKey, next = ix.Key, 3
				}
			}
			if a, ok := traversalAttr(tr, next); ok {
				r.attr = a
			}
		default:
			if _, ok := sc.resources[root+"."+name]; !ok {
				sc.missingBlock(rng, root+"."+name, "resource", fl)
				continue
			}
		}
		out = append(out, r)
	}
	return out
}

// iterationDetail explains where count.index or each.key may be used.
func iterationDetail(symbol, meta, where string) string {
	switch where {
	case "resource", "module call":
		return fmt.Sprintf("%s can only be used inside a block that sets %s; set %s on this %s, or use a fixed value.", symbol, meta, meta, where)
	}
	return fmt.Sprintf("%s can only be used inside a resource or module block that sets %s; a %s has no %s. Move the expression into that block.", symbol, meta, orDefault(where, "block"), meta)
}

// missingBlock handles a reference to a block the scope lacks: an error,
// unless the referrer collects references to other stages' blocks.
func (sc *scope) missingBlock(rng hcl.Range, addr, what string, fl refFlags) {
	sc.placeholders[addr] = true
	if fl.absent != nil && sc.stage != nil {
		_, removed := sc.stage.removedBy[addr]
		if removed || len(sc.ev.stack.definedIn(addr)) > 0 {
			*fl.absent = append(*fl.absent, sc.missingBlockDetail(addr, what))
			return
		}
	}
	sc.errorf(rng, "Reference to undeclared "+what, "%s", sc.missingBlockDetail(addr, what))
}

// missingBlockDetail explains a reference to a block the scope lacks,
// naming the stages that do have it.
func (sc *scope) missingBlockDetail(addr, what string) string {
	if sc.stage == nil {
		return fmt.Sprintf("This module has no %s named %s. Declare it in the module, or check the name.", what, addr)
	}
	if by, ok := sc.stage.removedBy[addr]; ok {
		return fmt.Sprintf("%s is not part of stage %q: stage %q removes it. Remove this reference, or keep %s in the stage.", addr, sc.stage.name, by, addr)
	}
	if in := sc.ev.stack.definedIn(addr); len(in) > 0 {
		return fmt.Sprintf("%s is not part of stage %q; it is declared in stage %s, which this stage does not extend. Declare it in this stage or in one it extends.", addr, sc.stage.name, quotedList(in))
	}
	var names []string
	for k := range sc.resources {
		names = append(names, k)
	}
	for k := range sc.calls {
		names = append(names, "module."+k)
	}
	sort.Strings(names)
	return fmt.Sprintf("Stage %q has no block %s.%s Declare it in this stage or in one it extends.", sc.stage.name, addr, suggestion(addr, names))
}

// literalTargets turns reference attributes written as strings
// (target = "autoscaling_group.app") into references.
func (sc *scope) literalTargets(exprs []hcl.Expression) []hcl.Traversal {
	var out []hcl.Traversal
	for _, e := range exprs {
		if len(e.Variables()) > 0 {
			continue
		}
		v, d := exprValue(e, nil)
		if d.HasErrors() || !v.IsKnown() || v.IsNull() || v.Type() != cty.String {
			continue
		}
		tr, pd := hclsyntax.ParseTraversalAbs([]byte(v.AsString()), e.Range().Filename, e.Range().Start)
		if pd.HasErrors() || len(tr) < 2 {
			continue
		}
		if !isKind(tr.RootName()) {
			continue
		}
		// Point the traversal at the string itself for error messages.
		rng := e.Range()
		tr[0] = hcl.TraverseRoot{Name: tr.RootName(), SrcRange: rng}
		if a, ok := tr[1].(hcl.TraverseAttr); ok {
			tr[1] = hcl.TraverseAttr{Name: a.Name, SrcRange: rng}
		}
		out = append(out, tr[:2])
	}
	return out
}

func traversalAttr(tr hcl.Traversal, i int) (string, bool) {
	if len(tr) <= i {
		return "", false
	}
	switch s := tr[i].(type) {
	case hcl.TraverseAttr:
		return s.Name, true
	case hcl.TraverseIndex:
		if i == 1 && s.Key.IsKnown() && s.Key.Type() == cty.String {
			return s.Key.AsString(), true
		}
	}
	return "", false
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func orDefault(s, d string) string {
	if strings.TrimSpace(s) == "" {
		return d
	}
	return s
}
