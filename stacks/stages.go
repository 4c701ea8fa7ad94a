package stacks

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
)

// resolvedStage is a stage with its inheritance applied: every resource and
// module call it has, with inherited blocks merged under its own.
type resolvedStage struct {
	name      string
	resources []*ResourceBlock
	modules   []*ModuleCall
	// removedBy maps an address dropped along the chain to the stage whose
	// remove list dropped it, for clearer reference errors.
	removedBy map[string]string
}

// resolveStage applies extends, remove and override-merge along the chain
// of parents, root first.
func (s *Stack) resolveStage(name string) (*resolvedStage, hcl.Diagnostics) {
	return s.resolveStageSeen(name, map[string]bool{})
}

func (s *Stack) resolveStageSeen(name string, seen map[string]bool) (*resolvedStage, hcl.Diagnostics) {
	st, ok := s.Stage(name)
	if !ok {
		return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Unknown stage",
			Detail: fmt.Sprintf("There is no stage %q.%s The stages are: %s.", name, suggestion(name, s.StageNames()), quotedList(s.StageNames()))}}
	}
	out := &resolvedStage{name: name, removedBy: map[string]string{}}
	var diags hcl.Diagnostics
	seen[name] = true
	if st.Extends != "" && !seen[st.Extends] {
		if _, ok := s.Stage(st.Extends); ok {
			parent, pd := s.resolveStageSeen(st.Extends, seen)
			diags = append(diags, pd...)
			if parent != nil {
				out.resources = append(out.resources, parent.resources...)
				out.modules = append(out.modules, parent.modules...)
				for k, v := range parent.removedBy {
					out.removedBy[k] = v
				}
			}
		}
	}
	for i, addr := range st.Remove {
		var removedResource, removedModule bool
		out.resources, removedResource = removeBlock(out.resources, addr)
		out.modules, removedModule = removeBlock(out.modules, addr)
		if removedResource || removedModule {
			out.removedBy[addr] = st.Name
			continue
		}
		detail := fmt.Sprintf("Stage %q removes %s, but it inherits no such block", st.Name, addr)
		if st.Extends == "" {
			detail = fmt.Sprintf("Stage %q removes %s, but it extends no stage, so there is nothing to remove", st.Name, addr)
		}
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Nothing to remove",
			Detail:  detail + "; check the address or drop it from remove.",
			Subject: st.removeRanges[i].Ptr()})
	}
	out.resources = mergeBlocks(out.resources, st.Resources, (*ResourceBlock).mergedOver, out.removedBy)
	out.modules = mergeBlocks(out.modules, st.Modules, (*ModuleCall).mergedOver, out.removedBy)
	return out, diags
}

// addressed is a block a stage writes by address: a resource block or a
// module call.
type addressed interface{ Address() string }

// removeBlock drops the block at addr, if there is one, from a copy of
// blocks (the parent stage's list stays as it was).
func removeBlock[B addressed](blocks []B, addr string) ([]B, bool) {
	for j, b := range blocks {
		if b.Address() == addr {
			return append(blocks[:j:j], blocks[j+1:]...), true
		}
	}
	return blocks, false
}

// mergeBlocks writes a stage's own blocks over the inherited ones: a block
// at an inherited address takes its place, merged over it by over; a new
// one goes at the end. A block written again is no longer removed.
func mergeBlocks[B addressed](inherited, own []B, over func(b, prev B) B, removedBy map[string]string) []B {
	for _, b := range own {
		delete(removedBy, b.Address())
		merged := false
		for j, prev := range inherited {
			if prev.Address() == b.Address() {
				inherited[j] = over(b, prev)
				merged = true
				break
			}
		}
		if !merged {
			inherited = append(inherited, b)
		}
	}
	return inherited
}

// mergedOver is r written over the inherited block prev at its address.
func (r *ResourceBlock) mergedOver(prev *ResourceBlock) *ResourceBlock {
	c := *r
	c.Body = mergeOver(prev.Body, r.Body)
	return &c
}

// mergedOver is m written over the inherited module call prev at its
// address.
func (m *ModuleCall) mergedOver(prev *ModuleCall) *ModuleCall {
	c := *m
	c.Body = mergeOver(prev.Body, m.Body)
	return &c
}

// definedIn lists the stages that write a block with the given address.
func (s *Stack) definedIn(addr string) []string {
	var out []string
	for _, st := range s.Stages {
		for _, r := range st.Resources {
			if r.Address() == addr {
				out = append(out, st.Name)
			}
		}
		for _, m := range st.Modules {
			if m.Address() == addr {
				out = append(out, st.Name)
			}
		}
	}
	return out
}
