// Package dag is a dependency graph and a parallel walk over it. It knows
// nothing about resources or kinds: the planner builds one graph of steps
// for apply, walks it, and reads its order to describe a plan.
package dag

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
)

// Graph is a dependency graph over keys of type K. Where several nodes are
// ready at once they are taken in the order compare gives, so orders and
// walks are the same from one run to the next.
type Graph[K comparable] struct {
	nodes   map[K]*node[K]
	compare func(a, b K) int
}

type node[K comparable] struct {
	deps map[K]bool // keys this node waits for
	rdep map[K]bool // keys waiting for this node
}

// New returns an empty graph whose ties are broken by compare.
func New[K comparable](compare func(a, b K) int) *Graph[K] {
	return &Graph[K]{nodes: map[K]*node[K]{}, compare: compare}
}

// Add adds a node; adding an existing key does nothing.
func (g *Graph[K]) Add(key K) {
	if _, ok := g.nodes[key]; !ok {
		g.nodes[key] = &node[K]{deps: map[K]bool{}, rdep: map[K]bool{}}
	}
}

// Has reports whether key is a node.
func (g *Graph[K]) Has(key K) bool { _, ok := g.nodes[key]; return ok }

// Connect makes from wait for to. Both must have been added: connecting an
// unknown node is a bug in the caller, and panics.
func (g *Graph[K]) Connect(from, to K) {
	if from == to {
		return
	}
	f, t := g.nodes[from], g.nodes[to]
	if f == nil || t == nil {
		panic(fmt.Sprintf("dag: connect %v -> %v: unknown node", from, to))
	}
	f.deps[to] = true
	t.rdep[from] = true
}

// Len is the number of nodes.
func (g *Graph[K]) Len() int { return len(g.nodes) }

// CycleError is the result of ordering a graph with a cycle. Nodes lists
// the nodes on it and every node waiting on it, in compare order.
type CycleError[K comparable] struct {
	Nodes []K
}

// Error lists the nodes that cannot be ordered.
func (e *CycleError[K]) Error() string {
	return fmt.Sprintf("the graph has a cycle through %v", e.Nodes)
}

// Order returns the keys so that every node comes after what it waits for
// (ties broken by compare), or a *CycleError.
func (g *Graph[K]) Order() ([]K, error) {
	indeg := g.indegrees()
	ready := g.roots(indeg)
	var out []K
	for len(ready) > 0 {
		k := ready[0]
		ready = ready[1:]
		out = append(out, k)
		var next []K
		for r := range g.nodes[k].rdep {
			indeg[r]--
			if indeg[r] == 0 {
				next = append(next, r)
			}
		}
		ready = g.merge(ready, next)
	}
	if len(out) == len(g.nodes) {
		return out, nil
	}
	var cyc []K
	for k, d := range indeg {
		if d > 0 {
			cyc = append(cyc, k)
		}
	}
	slices.SortFunc(cyc, g.compare)
	return nil, &CycleError[K]{Nodes: cyc}
}

// indegrees counts what each node waits for.
func (g *Graph[K]) indegrees() map[K]int {
	indeg := make(map[K]int, len(g.nodes))
	for k, n := range g.nodes {
		indeg[k] = len(n.deps)
	}
	return indeg
}

// roots are the nodes that wait for nothing, in compare order.
func (g *Graph[K]) roots(indeg map[K]int) []K {
	var ready []K
	for k, d := range indeg {
		if d == 0 {
			ready = append(ready, k)
		}
	}
	slices.SortFunc(ready, g.compare)
	return ready
}

// merge adds next (in any order) to the sorted ready list.
func (g *Graph[K]) merge(ready, next []K) []K {
	if len(next) == 0 {
		return ready
	}
	slices.SortFunc(next, g.compare)
	out := make([]K, 0, len(ready)+len(next))
	i, j := 0, 0
	for i < len(ready) && j < len(next) {
		if g.compare(ready[i], next[j]) <= 0 {
			out = append(out, ready[i])
			i++
		} else {
			out = append(out, next[j])
			j++
		}
	}
	out = append(out, ready[i:]...)
	return append(out, next[j:]...)
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
func (g *Graph[K]) Walk(ctx context.Context, parallelism int, fn func(ctx context.Context, key K) error) map[K]error {
	if parallelism < 1 {
		parallelism = 1
	}
	var (
		results   = map[K]error{}
		succeeded = map[K]bool{}
		wg        sync.WaitGroup
	)
	type done struct {
		key K
		err error
	}
	doneCh := make(chan done, len(g.nodes))
	indeg := g.indegrees()
	ready := g.roots(indeg)
	running, finished := 0, 0
	var skip func(k K)
	skip = func(k K) {
		for r := range g.nodes[k].rdep {
			if _, seen := results[r]; seen {
				continue
			}
			results[r] = fmt.Errorf("%w (%v)", ErrSkipped, k)
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
			go func(k K) {
				defer wg.Done()
				doneCh <- done{k, fn(ctx, k)}
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
		var next []K
		for r := range g.nodes[d.key].rdep {
			indeg[r]--
			if indeg[r] == 0 {
				if _, failed := results[r]; !failed {
					next = append(next, r)
				}
			}
		}
		ready = g.merge(ready, next)
		succeeded[d.key] = true
	}
	wg.Wait()
	return results
}
