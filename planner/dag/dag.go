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
	key K
	// ndeps counts the edges to what this node waits for, rdep lists the
	// nodes waiting for it. An edge drawn twice counts twice on both
	// sides, so the walk stays right without a set per node: a graph of
	// many nodes holds one slice each instead of two maps.
	ndeps int
	rdep  []*node[K]
	// rank is the node's place in compare order, set by rank before an
	// order or a walk, so ties are broken without calling compare again.
	rank int
}

// New returns an empty graph whose ties are broken by compare.
func New[K comparable](compare func(a, b K) int) *Graph[K] {
	return &Graph[K]{nodes: map[K]*node[K]{}, compare: compare}
}

// Add adds a node; adding an existing key does nothing.
func (g *Graph[K]) Add(key K) {
	if _, ok := g.nodes[key]; !ok {
		g.nodes[key] = &node[K]{key: key}
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
	if len(t.rdep) > 0 && t.rdep[len(t.rdep)-1] == f {
		return // the same edge again, as when a node's dependencies repeat
	}
	f.ndeps++
	t.rdep = append(t.rdep, f)
}

// Waiting returns the nodes that wait for key, in compare order: a node
// nothing waits for may finish in its own time without holding up the
// walk, and one that others wait for can say whom it holds up.
func (g *Graph[K]) Waiting(key K) []K {
	n := g.nodes[key]
	if n == nil {
		return nil
	}
	out := make([]K, 0, len(n.rdep))
	for _, r := range n.rdep {
		out = append(out, r.key)
	}
	slices.SortFunc(out, g.compare)
	return slices.Compact(out) // an edge drawn twice is listed twice

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

// rank sorts the nodes once by compare and numbers them in that order.
func (g *Graph[K]) rank() []*node[K] {
	all := make([]*node[K], 0, len(g.nodes))
	for _, n := range g.nodes {
		all = append(all, n)
	}
	slices.SortFunc(all, func(a, b *node[K]) int { return g.compare(a.key, b.key) })
	for i, n := range all {
		n.rank = i
	}
	return all
}

// Order returns the keys so that every node comes after what it waits for
// (ties broken by compare), or a *CycleError.
func (g *Graph[K]) Order() ([]K, error) {
	all := g.rank()
	indeg := indegrees(all)
	ready := roots(all, indeg)
	out := make([]K, 0, len(all))
	for ready.Len() > 0 {
		n := ready.pop()
		out = append(out, n.key)
		for _, r := range n.rdep {
			indeg[r.rank]--
			if indeg[r.rank] == 0 {
				ready.push(r)
			}
		}
	}
	if len(out) == len(all) {
		return out, nil
	}
	var cyc []K
	for _, n := range all {
		if indeg[n.rank] > 0 {
			cyc = append(cyc, n.key)
		}
	}
	return nil, &CycleError[K]{Nodes: cyc}
}

// indegrees counts what each node waits for, by rank.
func indegrees[K comparable](all []*node[K]) []int {
	indeg := make([]int, len(all))
	for _, n := range all {
		indeg[n.rank] = n.ndeps
	}
	return indeg
}

// roots are the nodes that wait for nothing, as a ready queue.
func roots[K comparable](all []*node[K], indeg []int) *readyQueue[K] {
	q := &readyQueue[K]{}
	for _, n := range all {
		if indeg[n.rank] == 0 {
			// all is in rank order, so appending keeps the heap ordered.
			q.nodes = append(q.nodes, n)
		}
	}
	return q
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
		results = map[K]error{}
		wg      sync.WaitGroup
	)
	type done struct {
		n   *node[K]
		err error
	}
	doneCh := make(chan done, len(g.nodes))
	all := g.rank()
	indeg := indegrees(all)
	ready := roots(all, indeg)
	// succeeded is by rank, so a walk of many nodes holds no second map
	// of their keys.
	succeeded := make([]bool, len(all))
	running, finished := 0, 0
	var skip func(n *node[K])
	skip = func(n *node[K]) {
		for _, r := range n.rdep {
			if _, seen := results[r.key]; seen {
				continue
			}
			results[r.key] = fmt.Errorf("%w (%v)", ErrSkipped, n.key)
			finished++
			skip(r)
		}
	}
	for finished < len(all) {
		for ready.Len() > 0 && running < parallelism && ctx.Err() == nil {
			n := ready.pop()
			running++
			wg.Add(1)
			go func(n *node[K]) {
				defer wg.Done()
				doneCh <- done{n, fn(ctx, n.key)}
			}(n)
		}
		if running == 0 {
			// Cancelled (or nothing can run): everything left did not
			// start.
			for _, n := range all {
				if _, ok := results[n.key]; !ok && !succeeded[n.rank] {
					results[n.key] = ErrNotStarted
				}
			}
			break
		}
		d := <-doneCh
		running--
		finished++
		if d.err != nil {
			results[d.n.key] = d.err
			skip(d.n)
			continue
		}
		for _, r := range d.n.rdep {
			indeg[r.rank]--
			if indeg[r.rank] == 0 {
				if _, failed := results[r.key]; !failed {
					ready.push(r)
				}
			}
		}
		succeeded[d.n.rank] = true
	}
	wg.Wait()
	return results
}
