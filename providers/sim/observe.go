package sim

import (
	"context"
	"fmt"
	"strings"

	"github.com/zclconf/go-cty/cty"

	"github.com/stagecraft/stagecraft/providers"
	"github.com/stagecraft/stagecraft/providers/kinds"
)

// Observe reports the health of the resource with r.ID. The simulated
// cloud carries no traffic: every counter and latency is zero, and every
// resource and target is healthy except those whose address is listed in
// the unhealthy setting. Targets are one per group instance, cache node or
// coordinator member, and one per route of a load balancer (its Group is
// the route's target address, so listing a group as unhealthy makes the
// load balancer's targets for it unhealthy too).
func (k *kind) Observe(ctx context.Context, r providers.Ref, _ cty.Value) (providers.Observation, error) {
	var (
		res       *resource
		unhealthy map[string]bool
	)
	err := k.p.callFor(ctx, opObserve, r, func(s *session) error {
		var ok bool
		if res, ok = s.cloud.get(k.name, r.ID); !ok {
			return fmt.Errorf("sim: there is no %s with id %q", k.name, r.ID)
		}
		unhealthy = s.unhealthy
		return nil
	})
	if err != nil {
		return providers.Observation{}, err
	}
	obs := providers.Observation{Healthy: true, Targets: k.targets(res, r.Address, unhealthy)}
	var sick []string
	for _, t := range obs.Targets {
		if !t.Healthy {
			sick = append(sick, t.ID)
		}
	}
	switch {
	case unhealthy[r.Address]:
		obs.Healthy = false
		obs.Detail = fmt.Sprintf("%s is listed in the sim provider's unhealthy setting.", r.Address)
	case len(sick) > 0:
		obs.Healthy = false
		obs.Detail = fmt.Sprintf("%d of %d targets are unhealthy: %s.", len(sick), len(obs.Targets), strings.Join(sick, ", "))
	}
	return obs, nil
}

// targets lists the simulated targets of res.
func (k *kind) targets(res *resource, address string, unhealthy map[string]bool) []providers.TargetObservation {
	attrs := res.value.AsValueMap()
	var out []providers.TargetObservation
	members := func(n int64) {
		for i := range n {
			out = append(out, providers.TargetObservation{
				ID: fmt.Sprintf("%s-%d", res.id, i+1), Group: address, Healthy: !unhealthy[address], Weight: 100,
			})
		}
	}
	switch k.name {
	case kinds.AutoscalingGroup:
		members(k.whole(attrs, "desired"))
	case kinds.Cache:
		members(k.whole(attrs, "nodes"))
	case kinds.Coordinator:
		members(k.whole(attrs, "members"))
	case kinds.LoadBalancer:
		routes := attrs["route"]
		if routes.IsNull() {
			break
		}
		for _, rt := range routes.AsValueSlice() {
			target := rt.GetAttr("target").AsString()
			weight := int64(100)
			if w := rt.GetAttr("weight"); !w.IsNull() {
				weight, _ = w.AsBigFloat().Int64()
			}
			path := "/"
			if p := rt.GetAttr("path"); !p.IsNull() {
				path = p.AsString()
			}
			out = append(out, providers.TargetObservation{
				ID: target + " " + path, Group: target, Healthy: !unhealthy[target] && !unhealthy[address], Weight: int(weight),
			})
		}
	}
	return out
}
