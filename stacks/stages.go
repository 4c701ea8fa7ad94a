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
		found := false
		for j, r := range out.resources {
			if r.Address() == addr {
				out.resources = append(out.resources[:j:j], out.resources[j+1:]...)
				found = true
				break
			}
		}
		for j, m := range out.modules {
			if m.Address() == addr {
				out.modules = append(out.modules[:j:j], out.modules[j+1:]...)
				found = true
				break
			}
		}
		if found {
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
	for _, r := range st.Resources {
		delete(out.removedBy, r.Address())
		merged := false
		for j, prev := range out.resources {
			if prev.Address() == r.Address() {
				c := *r
				c.Body = mergeOver(prev.Body, r.Body)
				out.resources[j] = &c
				merged = true
				break
			}
		}
		if !merged {
			out.resources = append(out.resources, r)
		}
	}
	for _, m := range st.Modules {
		delete(out.removedBy, m.Address())
		merged := false
		for j, prev := range out.modules {
			if prev.Address() == m.Address() {
				c := *m
				c.Body = mergeOver(prev.Body, m.Body)
				out.modules[j] = &c
				merged = true
				break
			}
		}
		if !merged {
			out.modules = append(out.modules, m)
		}
	}
	return out, diags
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
