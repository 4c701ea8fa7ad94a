package local

import (
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/stagecraft/stagecraft/providers/kinds"
	"github.com/stagecraft/stagecraft/providers/providertest"
)

// TestLoadBalancerAndGroupConformance runs the conformance suite for
// load_balancer and autoscaling_group with the demo app. The load
// balancer's routes target a group created first, as the planner would
// order it; the group's update changes its environment, which rolls it.
func TestLoadBalancerAndGroupConformance(t *testing.T) {
	t.Parallel()
	e := newGroupTestEnv(t, 2*time.Minute)
	web, _ := e.create(t, kinds.AutoscalingGroup, "web", e.groupConfig(t, cfgAttrs{"min": cty.NumberIntVal(1), "max": cty.NumberIntVal(1)}))
	defer func() {
		if err := e.kind(web.Kind).Delete(e.ctx, web, cty.NilVal); err != nil {
			t.Errorf("delete %s: %v", web.Address, err)
		}
	}()

	lbSchema := e.kind(kinds.LoadBalancer).Schema()
	route := func(path string, weight int) cty.Value {
		r := cfgAttrs{"path": cty.StringVal(path), "target": cty.StringVal(web.Address)}
		if weight > 0 {
			r["weight"] = cty.NumberIntVal(int64(weight))
		}
		return cty.ObjectVal(r)
	}
	listener := cty.TupleVal([]cty.Value{cty.EmptyObjectVal})
	lb := providertest.Fixture{
		Desired: providertest.Desired(lbSchema, cfgAttrs{"listener": listener, "route": cty.TupleVal([]cty.Value{route("/*", 0)})}),
		Updated: providertest.Desired(lbSchema, cfgAttrs{"listener": listener, "route": cty.TupleVal([]cty.Value{route("/api/*", 0), route("/*", 0)})}),
		Replaced: providertest.Desired(lbSchema, cfgAttrs{"type": cty.StringVal("tcp"), "listener": listener,
			"route": cty.TupleVal([]cty.Value{route("/", 0)})}),
		Invalid: providertest.Desired(lbSchema, cfgAttrs{"listener": listener,
			"route": cty.TupleVal([]cty.Value{route("/*", 60), route("/*", 30)})}),
	}
	one := cfgAttrs{"min": cty.NumberIntVal(1), "max": cty.NumberIntVal(2)}
	with := func(a cfgAttrs, k string, v cty.Value) cfgAttrs {
		out := cfgAttrs{k: v}
		for n, x := range a {
			if n != k {
				out[n] = x
			}
		}
		return out
	}
	group := providertest.Fixture{
		Desired:  e.groupConfig(t, one),
		Updated:  e.groupConfig(t, with(one, "env", e.env(map[string]string{"VERSION": "2"}))),
		Replaced: e.groupConfig(t, with(one, "network", cty.StringVal("network.other"))),
		Invalid:  e.groupConfig(t, cfgAttrs{"min": cty.NumberIntVal(3), "max": cty.NumberIntVal(1)}),
	}
	providertest.Run(t, e.p, providertest.Config{
		Fixtures: map[string]providertest.Fixture{
			kinds.LoadBalancer:     lb,
			kinds.AutoscalingGroup: group,
		},
		Timeout: time.Minute,
	})
}
