package sim

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/zclconf/go-cty/cty"

	"github.com/stagecraft/stagecraft/providers"
	"github.com/stagecraft/stagecraft/providers/kinds"
)

func TestObserve(t *testing.T) {
	t.Parallel()
	p := newTestProvider(t, map[string]cty.Value{
		"unhealthy": cty.ListVal([]cty.Value{cty.StringVal("autoscaling_group.orders")}),
	})
	ctx := t.Context()
	groups := mustKind(t, p, kinds.AutoscalingGroup)
	lbs := mustKind(t, p, kinds.LoadBalancer)
	app := mustCreate(t, groups, ref(kinds.AutoscalingGroup, "app"), groupConfig(t, p, 2, 4))
	orders := mustCreate(t, groups, ref(kinds.AutoscalingGroup, "orders"), groupConfig(t, p, 1, 4))
	route := func(path, target string, weight int64) cty.Value {
		return cty.ObjectVal(map[string]cty.Value{"path": cty.StringVal(path), "target": cty.StringVal(target), "weight": cty.NumberIntVal(weight)})
	}
	edge := mustCreate(t, lbs, ref(kinds.LoadBalancer, "edge"), desiredOf(t, p, kinds.LoadBalancer, map[string]cty.Value{
		"listener": cty.TupleVal([]cty.Value{cty.EmptyObjectVal}),
		"route":    cty.TupleVal([]cty.Value{route("/", "autoscaling_group.app", 90), route("/", "autoscaling_group.orders", 10)}),
	}))

	tests := map[string]struct {
		k    *kind
		r    providers.Ref
		want providers.Observation
	}{
		"healthy group": {groups, app, providers.Observation{Healthy: true, Targets: []providers.TargetObservation{
			{ID: app.ID + "-1", Group: "autoscaling_group.app", Healthy: true, Weight: 100},
			{ID: app.ID + "-2", Group: "autoscaling_group.app", Healthy: true, Weight: 100},
		}}},
		"group listed as unhealthy": {groups, orders, providers.Observation{
			Detail: "autoscaling_group.orders is listed in the sim provider's unhealthy setting.",
			Targets: []providers.TargetObservation{
				{ID: orders.ID + "-1", Group: "autoscaling_group.orders", Weight: 100},
			}}},
		"load balancer with an unhealthy target": {lbs, edge, providers.Observation{
			Detail: "1 of 2 targets are unhealthy: autoscaling_group.orders /.",
			Targets: []providers.TargetObservation{
				{ID: "autoscaling_group.app /", Group: "autoscaling_group.app", Healthy: true, Weight: 90},
				{ID: "autoscaling_group.orders /", Group: "autoscaling_group.orders", Weight: 10},
			}}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := tc.k.Observe(ctx, tc.r, cty.NilVal)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("Observe(%s) (-want +got):\n%s", tc.r.Address, d)
			}
		})
	}

	t.Run("missing resource", func(t *testing.T) {
		r := ref(kinds.Cache, "none")
		r.ID = "cache-424242"
		_, err := mustKind(t, p, kinds.Cache).Observe(ctx, r, cty.NilVal)
		if want := `observe cache.none: sim: there is no cache with id "cache-424242"`; err == nil || err.Error() != want {
			t.Errorf("Observe of a missing resource: %v, want %q", err, want)
		}
	})
}
