package local

import (
	"context"

	"github.com/zclconf/go-cty/cty"

	"github.com/stagecraft/stagecraft/providers"
	"github.com/stagecraft/stagecraft/providers/kinds"
)

// unit is one resource the supervisor runs: a proxy, a group of processes,
// a cache, a cluster. The supervisor serialises calls on one unit.
type unit interface {
	// apply makes the unit match cfg (the first call creates it) and
	// returns its actual value (cfg with every computed attribute set)
	// once it is ready, or an error saying what is wrong.
	apply(ctx context.Context, cfg cty.Value) (cty.Value, error)
	// current is the actual value now.
	current() cty.Value
	// observe reports health and traffic.
	observe(ctx context.Context) providers.Observation
	// stop ends the unit for good (the resource is deleted): drains
	// traffic, stops its processes and removes its data.
	stop(ctx context.Context) error
	// halt stops the unit's processes and keeps its data, when the
	// supervisor itself stops.
	halt(ctx context.Context) error
}

// unitEnv is what units share: where files go, the stack directory, free
// ports, and the other units (a load balancer finds its groups).
type unitEnv struct {
	sup      *supervisor
	paths    envPaths
	stackDir string
}

// newUnit builds the unit for a kind. Each kind's constructor lives in its
// own file.
func newUnit(env *unitEnv, id, address, kind string) (unit, bool) {
	switch kind {
	case kinds.Network:
		return newNetwork(id), true
	case kinds.LoadBalancer:
		return newLoadBalancer(env, id, address), true
	case kinds.AutoscalingGroup:
		return newGroup(env, id, address), true
	case kinds.Cache:
		return newCache(env, id, address), true
	case kinds.Coordinator:
		return newCoordinator(env, id, address), true
	}
	return nil, false
}
