package supervisor

import (
	"context"
	"log"

	"github.com/zclconf/go-cty/cty"

	"github.com/stagecraft/stagecraft/providers"
)

// Unit is one resource the supervisor runs: a proxy, a group of processes,
// a cache, a cluster. The supervisor serialises calls on one Unit.
type Unit interface {
	// Apply makes the unit match cfg (the first call creates it) and
	// returns its actual value (cfg with every computed attribute set)
	// once it is ready, or an error saying what is wrong.
	Apply(ctx context.Context, cfg cty.Value) (cty.Value, error)
	// Current is the actual value now.
	Current() cty.Value
	// Observe reports health and traffic.
	Observe(ctx context.Context) providers.Observation
	// Stop ends the unit for good (the resource is deleted): drains
	// traffic, stops its processes and removes its data.
	Stop(ctx context.Context) error
	// Halt stops the unit's processes and keeps its data, when the
	// supervisor itself stops.
	Halt(ctx context.Context) error
}

// Env is what units share: where files go, the stack directory, the
// supervisor's log, and the other units (a load balancer finds its
// groups).
type Env struct {
	sup      *supervisor
	Paths    Paths
	StackDir string
}

// NewUnit builds the unit of one resource of a kind. Each kind's package
// has one; the supervisor is given them by kind, so it depends on none.
type NewUnit func(env *Env, id, address string) Unit

// Logger is the supervisor's log, or nil for a unit that runs without a
// supervisor (in tests).
func (e *Env) Logger() *log.Logger {
	if e == nil || e.sup == nil {
		return nil
	}
	return e.sup.logger
}

// Peer is another resource the same supervisor runs.
type Peer struct {
	ID      string
	Address string
	Unit    Unit
}

// Ready lists the resources of a kind whose first apply has finished: a
// load balancer finds its groups among them, and a group the load
// balancers that count its traffic. A unit without a supervisor has none.
func (e *Env) Ready(kind string) []Peer {
	if e == nil || e.sup == nil {
		return nil
	}
	s := e.sup
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Peer
	for _, m := range s.units {
		if m.kind == kind && m.ready {
			out = append(out, Peer{ID: m.id, Address: m.address, Unit: m.unit})
		}
	}
	return out
}
