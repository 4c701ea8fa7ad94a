package local

import (
	"context"
	"sort"
	"sync/atomic"
	"time"

	"github.com/stagecraft/stagecraft/providers/kinds"
)

// The interface between autoscaling groups and load balancers.
//
// A group publishes its instances as an immutable targetSet behind an
// atomic pointer; a load balancer reads it on every request (one atomic
// load), so a new instance takes traffic as soon as the group marks it
// healthy and a leaving one stops taking new requests as soon as the group
// republishes, with no registration calls and no locks between the two.
//
// In-flight requests are counted on the instance's backend itself:
// a load balancer acquires the backend before it forwards a request and
// releases it when the response is done. Draining marks the backend first
// (acquire fails from then on, so a load balancer holding an older
// targetSet picks another instance) and then waits for the count to reach
// zero; only then does the group stop the process. Because the count lives
// with the instance, draining covers every load balancer at once, including
// one created while the instance drains.
//
// A load balancer finds a group by its address when it builds its routing
// table and again whenever the group it holds is retired (deleted, halted
// or replaced by a new group at the same address); see servingGroup.
// Scaling goes the other way: a group asks every load balancer how many
// requests it routed to the group (trafficCounter).

// lbBackend is one instance as load balancers see it.
type lbBackend struct {
	id    string // instance id
	group string // address of the group
	addr  string // host:port on 127.0.0.1

	inflight atomic.Int64
	draining atomic.Bool
}

// acquire reserves the backend for one request (or connection); it fails
// once the backend drains. Every successful acquire is paired with a
// release.
func (b *lbBackend) acquire() bool {
	b.inflight.Add(1)
	if b.draining.Load() {
		b.inflight.Add(-1)
		return false
	}
	return true
}

// release ends a request acquire admitted.
func (b *lbBackend) release() { b.inflight.Add(-1) }

// drain stops new requests and waits until those in flight have finished
// or ctx ends; it reports whether they all finished.
func (b *lbBackend) drain(ctx context.Context) bool {
	b.draining.Store(true)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for b.inflight.Load() > 0 {
		select {
		case <-ctx.Done():
			return false
		case <-tick.C:
		}
	}
	return true
}

// groupMember is one instance of a group with its health, for observe.
type groupMember struct {
	b       *lbBackend
	healthy bool
}

// targetSet is what a group publishes: the instances that take new
// requests, and every instance it runs. It is never changed once
// published.
type targetSet struct {
	// serving holds the healthy, registered instances, ordered by id.
	serving []*lbBackend
	// members holds every instance, healthy or not, ordered by id.
	members []groupMember
}

// backendSource is the group side of the interface, as a load balancer
// uses it.
type backendSource interface {
	// targets is the group's current set (never nil).
	targets() *targetSet
	// retired reports whether the group is leaving (being deleted or
	// halted): a load balancer then looks its address up again, to find
	// the group that replaces it.
	retired() bool
}

// trafficCounter is the load balancer side, as a scaling group uses it.
type trafficCounter interface {
	// groupTraffic reports the requests (connections, for tcp) the load
	// balancer has routed to the group at addr since it started, and how
	// many of them ended in a 5xx answer.
	groupTraffic(addr string) (requests, errors5xx int64)
}

// servingGroup finds the group a load balancer route at addr should send
// traffic to: a ready autoscaling group with that address that is not
// retired. During a replacement two groups share the address; the one with
// more serving instances wins, then the lower id, so the choice is stable.
//
// It lives here rather than next to unitByAddress because that one returns
// any ready unit, including the group that is being deleted.
func (s *supervisor) servingGroup(addr string) (backendSource, bool) {
	type candidate struct {
		id  string
		src backendSource
		n   int
	}
	var cands []candidate
	s.mu.Lock()
	for _, m := range s.units {
		if m.address != addr || !m.ready || m.kind != kinds.AutoscalingGroup {
			continue
		}
		if src, ok := m.unit.(backendSource); ok && !src.retired() {
			cands = append(cands, candidate{id: m.id, src: src})
		}
	}
	s.mu.Unlock()
	if len(cands) == 0 {
		return nil, false
	}
	for i := range cands {
		cands[i].n = len(cands[i].src.targets().serving)
	}
	sort.Slice(cands, func(i, j int) bool {
		if cands[i].n != cands[j].n {
			return cands[i].n > cands[j].n
		}
		return cands[i].id < cands[j].id
	})
	return cands[0].src, true
}
