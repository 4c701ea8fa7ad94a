package planner

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
)

// Graph is a dependency graph of string keys. It knows nothing about
// resources: the planner builds one for apply, walks it in parallel and
// reads its order for display.
type Graph struct {
	nodes map[string]*gnode
}

type gnode struct {
	key  string
	deps map[string]bool // keys this node waits for
	rdep map[string]bool // keys waiting for this node
}

// NewGraph returns an empty graph.
func NewGraph() *Graph { return &Graph{nodes: map[string]*gnode{}} }

// Add adds a node; adding an existing key does nothing.
func (g *Graph) Add(key string) {
	if _, ok := g.nodes[key]; !ok {
		g.nodes[key] = &gnode{key: key, deps: map[string]bool{}, rdep: map[string]bool{}}
	}
}

// Has reports whether key is a node.
func (g *Graph) Has(key string) bool { _, ok := g.nodes[key]; return ok }

// Connect makes from wait for to. Both must have been added.
func (g *Graph) Connect(from, to string) {
	if from == to {
		return
	}
	f, t := g.nodes[from], g.nodes[to]
	if f == nil || t == nil {
		panic(fmt.Sprintf("graph: connect %q -> %q: unknown node", from, to))
	}
	f.deps[to] = true
	t.rdep[from] = true
}

// Len is the number of nodes.
func (g *Graph) Len() int { return len(g.nodes) }

// Order returns the keys so that every node comes after what it waits for
// (ties broken by key), or the keys of a cycle and false.
func (g *Graph) Order() ([]string, []string, bool) {
	indeg := map[string]int{}
	for k, n := range g.nodes {
		indeg[k] = len(n.deps)
	}
	var ready []string
	for k, d := range indeg {
		if d == 0 {
			ready = append(ready, k)
		}
	}
	sort.Strings(ready)
	var out []string
	for len(ready) > 0 {
		k := ready[0]
		ready = ready[1:]
		out = append(out, k)
		var next []string
		for r := range g.nodes[k].rdep {
			indeg[r]--
			if indeg[r] == 0 {
				next = append(next, r)
			}
		}
		sort.Strings(next)
		ready = mergeSorted(ready, next)
	}
	if len(out) == len(g.nodes) {
		return out, nil, true
	}
	var cyc []string
	for k, d := range indeg {
		if d > 0 {
			cyc = append(cyc, k)
		}
	}
	sort.Strings(cyc)
	return nil, cyc, false
}

func mergeSorted(a, b []string) []string {
	if len(b) == 0 {
		return a
	}
	out := make([]string, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		if a[i] <= b[j] {
			out = append(out, a[i])
			i++
		} else {
			out = append(out, b[j])
			j++
		}
	}
	out = append(out, a[i:]...)
	return append(out, b[j:]...)
}

// ErrSkipped is the result of a node that did not run because something it
// waits for failed.
var ErrSkipped = errors.New("skipped because a dependency failed")

// ErrNotStarted is the result of a node that did not run because the walk
// was cancelled first.
var ErrNotStarted = errors.New("not started: the run was interrupted")

// Walk calls fn for every node, each as soon as everything it waits for has
// succeeded, at most parallelism at once. When fn fails, the nodes waiting
// on it (directly or not) are skipped and the rest go on. When ctx is
// cancelled, no new node starts; calls in flight are waited for. The result
// maps every node that did not succeed to its error. The graph must be
// acyclic (check with Order).
func (g *Graph) Walk(ctx context.Context, parallelism int, fn func(ctx context.Context, key string) error) map[string]error {
	if parallelism < 1 {
		parallelism = 1
	}
	var (
		results   = map[string]error{}
		succeeded = map[string]bool{}
		wg        sync.WaitGroup
	)
	indeg := make(map[string]int, len(g.nodes))
	for k, n := range g.nodes {
		indeg[k] = len(n.deps)
	}
	type done struct {
		key string
		err error
	}
	doneCh := make(chan done, len(g.nodes))
	var ready []string
	for k, d := range indeg {
		if d == 0 {
			ready = append(ready, k)
		}
	}
	sort.Strings(ready)
	running := 0
	finished := 0
	var skip func(k string)
	skip = func(k string) {
		for r := range g.nodes[k].rdep {
			if _, seen := results[r]; seen {
				continue
			}
			results[r] = fmt.Errorf("%w (%s)", ErrSkipped, k)
			finished++
			skip(r)
		}
	}
	for finished < len(g.nodes) {
		for len(ready) > 0 && running < parallelism && ctx.Err() == nil {
			k := ready[0]
			ready = ready[1:]
			running++
			wg.Add(1)
			go func(k string) {
				defer wg.Done()
				err := fn(ctx, k)
				doneCh <- done{k, err}
			}(k)
		}
		if running == 0 {
			// Cancelled (or nothing can run): everything left did not
			// start.
			for k := range g.nodes {
				if _, ok := results[k]; !ok && !succeeded[k] {
					results[k] = ErrNotStarted
				}
			}
			break
		}
		d := <-doneCh
		running--
		finished++
		if d.err != nil {
			results[d.key] = d.err
			skip(d.key)
			continue
		}
		var next []string
		for r := range g.nodes[d.key].rdep {
			indeg[r]--
			if indeg[r] == 0 {
				if _, failed := results[r]; !failed {
					next = append(next, r)
				}
			}
		}
		sort.Strings(next)
		ready = mergeSorted(ready, next)
		succeeded[d.key] = true
	}
	wg.Wait()
	return results
}
