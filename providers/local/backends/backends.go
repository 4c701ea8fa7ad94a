// Package backends is the contract between autoscaling groups and load
// balancers: how a group tells every load balancer its healthy backends,
// and how a load balancer tells a group the traffic it routed to it.
//
// A group publishes its instances as an immutable Set behind an
// atomic pointer; a load balancer reads it on every request (one atomic
// load), so a new instance takes traffic as soon as the group marks it
// healthy and a leaving one stops taking new requests as soon as the group
// republishes, with no registration calls and no locks between the two.
//
// In-flight requests are counted on the instance's backend itself:
// a load balancer acquires the backend before it forwards a request and
// releases it when the response is done. Draining marks the backend first
// (acquire fails from then on, so a load balancer holding an older
// Set picks another instance) and then waits for the count to reach
// zero; only then does the group stop the process. Because the count lives
// with the instance, draining covers every load balancer at once, including
// one created while the instance drains.
//
// A load balancer finds a group by its address when it builds its routing
// table and again whenever the group it holds is retired (deleted, halted
// or replaced by a new group at the same address).
// Scaling goes the other way: a group asks every load balancer how many
// requests it routed to the group (TrafficCounter).
package backends

import (
	"context"
	"sync/atomic"
	"time"
)

// DrainTimeout bounds how long requests in flight may take once their
// instance leaves its group or their listener its load balancer.
const DrainTimeout = 30 * time.Second

// Backend is one instance as load balancers see it.
type Backend struct {
	ID    string // instance id
	Group string // address of the group
	Addr  string // host:port on 127.0.0.1

	inflight atomic.Int64
	draining atomic.Bool
}

// Acquire reserves the backend for one request (or connection); it fails
// once the backend drains. Every successful Acquire is paired with a
// Release.
func (b *Backend) Acquire() bool {
	b.inflight.Add(1)
	if b.draining.Load() {
		b.inflight.Add(-1)
		return false
	}
	return true
}

// Leave marks the backend as leaving: Acquire fails from then on, so load
// balancers pick another instance. Drain does the same and waits.
func (b *Backend) Leave() { b.draining.Store(true) }

// Leaving reports whether the backend takes no new requests.
func (b *Backend) Leaving() bool { return b.draining.Load() }

// InFlight is how many requests were acquired and not yet released.
func (b *Backend) InFlight() int64 { return b.inflight.Load() }

// Release ends a request Acquire admitted.
func (b *Backend) Release() { b.inflight.Add(-1) }

// Drain stops new requests and waits until those in flight have finished
// or ctx ends; it reports whether they all finished.
func (b *Backend) Drain(ctx context.Context) bool {
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

// Member is one instance of a group with its health, for observe.
type Member struct {
	Backend *Backend
	Healthy bool
}

// Set is what a group publishes: the instances that take new
// requests, and every instance it runs. It is never changed once
// published.
type Set struct {
	// Serving holds the healthy, registered instances, ordered by id.
	Serving []*Backend
	// Members holds every instance, healthy or not, ordered by id.
	Members []Member
}

// Source is the group side of the interface, as a load balancer
// uses it.
type Source interface {
	// Targets is the group's current set (never nil).
	Targets() *Set
	// Retired reports whether the group is leaving (being deleted or
	// halted): a load balancer then looks its address up again, to find
	// the group that replaces it.
	Retired() bool
}

// TrafficCounter is the load balancer side, as a scaling group uses it.
type TrafficCounter interface {
	// GroupTraffic reports the requests (connections, for tcp) the load
	// balancer has routed to the group at addr since it started, and how
	// many of them ended in a 5xx answer.
	GroupTraffic(addr string) (requests, errors5xx int64)
}
