package aws

import (
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/stagecraft/stagecraft/providers/kinds"
	"github.com/stagecraft/stagecraft/providers/providertest"
	"github.com/stagecraft/stagecraft/providers/schema"
)

// TestConformance runs the conformance suite for every kind against moto.
// The load balancer routes to a group made first, as the planner orders
// it; the group's replacement moves it into a network made first; its
// update changes env and adds a scaling policy, which rolls it. moto
// implements none of ElastiCache's resize operations, so the cache's
// in-place change is one that lives in tags there (and in the parameter
// group at AWS). The coordinator grows from three members to five, one at
// a time (shrinking needs members that leave on their own: see
// coordinator_test.go).
func TestConformance(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, 85*time.Second)
	e.stack, e.env = "providertest", "conformance"
	web, _ := e.create(kinds.AutoscalingGroup, "web", groupAttrs(testAMI, nil))
	e.create(kinds.Network, "other", nil)

	str, num := cty.StringVal, cty.NumberIntVal
	schema := func(kind string) *schema.Schema { return e.kind(kind).Schema() }
	netS, lbS, grS := schema(kinds.Network), schema(kinds.LoadBalancer), schema(kinds.AutoscalingGroup)
	cacheS, coordS := schema(kinds.Cache), schema(kinds.Coordinator)
	route := func(path string, weight int64) cty.Value {
		r := attrs{"path": str(path), "target": str(web.Address)}
		if weight > 0 {
			r["weight"] = num(weight)
		}
		return cty.ObjectVal(r)
	}
	listener := cty.TupleVal([]cty.Value{cty.EmptyObjectVal})
	env := func(v string) cty.Value {
		return cty.MapVal(attrs{"VERSION": str(v), "QUOTE": str("it's \"x\"\nline two")})
	}
	group := func(extra attrs) cty.Value { return providertest.Desired(grS, groupAttrs(testAMI, extra)) }
	coord := func(engine string, members int64) cty.Value {
		return providertest.Desired(coordS, attrs{"engine": str(engine), "members": num(members), "aws": cty.ObjectVal(attrs{"ami": str(testAMI)})})
	}
	providertest.Run(t, e.p, providertest.Config{
		Configure: motoConfig(motoURL, e.region),
		Fixtures: map[string]providertest.Fixture{
			kinds.Network: {
				Desired:  providertest.Desired(netS, nil),
				Replaced: providertest.Desired(netS, attrs{"cidr_block": str("10.1.0.0/16"), "availability_zones": num(3)}),
				Invalid:  providertest.Desired(netS, attrs{"availability_zones": num(1)}),
			},
			kinds.LoadBalancer: {
				Desired: providertest.Desired(lbS, attrs{"listener": listener, "route": cty.TupleVal([]cty.Value{route("/*", 0)})}),
				Updated: providertest.Desired(lbS, attrs{"listener": cty.TupleVal([]cty.Value{cty.EmptyObjectVal, cty.ObjectVal(attrs{"port": num(8080)})}),
					"route": cty.TupleVal([]cty.Value{route("/api/*", 0), route("/*", 100)})}),
				Replaced: providertest.Desired(lbS, attrs{"type": str("tcp"), "listener": listener, "route": cty.TupleVal([]cty.Value{route("/", 0)})}),
				Invalid: providertest.Desired(lbS, attrs{"listener": listener,
					"route": cty.TupleVal([]cty.Value{route("/*", 60), route("/*", 30)})}),
			},
			kinds.Cache: {
				Desired:  providertest.Desired(cacheS, attrs{"engine": str("redis"), "replicas": num(1)}),
				Updated:  providertest.Desired(cacheS, attrs{"engine": str("redis"), "replicas": num(1), "memory_mb": num(256), "eviction_policy": str("volatile-lru")}),
				Replaced: providertest.Desired(cacheS, attrs{"engine": str("memcached"), "nodes": num(2)}),
				Invalid:  providertest.Desired(cacheS, attrs{"engine": str("memcached"), "replicas": num(1)}),
			},
			kinds.Coordinator: {
				Desired:  coord("etcd", 3),
				Updated:  coord("etcd", 5),
				Replaced: coord("zookeeper", 3),
				Invalid:  coord("etcd", 2),
			},
			kinds.AutoscalingGroup: {
				Desired: group(attrs{"env": env("1")}),
				Updated: group(attrs{"env": env("2"), "scaling": cty.ObjectVal(attrs{"target_cpu": num(60)}),
					"health_check": cty.ObjectVal(attrs{"path": str("/ready")}),
					"aws":          cty.ObjectVal(attrs{"ami": str(testAMI), "user_data": str("#!/bin/sh\necho hello\n")})}),
				Replaced: group(attrs{"env": env("2"), "network": str("network.other")}),
				Invalid:  group(attrs{"min": num(3), "max": num(1)}),
			},
		},
		Timeout: 45 * time.Second,
	})
}
