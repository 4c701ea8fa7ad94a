package edit

import (
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclwrite"

	"github.com/stagecraft/stagecraft/stacks"
)

// ladder reads the stages of a loaded stack as hclwrite trees, so a new
// stage can copy what its parent has (routes, env entries, a group's
// settings) as written, comments included. The trees are read-only copies:
// files are changed only by Append.
type ladder struct {
	stack  *stacks.Stack
	blocks map[string]*hclwrite.Block // stage name -> its block
}

// newLadder reads the stage blocks of a loaded stack.
func newLadder(st *stacks.Stack) *ladder {
	l := &ladder{stack: st, blocks: map[string]*hclwrite.Block{}}
	parsed := map[string]*hclwrite.File{}
	for _, s := range st.Stages {
		fn := s.DeclRange.Filename
		f, ok := parsed[fn]
		if !ok {
			if hf := st.Files[fn]; hf != nil && strings.HasSuffix(fn, ".hcl") {
				f, _ = hclwrite.ParseConfig(hf.Bytes, fn, hcl.InitialPos)
			}
			parsed[fn] = f
		}
		if f == nil {
			continue // JSON syntax: nothing to copy from it
		}
		for _, b := range f.Body().Blocks() {
			if b.Type() == "stage" && len(b.Labels()) == 1 && b.Labels()[0] == s.Name {
				l.blocks[s.Name] = b
			}
		}
	}
	return l
}

// chain is the stage and its ancestors, nearest first.
func (l *ladder) chain(name string) []*stacks.Stage {
	var out []*stacks.Stage
	seen := map[string]bool{}
	for name != "" && !seen[name] {
		seen[name] = true
		s, ok := l.stack.Stage(name)
		if !ok {
			break
		}
		out = append(out, s)
		name = s.Extends
	}
	return out
}

// addresses lists the resources a stage has, its own and inherited, in the
// order they first appear along the chain.
func (l *ladder) addresses(stage string) []string {
	chain := l.chain(stage)
	var out []string
	for i := len(chain) - 1; i >= 0; i-- {
		s := chain[i]
		for _, rm := range s.Remove {
			for j, a := range out {
				if a == rm {
					out = append(out[:j:j], out[j+1:]...)
					break
				}
			}
		}
		for _, r := range s.Resources {
			if !slices.Contains(out, r.Address()) {
				out = append(out, r.Address())
			}
		}
	}
	return out
}

// resource finds the body of block addr in the nearest stage along the
// chain from stage that writes it with what has looks for: merging makes
// that stage's attribute (or nested blocks of a type) the effective one.
func (l *ladder) resource(stage, addr string, has func(*hclwrite.Body) bool) *hclwrite.Body {
	kind, name, _ := strings.Cut(addr, ".")
	for _, s := range l.chain(stage) {
		if sb := l.blocks[s.Name]; sb != nil {
			for _, rb := range sb.Body().Blocks() {
				if rb.Type() == kind && len(rb.Labels()) == 1 && rb.Labels()[0] == name && has(rb.Body()) {
					return rb.Body()
				}
			}
		}
		if slices.Contains(s.Remove, addr) {
			return nil // dropped here: nothing further up is inherited
		}
	}
	return nil
}

func hasAttr(name string) func(*hclwrite.Body) bool {
	return func(b *hclwrite.Body) bool { return b.GetAttribute(name) != nil }
}

func hasBlocks(typ string) func(*hclwrite.Body) bool {
	return func(b *hclwrite.Body) bool { return len(blocksOfType(b, typ)) > 0 }
}

func blocksOfType(b *hclwrite.Body, typ string) []*hclwrite.Block {
	var out []*hclwrite.Block
	for _, nb := range b.Blocks() {
		if nb.Type() == typ {
			out = append(out, nb)
		}
	}
	return out
}

// mainResource picks the resource of a kind a template works on: the one
// named prefer, or else the first.
func mainResource(addrs []string, kind, prefer string) string {
	first := ""
	for _, a := range addrs {
		k, n, _ := strings.Cut(a, ".")
		if k != kind {
			continue
		}
		if n == prefer {
			return n
		}
		if first == "" {
			first = n
		}
	}
	return first
}
