package sim

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/stagecraft/stagecraft/providers"
	"github.com/stagecraft/stagecraft/providers/kinds"
	"github.com/stagecraft/stagecraft/providers/providertest"
)

// fastRetry keeps the retry behaviour of the default policy with backoffs
// short enough for unit tests.
func fastRetry() providers.RetryPolicy {
	return providers.RetryPolicy{Attempts: 8, Base: time.Millisecond, Max: 5 * time.Millisecond}
}

// newTestProvider returns a sim provider configured with config and a fast
// retry policy.
func newTestProvider(t testing.TB, config map[string]cty.Value) *provider {
	t.Helper()
	p := newProvider()
	p.retry = fastRetry()
	configure(t, p, config)
	t.Cleanup(func() { p.Close() })
	return p
}

func configure(t testing.TB, p *provider, config map[string]cty.Value) {
	t.Helper()
	v := cty.EmptyObjectVal
	if len(config) > 0 {
		v = cty.ObjectVal(config)
	}
	if diags := p.Configure(context.Background(), v); diags.HasErrors() {
		t.Fatalf("Configure: %s", diags.Error())
	}
}

// fixtures returns the conformance fixtures of every kind.
func fixtures(p providers.Provider) map[string]providertest.Fixture {
	desired := func(kind string, attrs map[string]cty.Value) cty.Value {
		k, _ := p.Kind(kind)
		return providertest.Desired(k.Schema(), attrs)
	}
	str, num := cty.StringVal, cty.NumberIntVal
	obj := cty.ObjectVal
	tuple := func(vs ...cty.Value) cty.Value { return cty.TupleVal(vs) }
	type attrs = map[string]cty.Value
	return map[string]providertest.Fixture{
		kinds.Network: {
			Desired: desired(kinds.Network, attrs{"cidr_block": str("10.1.0.0/16")}),
			// A network has no attribute that changes in place.
			Replaced: desired(kinds.Network, attrs{"cidr_block": str("10.1.0.0/16"), "availability_zones": num(3)}),
			Invalid:  desired(kinds.Network, attrs{"cidr_block": str("10.1.0.1/16")}),
		},
		kinds.LoadBalancer: {
			Desired: desired(kinds.LoadBalancer, attrs{
				"listener": tuple(cty.EmptyObjectVal),
				"route":    tuple(obj(attrs{"path": str("/*"), "target": str("autoscaling_group.app")})),
			}),
			Updated: desired(kinds.LoadBalancer, attrs{
				"listener": tuple(obj(attrs{"port": num(8080)}), cty.EmptyObjectVal),
				"route": tuple(
					obj(attrs{"path": str("/orders/*"), "target": str("autoscaling_group.orders")}),
					obj(attrs{"path": str("/*"), "target": str("autoscaling_group.app"), "weight": num(100)}),
				),
			}),
			Replaced: desired(kinds.LoadBalancer, attrs{
				"type":     str("tcp"),
				"listener": tuple(obj(attrs{"port": num(5432)})),
				"route":    tuple(obj(attrs{"target": str("autoscaling_group.app")})),
			}),
			Invalid: desired(kinds.LoadBalancer, attrs{
				"type":     str("udp"),
				"listener": tuple(cty.EmptyObjectVal),
				"route":    tuple(obj(attrs{"target": str("autoscaling_group.app")})),
			}),
		},
		kinds.Cache: {
			Desired:  desired(kinds.Cache, attrs{"engine": str("redis"), "nodes": num(2)}),
			Updated:  desired(kinds.Cache, attrs{"engine": str("redis"), "nodes": num(3), "memory_mb": num(256), "replicas": num(1)}),
			Replaced: desired(kinds.Cache, attrs{"engine": str("memcached"), "nodes": num(2)}),
			Invalid:  desired(kinds.Cache, attrs{"engine": str("mysql")}),
		},
		kinds.Coordinator: {
			Desired:  desired(kinds.Coordinator, attrs{"engine": str("etcd")}),
			Updated:  desired(kinds.Coordinator, attrs{"engine": str("etcd"), "members": num(5)}),
			Replaced: desired(kinds.Coordinator, attrs{"engine": str("zookeeper")}),
			Invalid:  desired(kinds.Coordinator, attrs{"engine": str("etcd"), "members": num(4)}),
		},
		kinds.AutoscalingGroup: {
			Desired: desired(kinds.AutoscalingGroup, attrs{"min": num(1), "max": num(3)}),
			Updated: desired(kinds.AutoscalingGroup, attrs{
				"min": num(2), "max": num(6), "env": obj(attrs{"REDIS_ADDR": str("cache-1:6379")}),
				"scaling": obj(attrs{"target_cpu": num(60)}),
			}),
			Replaced: desired(kinds.AutoscalingGroup, attrs{"min": num(1), "max": num(3), "network": str("network.main")}),
			Invalid:  desired(kinds.AutoscalingGroup, attrs{"min": num(5), "max": num(2)}),
		},
	}
}

func TestConformance(t *testing.T) {
	t.Parallel()
	tests := map[string]func(t *testing.T) map[string]cty.Value{
		"in memory": func(*testing.T) map[string]cty.Value { return nil },
		"with a path": func(t *testing.T) map[string]cty.Value {
			return map[string]cty.Value{"path": cty.StringVal(filepath.Join(t.TempDir(), "cloud.jsonl"))}
		},
		// Injected transient errors are retried inside the provider, so
		// the planner never sees them. The run is sequential and seeded,
		// so it is reproducible.
		"flaky cloud": func(*testing.T) map[string]cty.Value {
			return map[string]cty.Value{"error_rate": cty.NumberFloatVal(0.3), "seed": cty.NumberIntVal(3)}
		},
	}
	for name, config := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			p := newProvider()
			p.retry = fastRetry()
			t.Cleanup(func() { p.Close() })
			cfg := cty.EmptyObjectVal
			if c := config(t); c != nil {
				cfg = cty.ObjectVal(c)
			}
			providertest.Run(t, p, providertest.Config{
				Configure:   cfg,
				Stack:       "shop",
				Environment: "test",
				Fixtures:    fixtures(p),
			})
			if name == "flaky cloud" && p.session().injected.Load() == 0 {
				t.Errorf("no transient error was injected, so the run did not test retries")
			}
		})
	}
}

// mustKind returns the sim implementation of a kind.
func mustKind(t testing.TB, p *provider, name string) *kind {
	t.Helper()
	k, ok := p.Kind(name)
	if !ok {
		t.Fatalf("sim has no kind %s", name)
	}
	return k.(*kind)
}

func ref(kind, name string) providers.Ref {
	return providers.Ref{Address: kind + "." + name, Kind: kind, Stack: "shop", Environment: "dev"}
}

func cacheConfig(t testing.TB, p *provider, attrs map[string]cty.Value) cty.Value {
	t.Helper()
	if attrs == nil {
		attrs = map[string]cty.Value{"engine": cty.StringVal("redis")}
	}
	return providertest.Desired(mustKind(t, p, kinds.Cache).schema, attrs)
}

func mustCreate(t testing.TB, k *kind, r providers.Ref, desired cty.Value) providers.Ref {
	t.Helper()
	actual, err := k.Create(context.Background(), r, desired)
	if err != nil {
		t.Fatalf("Create %s: %v", r.Address, err)
	}
	r.ID = actual.GetAttr("id").AsString()
	return r
}

func TestComputedAttributes(t *testing.T) {
	t.Parallel()
	type attrs = map[string]cty.Value
	str, num := cty.StringVal, cty.NumberIntVal
	strs := func(ss ...string) cty.Value {
		vs := make([]cty.Value, len(ss))
		for i, s := range ss {
			vs[i] = str(s)
		}
		return cty.ListVal(vs)
	}
	tests := map[string]struct {
		kind    string
		address string
		config  attrs
		// want holds the computed attributes expected of the first
		// resource the provider creates (id number 1).
		want attrs
	}{
		"network": {
			kind: kinds.Network, address: "network.main",
			config: attrs{"availability_zones": num(3)},
			want: attrs{
				"id":                 str("net-000001"),
				"public_subnet_ids":  strs("net-000001-public-a", "net-000001-public-b", "net-000001-public-c"),
				"private_subnet_ids": strs("net-000001-private-a", "net-000001-private-b", "net-000001-private-c"),
			},
		},
		"network with default zones": {
			kind: kinds.Network, address: "network.main",
			config: attrs{"availability_zones": cty.NullVal(cty.Number)},
			want: attrs{
				"public_subnet_ids":  strs("net-000001-public-a", "net-000001-public-b"),
				"private_subnet_ids": strs("net-000001-private-a", "net-000001-private-b"),
			},
		},
		"http load balancer": {
			kind: kinds.LoadBalancer, address: `module.web.load_balancer.edge["eu"]`,
			config: attrs{
				"listener": cty.TupleVal([]cty.Value{cty.EmptyObjectVal, cty.ObjectVal(attrs{"port": num(8443)})}),
				"route":    cty.TupleVal([]cty.Value{cty.ObjectVal(attrs{"target": str("autoscaling_group.app")})}),
			},
			want: attrs{
				"id":       str("lb-000001"),
				"address":  str("127.0.0.1:20008"),
				"url":      str("http://127.0.0.1:20008"),
				"dns_name": str("edge-eu-lb-000001.elb.sim.internal"),
				"listener": cty.ListVal([]cty.Value{cty.ObjectVal(attrs{"port": num(20008)}), cty.ObjectVal(attrs{"port": num(8443)})}),
			},
		},
		"tcp load balancer": {
			kind: kinds.LoadBalancer, address: "load_balancer.db",
			config: attrs{
				"type":     str("tcp"),
				"listener": cty.TupleVal([]cty.Value{cty.ObjectVal(attrs{"port": num(5432)})}),
				"route":    cty.TupleVal([]cty.Value{cty.ObjectVal(attrs{"target": str("autoscaling_group.db")})}),
			},
			want: attrs{
				"address":  str("127.0.0.1:5432"),
				"url":      str("tcp://127.0.0.1:5432"),
				"dns_name": str("db-lb-000001.elb.sim.internal"),
			},
		},
		"redis cache": {
			kind: kinds.Cache, address: "cache.sessions",
			config: attrs{"engine": str("redis"), "nodes": num(2)},
			want: attrs{
				"id":        str("cache-000001"),
				"endpoint":  str("cache-000001-1.cache.sim.internal:6379"),
				"endpoints": strs("cache-000001-1.cache.sim.internal:6379", "cache-000001-2.cache.sim.internal:6379"),
			},
		},
		"memcached cache": {
			kind: kinds.Cache, address: "cache.pages",
			config: attrs{"engine": str("memcached")},
			want: attrs{
				"endpoint":  str("cache-000001-1.cache.sim.internal:11211"),
				"endpoints": strs("cache-000001-1.cache.sim.internal:11211"),
			},
		},
		"etcd coordinator": {
			kind: kinds.Coordinator, address: "coordinator.locks",
			config: attrs{"engine": str("etcd")},
			want: attrs{
				"id": str("coord-000001"),
				"endpoints": strs("coord-000001-1.coord.sim.internal:2379", "coord-000001-2.coord.sim.internal:2379",
					"coord-000001-3.coord.sim.internal:2379"),
			},
		},
		"zookeeper coordinator": {
			kind: kinds.Coordinator, address: "coordinator.locks",
			config: attrs{"engine": str("zookeeper"), "members": num(1)},
			want:   attrs{"endpoints": strs("coord-000001-1.coord.sim.internal:2181")},
		},
		"group starts at min": {
			kind: kinds.AutoscalingGroup, address: "autoscaling_group.app",
			config: attrs{"min": num(2), "max": num(5)},
			want:   attrs{"id": str("asg-000001"), "desired": num(2)},
		},
		"group with desired": {
			kind: kinds.AutoscalingGroup, address: "autoscaling_group.app",
			config: attrs{"min": num(2), "max": num(5), "desired": num(4)},
			want:   attrs{"desired": num(4)},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			p := newTestProvider(t, nil)
			k := mustKind(t, p, tc.kind)
			r := ref(tc.kind, "x")
			r.Address = tc.address
			actual, err := k.Create(t.Context(), r, providertest.Desired(k.schema, tc.config))
			if err != nil {
				t.Fatalf("Create: %v", err)
			}
			for name, want := range tc.want {
				if got := actual.GetAttr(name); !got.RawEquals(want) {
					t.Errorf("%s = %#v, want %#v", name, got, want)
				}
			}
		})
	}
}

func TestUpdate(t *testing.T) {
	t.Parallel()
	type attrs = map[string]cty.Value
	num := cty.NumberIntVal
	p := newTestProvider(t, nil)
	ctx := t.Context()

	t.Run("group keeps the size the policy set, within the new bounds", func(t *testing.T) {
		k := mustKind(t, p, kinds.AutoscalingGroup)
		group := func(a attrs) cty.Value { return providertest.Desired(k.schema, a) }
		r := mustCreate(t, k, ref(kinds.AutoscalingGroup, "app"), group(attrs{"min": num(1), "max": num(10), "desired": num(7)}))
		steps := []struct {
			config attrs
			want   int64
		}{
			{attrs{"min": num(1), "max": num(10)}, 7}, // desired left out: kept
			{attrs{"min": num(1), "max": num(5)}, 5},  // clamped to the new max
			{attrs{"min": num(6), "max": num(8)}, 6},  // raised to the new min
			{attrs{"min": num(6), "max": num(8), "desired": num(8)}, 8},
		}
		for i, s := range steps {
			actual, err := k.Update(ctx, r, cty.NilVal, group(s.config))
			if err != nil {
				t.Fatalf("step %d: Update: %v", i, err)
			}
			if got := actual.GetAttr("desired"); !got.RawEquals(num(s.want)) {
				t.Errorf("step %d: desired = %#v, want %d", i, got, s.want)
			}
			if got := actual.GetAttr("id").AsString(); got != r.ID {
				t.Errorf("step %d: id = %s, want %s", i, got, r.ID)
			}
		}
	})

	t.Run("cache endpoints follow the node count", func(t *testing.T) {
		k := mustKind(t, p, kinds.Cache)
		r := mustCreate(t, k, ref(kinds.Cache, "sessions"), cacheConfig(t, p, nil))
		actual, err := k.Update(ctx, r, cty.NilVal, cacheConfig(t, p, attrs{"engine": cty.StringVal("redis"), "nodes": num(3)}))
		if err != nil {
			t.Fatalf("Update: %v", err)
		}
		if n := actual.GetAttr("endpoints").LengthInt(); n != 3 {
			t.Errorf("%d endpoints after scaling to 3 nodes: %#v", n, actual.GetAttr("endpoints"))
		}
	})

	t.Run("force-new attribute is refused", func(t *testing.T) {
		k := mustKind(t, p, kinds.Cache)
		r := mustCreate(t, k, ref(kinds.Cache, "old"), cacheConfig(t, p, nil))
		_, err := k.Update(ctx, r, cty.NilVal, cacheConfig(t, p, attrs{"engine": cty.StringVal("memcached")}))
		want := "update cache.old: sim: engine cannot change in place (it forces a replacement)"
		if err == nil || err.Error() != want {
			t.Errorf("Update changing the engine: %v, want %q", err, want)
		}
	})

	t.Run("missing resource", func(t *testing.T) {
		k := mustKind(t, p, kinds.Cache)
		r := ref(kinds.Cache, "gone")
		r.ID = "cache-999999"
		_, err := k.Update(ctx, r, cty.NilVal, cacheConfig(t, p, nil))
		if err == nil || !strings.Contains(err.Error(), `update cache.gone: sim: there is no cache with id "cache-999999"`) {
			t.Errorf("Update of a missing resource: %v", err)
		}
	})
}

func TestCreateRejectsBadConfiguration(t *testing.T) {
	t.Parallel()
	type attrs = map[string]cty.Value
	p := newTestProvider(t, nil)
	k := mustKind(t, p, kinds.Cache)
	valid := cacheConfig(t, p, nil).AsValueMap()
	with := func(name string, v cty.Value) cty.Value {
		m := map[string]cty.Value{}
		for k, v := range valid {
			m[k] = v
		}
		m[name] = v
		return cty.ObjectVal(m)
	}
	tests := map[string]struct {
		desired cty.Value
		want    string
	}{
		"null": {cty.NullVal(k.ty), "sim: no configuration given"},
		"wrong type": {cty.ObjectVal(attrs{"engine": cty.StringVal("redis")}),
			"sim: the value is not a cache configuration"},
		"unknown value": {with("memory_mb", cty.UnknownVal(cty.Number)),
			"sim: memory_mb is not known yet"},
		"value rule": {with("engine", cty.StringVal("mysql")),
			`sim: invalid cache: engine: "mysql" is not allowed here`},
		"missing required": {with("engine", cty.NullVal(cty.String)),
			"sim: invalid cache: engine: required, but not set"},
		"kind rule": {cacheConfig(t, p, attrs{"engine": cty.StringVal("memcached"), "replicas": cty.NumberIntVal(1)}),
			"sim: invalid cache: replicas: Replicas need redis"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			r := ref(kinds.Cache, "bad")
			_, err := k.Create(t.Context(), r, tc.desired)
			if err == nil {
				t.Fatalf("Create accepted %#v", tc.desired)
			}
			if want := "create cache.bad: " + tc.want; !strings.HasPrefix(err.Error(), want) {
				t.Errorf("error %q, want it to start with %q", err, want)
			}
		})
	}
	t.Run("sensitive marks are accepted and dropped", func(t *testing.T) {
		marked := with("eviction_policy", cty.StringVal("noeviction").Mark("sensitive"))
		actual, err := k.Create(t.Context(), ref(kinds.Cache, "marked"), marked)
		if err != nil {
			t.Fatalf("Create: %v", err)
		}
		if actual.ContainsMarked() {
			t.Errorf("the stored value carries marks: %#v", actual)
		}
	})
}
