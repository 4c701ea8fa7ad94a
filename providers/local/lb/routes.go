package lb

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"sync/atomic"

	"github.com/stagecraft/stagecraft/providers/local/backends"
)

// routeTable is a load balancer's routing: the route paths, longest
// prefix first, each with its weighted targets. A table is never changed
// once built, except for the group each target resolves to; a new
// configuration swaps in a new table atomically, so a request sees either
// the old routing or the new, and requests in flight keep the instance they
// hold.
type routeTable struct {
	paths []*pathRoutes
}

// pathRoutes are the routes sharing one path prefix.
type pathRoutes struct {
	prefix  string
	targets []*routeTarget
	total   int // sum of weights
}

// routeTarget is one route: a group and its share of the path's traffic.
type routeTarget struct {
	group  string
	weight int
	src    atomic.Pointer[sourceRef]
	rr     atomic.Uint64 // round robin over the group's instances
	stats  *groupStats
}

// sourceRef holds a resolved group (atomic.Pointer needs a concrete type).
type sourceRef struct{ src backends.Source }

// newRouteTable builds the table for routes, keeping the groups the
// previous table resolved (so a weight change does not move traffic
// between two groups that briefly share an address during a replacement).
func newRouteTable(routes []routeSpec, prev *routeTable, stats *lbStats) *routeTable {
	resolved := map[string]*sourceRef{}
	if prev != nil {
		for _, pr := range prev.paths {
			for _, rt := range pr.targets {
				if ref := rt.src.Load(); ref != nil && !ref.src.Retired() {
					resolved[rt.group] = ref
				}
			}
		}
	}
	byPrefix := map[string]*pathRoutes{}
	t := &routeTable{}
	for _, r := range routes {
		pr, ok := byPrefix[r.prefix]
		if !ok {
			pr = &pathRoutes{prefix: r.prefix}
			byPrefix[r.prefix] = pr
			t.paths = append(t.paths, pr)
		}
		rt := &routeTarget{group: r.target, weight: r.weight, stats: stats.group(r.target)}
		if ref, ok := resolved[r.target]; ok {
			rt.src.Store(ref)
		}
		pr.targets = append(pr.targets, rt)
		pr.total += r.weight
	}
	sort.SliceStable(t.paths, func(i, j int) bool { return len(t.paths[i].prefix) > len(t.paths[j].prefix) })
	return t
}

// match returns the routes of the longest prefix of path, or nil.
func (t *routeTable) match(path string) *pathRoutes {
	for _, pr := range t.paths {
		if strings.HasPrefix(path, pr.prefix) {
			return pr
		}
	}
	return nil
}

// choose picks a route by weight.
func (pr *pathRoutes) choose() *routeTarget {
	if pr.total <= 0 {
		return pr.targets[0]
	}
	n := rand.IntN(pr.total)
	for _, rt := range pr.targets {
		if n < rt.weight {
			return rt
		}
		n -= rt.weight
	}
	return pr.targets[len(pr.targets)-1]
}

// source returns the group a route sends traffic to, looking its address
// up again when the group held is gone or was never found.
func (lb *loadBalancer) source(rt *routeTarget) backends.Source {
	if ref := rt.src.Load(); ref != nil && !ref.src.Retired() {
		return ref.src
	}
	src, ok := servingGroup(lb.env, rt.group)
	if !ok {
		rt.src.Store(nil)
		return nil
	}
	rt.src.Store(&sourceRef{src: src})
	return src
}

// pickBackend acquires an instance for a request on pr: one of first's
// group, round robin, or when it has none, one of the path's other routes
// with a weight (so a route whose group is down does not fail requests
// another group could take). Instances in skip are not tried again.
func (lb *loadBalancer) pickBackend(pr *pathRoutes, first *routeTarget, skip []*backends.Backend) (*backends.Backend, *routeTarget) {
	try := func(rt *routeTarget) *backends.Backend {
		src := lb.source(rt)
		if src == nil {
			return nil
		}
		serving := src.Targets().Serving
		n := len(serving)
		if n == 0 {
			return nil
		}
		start := int(rt.rr.Add(1) % uint64(n))
	next:
		for i := range n {
			b := serving[(start+i)%n]
			for _, s := range skip {
				if s == b {
					continue next
				}
			}
			if b.Acquire() {
				return b
			}
		}
		return nil
	}
	if b := try(first); b != nil {
		return b, first
	}
	for _, rt := range pr.targets {
		if rt == first || rt.weight == 0 {
			continue
		}
		if b := try(rt); b != nil {
			return b, rt
		}
	}
	return nil, nil
}

// noTarget explains, in a sentence of plain text, why a request on pr found no
// instance.
func (lb *loadBalancer) noTarget(pr *pathRoutes) string {
	var why []string
	for _, rt := range pr.targets {
		if rt.weight == 0 && len(pr.targets) > 1 {
			continue
		}
		src := lb.source(rt)
		if src == nil {
			why = append(why, rt.group+" is not running")
			continue
		}
		set := src.Targets()
		why = append(why, fmt.Sprintf("%s has no healthy instance (%d starting or failing)", rt.group, len(set.Members)))
	}
	return fmt.Sprintf("%s has no healthy target for %s: %s.", lb.address, displayPrefix(pr.prefix), strings.Join(why, "; "))
}

// displayPrefix shows a route prefix the way stack files write it.
func displayPrefix(p string) string {
	if strings.HasSuffix(p, "/") {
		return p + "*"
	}
	return p
}
