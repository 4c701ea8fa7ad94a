package stacks

import (
	"slices"

	"github.com/zclconf/go-cty/cty"

	"github.com/stagecraft/stagecraft/providers/schema"
	"github.com/stagecraft/stagecraft/stacks/addrs"
)

// Reuse lets an evaluation take over the results of an earlier one of the
// same request, for the resource blocks whose inputs did not change: apply
// evaluates the stack again and again as resources come into existence,
// and in a stack of many blocks most of them are the same each time.
//
// A root block's result is taken over when everything it refers to is a
// variable, a global or a resource block whose value this evaluation found
// unchanged; when its own instances' known values changed (Changed), their
// configuration is taken over and only the value references to the block
// see (configuration plus computed attributes) is made again. Blocks that refer to locals or modules, blocks inside modules,
// and blocks whose evaluation reported diagnostics are always evaluated.
type Reuse struct {
	// Previous is the earlier evaluation, of the same request but Known.
	Previous *DesiredSet
	// Changed reports whether the known value of a resource instance
	// changed since Previous was evaluated.
	Changed func(addr addrs.Instance) bool
}

// blockResult is what evaluating one root resource block produced.
type blockResult struct {
	resources        []*Resource
	value, addrValue cty.Value
	instances        depSet
}

// reuseBlock takes over the previous result of a root resource block when
// its inputs did not change, and reports whether it did.
func (sc *scope) reuseBlock(n *resourceNode, refs []ref) bool {
	ev := sc.ev
	if ev.reuse == nil || ev.reuse.Previous == nil || !sc.module.IsRoot() {
		return false
	}
	key := n.block.Address()
	prev, ok := ev.reuse.Previous.blocks[key]
	if !ok {
		return false
	}
	for _, r := range refs {
		switch r.root {
		case "var":
		case "local", "module":
			return false
		default:
			if _, isGlobal := ev.globals[r.root]; isGlobal {
				continue
			}
			if _, isResource := sc.resources[r.root+"."+r.name]; !isResource || !ev.same[r.root+"."+r.name] {
				return false
			}
		}
	}
	changed := false
	for addr := range prev.instances {
		if ev.reuse.Changed(addr) {
			changed = true
			break
		}
	}
	ev.resources = append(ev.resources, prev.resources...)
	// The block's instances are what they were: share the set, which
	// nothing adds to once a block is evaluated, instead of copying it.
	n.instances = prev.instances
	if !changed {
		n.value, n.addrValue = prev.value, prev.addrValue
		ev.blocks[key] = prev
		ev.same[key] = true
		return true
	}
	// Only what exists of the block's instances changed: their
	// configuration is what it was, and what references to them see is
	// made again from it and the new known values.
	_, provBlock := sc.schemaBlocks(n)
	insts := make([]instance, len(prev.resources))
	vals := make([]cty.Value, len(prev.resources))
	for i, r := range prev.resources {
		insts[i] = instance{key: keyValue(r.Address.Key)}
		vals[i] = schema.WithComputed(provBlock, r.Config, ev.known[r.Address])
	}
	n.value, n.addrValue = collect(n.body.meta, insts, vals), prev.addrValue
	ev.blocks[key] = &blockResult{resources: prev.resources, value: n.value, addrValue: n.addrValue, instances: prev.instances}
	ev.same[key] = sameValue(prev.value, n.value)
	return true
}

// rememberBlock records a root block's result for later evaluations, and
// whether what references to it see is what they saw before.
func (sc *scope) rememberBlock(n *resourceNode, firstResource, diagsBefore int) {
	ev := sc.ev
	if !sc.module.IsRoot() || len(ev.diags) != diagsBefore {
		return
	}
	key := n.block.Address()
	// A copy: the evaluation sorts its resources in place at the end.
	r := &blockResult{resources: slices.Clone(ev.resources[firstResource:]), value: n.value, addrValue: n.addrValue, instances: n.instances}
	ev.blocks[key] = r
	if ev.reuse != nil && ev.reuse.Previous != nil {
		if prev, ok := ev.reuse.Previous.blocks[key]; ok && sameValue(prev.value, r.value) && sameValue(prev.addrValue, r.addrValue) {
			ev.same[key] = true
		}
	}
}

// sameValue is a.RawEquals(b) for the value of a resource block. The
// instances of a counted or for_each block are compared one by one, so
// that a change shows at the first that differs instead of after the
// types of all of them were compared.
func sameValue(a, b cty.Value) bool {
	if a.IsMarked() || b.IsMarked() || !a.IsKnown() || !b.IsKnown() || a.IsNull() || b.IsNull() {
		return a.RawEquals(b)
	}
	at, bt := a.Type(), b.Type()
	switch {
	case at.IsTupleType() && bt.IsTupleType():
		as, bs := a.AsValueSlice(), b.AsValueSlice()
		if len(as) != len(bs) {
			return false
		}
		for i := range as {
			if !as[i].RawEquals(bs[i]) {
				return false
			}
		}
		return true
	case at.IsObjectType() && bt.IsObjectType():
		am, bm := a.AsValueMap(), b.AsValueMap()
		if len(am) != len(bm) {
			return false
		}
		for k, av := range am {
			bv, ok := bm[k]
			if !ok || !av.RawEquals(bv) {
				return false
			}
		}
		return true
	}
	return a.RawEquals(b)
}
