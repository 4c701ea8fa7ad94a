package render

import (
	"fmt"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/stagecraft/stagecraft/planner/plan"
	"github.com/stagecraft/stagecraft/providers/kinds"
	"github.com/stagecraft/stagecraft/providers/providertest"
	"github.com/stagecraft/stagecraft/providers/schema"
	"github.com/stagecraft/stagecraft/stacks"
	"github.com/stagecraft/stagecraft/stacks/addrs"
)

// The plans the golden tests render, built the way the planner builds
// them: configurations filled from the kinds' schemas, computed attributes
// unknown where they exist only after apply.

// secret is the only text sensitive values in the fixtures hold; no
// rendering may ever contain it.
const secret = "hunter2"

// kindFor is a kind's schema as the named provider sees it.
func kindFor(provider, kind string) *schema.Schema {
	s, ok := kinds.Schema(kind)
	if !ok {
		panic("no kind " + kind)
	}
	return s.ForProvider(provider)
}

// object fills a value of a kind from the attributes given (computed ones
// included, for what exists).
func object(provider, kind string, attrs map[string]cty.Value) cty.Value {
	return providertest.Desired(kindFor(provider, kind), attrs)
}

// planned is what a change's After holds: the configuration with computed
// attributes taken from what exists, or unknown where nothing does.
func planned(provider, kind string, cfg, actual cty.Value) cty.Value {
	s := kindFor(provider, kind)
	return schema.WithComputed(&s.Block, cfg, actual)
}

// nullOf is the null value of a kind, a create's Before and a delete's
// After.
func nullOf(provider, kind string) cty.Value {
	return cty.NullVal(kindFor(provider, kind).ImpliedType())
}

func str(s string) cty.Value { return cty.StringVal(s) }
func num(n int64) cty.Value  { return cty.NumberIntVal(n) }
func strs(ss ...string) cty.Value {
	vals := make([]cty.Value, len(ss))
	for i, s := range ss {
		vals[i] = cty.StringVal(s)
	}
	return cty.ListVal(vals)
}
func strMap(kv ...string) cty.Value {
	if len(kv) == 0 {
		return cty.MapValEmpty(cty.String)
	}
	m := map[string]cty.Value{}
	for i := 0; i < len(kv); i += 2 {
		m[kv[i]] = cty.StringVal(kv[i+1])
	}
	return cty.MapVal(m)
}
func obj(kv map[string]cty.Value) cty.Value { return cty.ObjectVal(kv) }
func objs(os ...map[string]cty.Value) cty.Value {
	vals := make([]cty.Value, len(os))
	for i, o := range os {
		vals[i] = cty.ObjectVal(o)
	}
	return cty.TupleVal(vals)
}

// create is a change that creates a resource from its configuration.
func create(provider, kind, addr string, cfg map[string]cty.Value, deps ...string) *plan.Change {
	return &plan.Change{Address: addrs.MustParse(addr), Kind: kind, Action: plan.ActionCreate,
		Before: nullOf(provider, kind), After: planned(provider, kind, object(provider, kind, cfg), cty.NilVal), DependsOn: addresses(deps)}
}

// update is an in-place change from what exists to a new configuration.
func update(provider, kind, addr string, actual, cfg map[string]cty.Value, changed ...cty.Path) *plan.Change {
	a := object(provider, kind, actual)
	return &plan.Change{Address: addrs.MustParse(addr), Kind: kind, Action: plan.ActionUpdate, ID: actual["id"].AsString(),
		Before: a, After: planned(provider, kind, object(provider, kind, cfg), a), ChangedPaths: changed}
}

// noop is a change that leaves a resource as it is.
func noop(provider, kind, addr string, actual map[string]cty.Value, deps ...string) *plan.Change {
	a := object(provider, kind, actual)
	return &plan.Change{Address: addrs.MustParse(addr), Kind: kind, Action: plan.ActionNoOp, ID: actual["id"].AsString(),
		Before: a, After: a, DependsOn: addresses(deps)}
}

// replace is a replacement forced by the paths given.
func replace(provider, kind, addr string, order plan.ReplaceOrder, actual, cfg map[string]cty.Value, forced ...cty.Path) *plan.Change {
	a := object(provider, kind, actual)
	return &plan.Change{Address: addrs.MustParse(addr), Kind: kind, Action: plan.ActionReplace, ID: actual["id"].AsString(),
		Before: a, After: planned(provider, kind, object(provider, kind, cfg), cty.NilVal),
		ChangedPaths: forced, ReplacePaths: forced, ReplaceOrder: order}
}

// remove is a change that destroys what exists.
func remove(provider, kind, addr string, actual map[string]cty.Value, deps ...string) *plan.Change {
	return &plan.Change{Address: addrs.MustParse(addr), Kind: kind, Action: plan.ActionDelete, ID: actual["id"].AsString(),
		Before: object(provider, kind, actual), After: nullOf(provider, kind), DependsOn: addresses(deps)}
}

func attrPath(names ...string) cty.Path {
	var p cty.Path
	for _, n := range names {
		p = p.GetAttr(n)
	}
	return p
}

// The values of the shop stack of DESIGN.md on the sim provider.
func appGroup(extra map[string]cty.Value) map[string]cty.Value {
	m := map[string]cty.Value{
		"id": str("asg-000001"), "min": num(2), "max": num(6), "desired": num(2), "port": num(8080),
		"scaling": obj(map[string]cty.Value{"target_cpu": num(60)}),
	}
	for k, v := range extra {
		m[k] = v
	}
	return m
}

func edgeBalancer() map[string]cty.Value {
	return map[string]cty.Value{
		"id": str("lb-000002"), "address": str("127.0.0.1:80"), "url": str("http://127.0.0.1:80"),
		"dns_name": str("edge-lb-000002.elb.sim.internal"),
		"listener": objs(map[string]cty.Value{"port": num(80)}),
		"route":    objs(map[string]cty.Value{"path": str("/*"), "target": str("autoscaling_group.app")}),
	}
}

// migrationPlan moves dev from load-balanced to cached: the example of
// DESIGN.md.
func migrationPlan() *plan.Plan {
	app := update("sim", "autoscaling_group", "autoscaling_group.app",
		appGroup(nil),
		appGroup(map[string]cty.Value{"id": cty.NullVal(cty.String), "desired": cty.NullVal(cty.Number),
			"env": cty.MapVal(map[string]cty.Value{"REDIS_ADDR": cty.UnknownVal(cty.String)})}),
		attrPath("env"))
	app.DependsOn = addresses([]string{"cache.sessions"})
	return &plan.Plan{
		Stack: "shop", Environment: "dev", Provider: "sim", AppliedStage: "load-balanced", TargetStage: "cached",
		Lineage: "7f8e2c1a-0d4b-4c55-9a61-3b2f6f0e9d17", Serial: 4, StackHash: "sha256:4be1c0f6",
		Changes: []*plan.Change{
			app,
			create("sim", "cache", "cache.sessions", map[string]cty.Value{"engine": str("redis"), "nodes": num(2), "memory_mb": num(256)}),
			noop("sim", "load_balancer", "load_balancer.edge", edgeBalancer(), "autoscaling_group.app"),
		},
		Outputs: []*plan.OutputChange{
			{Name: "redis", Action: plan.ActionCreate, Before: cty.NullVal(cty.DynamicPseudoType), After: cty.UnknownVal(cty.String)},
			{Name: "url", Action: plan.ActionNoOp, Before: str("http://127.0.0.1:80"), After: str("http://127.0.0.1:80")},
		},
	}
}

// lifecyclePlan has every kind of action and the lifecycle cases around
// them: a replacement either way round, data loss with consent, a deposed
// object, adopted resources, a resource deleted outside and created again.
func lifecyclePlan() *plan.Plan {
	locks := replace("sim", "coordinator", "coordinator.locks", plan.DestroyBeforeCreate, map[string]cty.Value{"id": str("coord-000003"), "engine": str("etcd"), "members": num(3),
		"endpoints": strs("coord-000003-1.coord.sim.internal:2379", "coord-000003-2.coord.sim.internal:2379", "coord-000003-3.coord.sim.internal:2379")},
		map[string]cty.Value{"engine": str("zookeeper"), "members": num(3)},
		attrPath("engine"))
	locks.DataLoss, locks.Consent, locks.AllowDataLoss = true, "stack", true

	network := replace("sim", "network", "network.main", plan.CreateBeforeDestroy, map[string]cty.Value{"id": str("net-000001"), "cidr_block": str("10.0.0.0/16"), "availability_zones": num(2),
		"public_subnet_ids": strs("net-000001-public-a", "net-000001-public-b"), "private_subnet_ids": strs("net-000001-private-a", "net-000001-private-b")},
		map[string]cty.Value{"cidr_block": str("10.1.0.0/16"), "availability_zones": num(3)},
		attrPath("availability_zones"), attrPath("cidr_block"))

	old := remove("sim", "cache", "cache.old", map[string]cty.Value{"id": str("cache-000002"), "engine": str("memcached"),
		"endpoint": str("cache-000002-1.cache.sim.internal:11211"), "endpoints": strs("cache-000002-1.cache.sim.internal:11211")})
	old.DataLoss, old.Consent = true, "flag"

	deposed := remove("sim", "cache", "cache.c", map[string]cty.Value{"id": str("cache-000004"), "engine": str("redis"),
		"endpoint": str("cache-000004-1.cache.sim.internal:6379"), "endpoints": strs("cache-000004-1.cache.sim.internal:6379")})
	deposed.Deposed, deposed.Reason = true, "an old copy left behind by an interrupted apply"

	current := noop("sim", "cache", "cache.c", map[string]cty.Value{"id": str("cache-000005"), "engine": str("redis"),
		"endpoint": str("cache-000005-1.cache.sim.internal:6379"), "endpoints": strs("cache-000005-1.cache.sim.internal:6379")})

	worker := noop("sim", "autoscaling_group", "autoscaling_group.worker", map[string]cty.Value{"id": str("asg-000006"), "desired": num(1)})
	worker.Adopted, worker.Reason = true, "an interrupted apply created it without recording it; it is adopted"

	api := update("sim", "autoscaling_group", "autoscaling_group.api",
		map[string]cty.Value{"id": str("asg-000007"), "desired": num(1)},
		map[string]cty.Value{"min": num(2), "max": num(4)},
		attrPath("max"), attrPath("min"))
	api.Adopted, api.Reason = true, "an interrupted apply created it without recording it; it is adopted"

	edge := create("sim", "load_balancer", "load_balancer.edge", map[string]cty.Value{
		"listener": objs(map[string]cty.Value{"port": num(80)}),
		"route":    objs(map[string]cty.Value{"path": str("/"), "target": str("autoscaling_group.api")}),
	}, "autoscaling_group.api")
	edge.ID, edge.Reason = "lb-000001", "it no longer exists at the provider (deleted outside Stagecraft), so it is created again"

	return &plan.Plan{
		Stack: "shop", Environment: "staging", Provider: "sim", AppliedStage: "coordinated", TargetStage: "coordinated",
		Lineage: "0c5b7d0e-3f51-4b7a-8d0c-5a9f3e2b1c44", Serial: 12, StackHash: "sha256:91aa03d2",
		Changes:  []*plan.Change{api, worker, current, deposed, old, locks, edge, network},
		Warnings: []string{"autoscaling_group.worker and autoscaling_group.api were created by an interrupted apply and found through their tags; this plan records them in the state."},
	}
}

// blocksPlan changes nested blocks of every shape on the local provider:
// single blocks added and changed, list blocks growing, lists and maps
// changing element by element.
func blocksPlan() *plan.Plan {
	app := update("local", "autoscaling_group", "autoscaling_group.app",
		map[string]cty.Value{"id": str("asg-000001"), "min": num(2), "max": num(6), "desired": num(3),
			"env":   strMap("LOG_LEVEL", "info", "OLD_FLAG", "1", "REGION", "local"),
			"local": obj(map[string]cty.Value{"command": strs("./bin/shop", "--port", "$PORT")})},
		map[string]cty.Value{"min": num(2), "max": num(10), "port": num(8080),
			"env":          strMap("LOG_LEVEL", "debug", "REGION", "local", "FEATURE_X", "on"),
			"health_check": obj(map[string]cty.Value{"path": str("/ready"), "interval": str("5s"), "timeout": str("2s"), "healthy_threshold": num(2), "unhealthy_threshold": num(3)}),
			"scaling":      obj(map[string]cty.Value{"target_requests_per_instance": num(200)}),
			"local":        obj(map[string]cty.Value{"command": strs("./bin/shop", "--verbose", "--port", "$PORT"), "working_dir": str("app")})},
	)
	edge := update("local", "load_balancer", "load_balancer.edge",
		map[string]cty.Value{"id": str("lb-000002"), "address": str("127.0.0.1:8080"), "url": str("http://127.0.0.1:8080"),
			"dns_name": str("edge.local"),
			"listener": objs(map[string]cty.Value{"port": num(8080)}),
			"route":    objs(map[string]cty.Value{"path": str("/*"), "target": str("autoscaling_group.app")})},
		map[string]cty.Value{
			"listener": objs(map[string]cty.Value{"port": num(80)}, map[string]cty.Value{"port": num(8443)}),
			"route": objs(
				map[string]cty.Value{"path": str("/*"), "target": str("autoscaling_group.app"), "weight": num(90)},
				map[string]cty.Value{"path": str("/*"), "target": str("autoscaling_group.canary"), "weight": num(10)},
			)},
	)
	edge.DependsOn = addresses([]string{"autoscaling_group.app", "autoscaling_group.canary"})
	canary := create("local", "autoscaling_group", "autoscaling_group.canary", map[string]cty.Value{
		"local": obj(map[string]cty.Value{"command": strs("./bin/shop", "--port", "$PORT", "--canary")}),
	})
	return &plan.Plan{
		Stack: "shop", Environment: "laptop", Provider: "local", AppliedStage: "load-balanced", TargetStage: "canary",
		Lineage: "5d1e9b8f-7a2c-4e63-b0d4-1f8a6c3e2d90", Serial: 7, StackHash: "sha256:0f3c9e11",
		Changes: []*plan.Change{app, canary, edge},
	}
}

// modulesPlan has module and count/for_each addresses on the aws provider,
// with its sub-blocks and a multi-line user_data.
func modulesPlan() *plan.Plan {
	userData := func(version string) cty.Value {
		return str("#!/bin/sh\nset -e\nexport APP_VERSION=" + version + "\n/opt/app/bin/start\n")
	}
	service := create("aws", "autoscaling_group", "module.web.autoscaling_group.service", map[string]cty.Value{
		"min": num(2), "max": num(8), "port": num(9090),
		"aws": obj(map[string]cty.Value{"ami": str("ami-0abc1234"), "instance_type": str("t3.small"), "user_data": userData("1.4.0")}),
	})
	lb := create("aws", "load_balancer", "module.web.load_balancer.edge", map[string]cty.Value{
		"listener": objs(map[string]cty.Value{"port": num(80)}),
		"route":    objs(map[string]cty.Value{"path": str("/"), "target": str("module.web.autoscaling_group.service")}),
	}, "module.web.autoscaling_group.service")
	var caches []*plan.Change
	for i := range 2 {
		caches = append(caches, create("aws", "cache", fmt.Sprintf("cache.c[%d]", i), map[string]cty.Value{"engine": str("redis")}))
	}
	gone := remove("aws", "cache", "cache.c[2]", map[string]cty.Value{"id": str("sessions-c-2"), "engine": str("redis"),
		"endpoint": str("sessions-c-2.abc123.use1.cache.amazonaws.com:6379"), "endpoints": strs("sessions-c-2.abc123.use1.cache.amazonaws.com:6379"),
		"aws": obj(map[string]cty.Value{"node_type": str("cache.t3.micro")})})
	gone.DataLoss, gone.Consent, gone.AllowDataLoss = true, "stack", true

	orders := update("aws", "autoscaling_group", `autoscaling_group.svc["orders"]`,
		map[string]cty.Value{"id": str("orders-asg"), "min": num(2), "max": num(10), "desired": num(4), "port": num(9090),
			"aws": obj(map[string]cty.Value{"ami": str("ami-0abc1234"), "instance_type": str("t3.micro"), "user_data": userData("1.3.2")})},
		map[string]cty.Value{"min": num(2), "max": num(10), "port": num(9090),
			"aws": obj(map[string]cty.Value{"ami": str("ami-0abc1234"), "instance_type": str("t3.micro"), "user_data": userData("1.4.0")})},
		attrPath("aws", "user_data"))
	orders.DependsOn = addresses([]string{"cache.c[0]", "cache.c[1]"})
	billing := create("aws", "autoscaling_group", `autoscaling_group.svc["billing"]`, map[string]cty.Value{
		"port": num(9091),
		"aws":  obj(map[string]cty.Value{"ami": str("ami-0abc1234")}),
	}, "cache.c[0]")
	return &plan.Plan{
		Stack: "shop", Environment: "prod", Provider: "aws", AppliedStage: "coordinated", TargetStage: "microservices",
		Lineage: "a8c3f1d2-6b4e-4f90-8e27-c5d9b0a1e3f6", Serial: 31, StackHash: "sha256:77de4a90",
		Changes: []*plan.Change{billing, orders, caches[0], caches[1], gone, service, lb},
		Outputs: []*plan.OutputChange{
			{Name: "orders_url", Action: plan.ActionCreate, Before: cty.NullVal(cty.DynamicPseudoType), After: cty.UnknownVal(cty.String)},
			{Name: "cache_endpoints", Action: plan.ActionUpdate,
				Before: strs("sessions-c-0.abc123.use1.cache.amazonaws.com:6379", "sessions-c-1.abc123.use1.cache.amazonaws.com:6379", "sessions-c-2.abc123.use1.cache.amazonaws.com:6379"),
				After:  cty.UnknownVal(cty.List(cty.String))},
		},
	}
}

// driftPlan finds changes made outside Stagecraft and undoes them.
func driftPlan() *plan.Plan {
	lbBefore := edgeBalancer()
	lbActual := edgeBalancer()
	lbActual["listener"] = objs(map[string]cty.Value{"port": num(8081)})
	lbActual["address"] = str("127.0.0.1:8081")
	lbActual["url"] = str("http://127.0.0.1:8081")
	appBefore := appGroup(nil)
	appActual := appGroup(map[string]cty.Value{"min": num(3), "desired": num(5)})

	lb := update("sim", "load_balancer", "load_balancer.edge", lbActual, edgeBalancer(), attrPath("listener").IndexInt(0).GetAttr("port"))
	lb.After = planned("sim", "load_balancer", object("sim", "load_balancer", map[string]cty.Value{
		"listener": objs(map[string]cty.Value{"port": num(80)}),
		"route":    objs(map[string]cty.Value{"path": str("/*"), "target": str("autoscaling_group.app")}),
	}), object("sim", "load_balancer", lbActual))
	lb.DependsOn = addresses([]string{"autoscaling_group.app"})
	app := update("sim", "autoscaling_group", "autoscaling_group.app", appActual,
		appGroup(map[string]cty.Value{"id": cty.NullVal(cty.String), "desired": cty.NullVal(cty.Number)}), attrPath("min"))
	sessionsPrior := object("sim", "cache", map[string]cty.Value{"id": str("cache-000003"), "engine": str("redis"),
		"endpoint": str("cache-000003-1.cache.sim.internal:6379"), "endpoints": strs("cache-000003-1.cache.sim.internal:6379")})
	sessions := create("sim", "cache", "cache.sessions", map[string]cty.Value{"engine": str("redis")})
	sessions.ID, sessions.Reason = "cache-000003", "it no longer exists at the provider (deleted outside Stagecraft), so it is created again"
	sessions.DataLoss = false
	return &plan.Plan{
		Stack: "shop", Environment: "dev", Provider: "sim", AppliedStage: "cached", TargetStage: "cached",
		Lineage: "7f8e2c1a-0d4b-4c55-9a61-3b2f6f0e9d17", Serial: 9, StackHash: "sha256:4be1c0f6",
		Changes: []*plan.Change{app, sessions, lb},
		Drift: []*plan.Drift{
			{Address: addrs.MustParse("autoscaling_group.app"), Paths: []cty.Path{attrPath("min")},
				Before: object("sim", "autoscaling_group", appBefore), Actual: object("sim", "autoscaling_group", appActual)},
			{Address: addrs.MustParse("cache.sessions"), Gone: true, Before: sessionsPrior, Actual: cty.NilVal},
			{Address: addrs.MustParse("load_balancer.edge"), Paths: []cty.Path{attrPath("listener").IndexInt(0).GetAttr("port")},
				Before: object("sim", "load_balancer", lbBefore), Actual: object("sim", "load_balancer", lbActual)},
		},
		Outputs: []*plan.OutputChange{
			{Name: "url", Action: plan.ActionUpdate, Before: str("http://127.0.0.1:8081"), After: str("http://127.0.0.1:80")},
		},
	}
}

// refusedPlan would destroy data without consent and delete a resource
// with prevent_destroy: it cannot be applied.
func refusedPlan() *plan.Plan {
	locks := replace("sim", "coordinator", "coordinator.locks", plan.CreateBeforeDestroy, map[string]cty.Value{"id": str("coord-000003"), "engine": str("etcd"), "members": num(3),
		"endpoints": strs("coord-000003-1.coord.sim.internal:2379")},
		map[string]cty.Value{"engine": str("zookeeper"), "members": num(3)},
		attrPath("engine"))
	locks.DataLoss = true
	sessions := remove("sim", "cache", "cache.sessions", map[string]cty.Value{"id": str("cache-000002"), "engine": str("redis")})
	sessions.PreventDestroy = true
	orders := create("sim", "autoscaling_group", "autoscaling_group.orders", map[string]cty.Value{"min": num(2), "max": num(10), "port": num(9090)}, "coordinator.locks")
	return &plan.Plan{
		Stack: "shop", Environment: "prod", Provider: "sim", AppliedStage: "cached", TargetStage: "microservices",
		Lineage: "a8c3f1d2-6b4e-4f90-8e27-c5d9b0a1e3f6", Serial: 30, StackHash: "sha256:5e6f7a8b",
		Changes: []*plan.Change{orders, sessions, locks},
		Refused: []*plan.Refusal{
			{Address: addrs.MustParse("cache.sessions"), Action: plan.ActionDelete,
				Reason: "cache.sessions has lifecycle { prevent_destroy = true }, so the plan may not delete it; remove that setting first if you mean to."},
			{Address: addrs.MustParse("coordinator.locks"), Action: plan.ActionReplace,
				Reason: "the plan would replace coordinator.locks because engine changed, destroying the data it holds. To consent, set lifecycle { allow_data_loss = true } on it, or run again with --allow-data-loss."},
		},
	}
}

// sensitivePlan carries sensitive values in attributes, outputs and drift.
func sensitivePlan() *plan.Plan {
	mark := func(v cty.Value) cty.Value { return v.Mark(stacks.Sensitive) }
	secretEnv := func(pw string, marked bool, extra ...string) cty.Value {
		m := map[string]cty.Value{"DB_PASSWORD": str(pw)}
		if marked {
			m["DB_PASSWORD"] = mark(m["DB_PASSWORD"])
		}
		for i := 0; i < len(extra); i += 2 {
			m[extra[i]] = str(extra[i+1])
		}
		return cty.MapVal(m)
	}
	// What exists was read back from the provider, so its secret carries
	// no mark; the configuration's does.
	app := update("sim", "autoscaling_group", "autoscaling_group.app",
		appGroup(map[string]cty.Value{"env": secretEnv(secret+"-old", false, "DB_HOST", "db.internal")}),
		appGroup(map[string]cty.Value{"id": cty.NullVal(cty.String), "desired": cty.NullVal(cty.Number),
			"env": secretEnv(secret+"-new", true, "DB_HOST", "db2.internal")}),
		attrPath("env"))
	worker := create("sim", "autoscaling_group", "autoscaling_group.worker", map[string]cty.Value{
		"env": cty.MapVal(map[string]cty.Value{"DB_PASSWORD": mark(str(secret + "-new")), "QUEUE": cty.UnknownVal(cty.String)}),
	})
	// A whole map marked sensitive (an env built from a sensitive
	// variable).
	batch := update("sim", "autoscaling_group", "autoscaling_group.batch",
		map[string]cty.Value{"id": str("asg-000009"), "desired": num(1), "env": mark(strMap("TOKEN", secret+"-a"))},
		map[string]cty.Value{"env": mark(strMap("TOKEN", secret+"-b"))},
		attrPath("env"))
	appDriftBefore := object("sim", "autoscaling_group", appGroup(map[string]cty.Value{"env": strMap("DB_PASSWORD", secret+"-old", "DB_HOST", "db.internal")}))
	appDriftActual := object("sim", "autoscaling_group", appGroup(map[string]cty.Value{"env": strMap("DB_PASSWORD", secret+"-edited", "DB_HOST", "db.internal")}))
	return &plan.Plan{
		Stack: "shop", Environment: "prod", Provider: "sim", AppliedStage: "cached", TargetStage: "cached",
		Lineage: "a8c3f1d2-6b4e-4f90-8e27-c5d9b0a1e3f6", Serial: 40, StackHash: "sha256:c0ffee00",
		Changes: []*plan.Change{app, batch, worker},
		// The drift values carry no marks, as values read back from a
		// provider do not: the change's marks for the same address hide
		// them.
		Drift: []*plan.Drift{{Address: addrs.MustParse("autoscaling_group.app"), Paths: []cty.Path{attrPath("env").IndexString("DB_PASSWORD")},
			Before: appDriftBefore, Actual: appDriftActual}},
		Outputs: []*plan.OutputChange{
			{Name: "db_url", Action: plan.ActionCreate, Sensitive: true, Before: cty.NullVal(cty.DynamicPseudoType), After: mark(str("postgres://app:" + secret + "@db2.internal/shop"))},
			{Name: "host", Action: plan.ActionUpdate, Before: str("db.internal"), After: str("db2.internal")},
			{Name: "token", Action: plan.ActionUpdate, Sensitive: true, Before: str(secret + "-a"), After: mark(str(secret + "-b"))},
			{Name: "old_token", Action: plan.ActionDelete, Sensitive: true, Before: str(secret + "-z"), After: cty.NullVal(cty.DynamicPseudoType)},
			{Name: "settings", Action: plan.ActionCreate, Before: cty.NullVal(cty.DynamicPseudoType),
				After: cty.ObjectVal(map[string]cty.Value{"user": str("app"), "password": mark(str(secret))})},
		},
		Warnings: []string{"variable \"db_password\" is set from STAGECRAFT_VAR_db_password; its value is sensitive and never printed."},
	}
}

// noChangesPlan finds everything as the stage wants it.
func noChangesPlan() *plan.Plan {
	return &plan.Plan{
		Stack: "shop", Environment: "dev", Provider: "sim", AppliedStage: "cached", TargetStage: "cached",
		Lineage: "7f8e2c1a-0d4b-4c55-9a61-3b2f6f0e9d17", Serial: 9, StackHash: "sha256:4be1c0f6",
		Changes: []*plan.Change{
			noop("sim", "autoscaling_group", "autoscaling_group.app", appGroup(nil)),
			noop("sim", "cache", "cache.sessions", map[string]cty.Value{"id": str("cache-000003"), "engine": str("redis")}),
			noop("sim", "load_balancer", "load_balancer.edge", edgeBalancer(), "autoscaling_group.app"),
		},
		Outputs: []*plan.OutputChange{
			{Name: "url", Action: plan.ActionNoOp, Before: str("http://127.0.0.1:80"), After: str("http://127.0.0.1:80")},
		},
	}
}

// destroyPlan removes everything.
func destroyPlan() *plan.Plan {
	sessions := remove("sim", "cache", "cache.sessions", map[string]cty.Value{"id": str("cache-000003"), "engine": str("redis"),
		"endpoint": str("cache-000003-1.cache.sim.internal:6379"), "endpoints": strs("cache-000003-1.cache.sim.internal:6379")})
	sessions.DataLoss, sessions.Consent = true, "flag"
	return &plan.Plan{
		Stack: "shop", Environment: "dev", Provider: "sim", AppliedStage: "cached", Destroy: true,
		Lineage: "7f8e2c1a-0d4b-4c55-9a61-3b2f6f0e9d17", Serial: 9, StackHash: "sha256:4be1c0f6",
		Changes: []*plan.Change{
			remove("sim", "autoscaling_group", "autoscaling_group.app", appGroup(nil), "cache.sessions"),
			sessions,
			remove("sim", "load_balancer", "load_balancer.edge", edgeBalancer(), "autoscaling_group.app"),
		},
		Outputs: []*plan.OutputChange{
			{Name: "url", Action: plan.ActionDelete, Before: str("http://127.0.0.1:80"), After: cty.NullVal(cty.DynamicPseudoType)},
		},
	}
}

// stageOnlyPlan moves to a stage that changes no resource: applying only
// records the stage and the outputs.
func stageOnlyPlan() *plan.Plan {
	p := noChangesPlan()
	p.TargetStage = "cached-v2"
	p.Outputs = append(p.Outputs, &plan.OutputChange{Name: "stage", Action: plan.ActionCreate,
		Before: cty.NullVal(cty.DynamicPseudoType), After: str("cached-v2")})
	return p
}

// targetedPlan is limited with --target.
func targetedPlan() *plan.Plan {
	p := migrationPlan()
	p.Changes = p.Changes[1:2]
	p.TargetStage = p.AppliedStage
	p.Targets = []string{"cache.sessions"}
	p.Outputs = nil
	return p
}

// fixtures are the golden plans by name.
var fixtures = map[string]func() *plan.Plan{
	"migration":  migrationPlan,
	"lifecycle":  lifecyclePlan,
	"blocks":     blocksPlan,
	"modules":    modulesPlan,
	"drift":      driftPlan,
	"refused":    refusedPlan,
	"sensitive":  sensitivePlan,
	"no_changes": noChangesPlan,
	"destroy":    destroyPlan,
	"stage_only": stageOnlyPlan,
	"targeted":   targetedPlan,
	"pending":    pendingPlan,
}

// pendingPlan changes nothing, while the cache an earlier apply deleted
// is still being deleted at AWS.
func pendingPlan() *plan.Plan {
	p := noChangesPlan()
	p.Provider, p.AppliedStage, p.TargetStage = "aws", "balanced", "balanced"
	p.Changes = p.Changes[:1]
	p.Changes[0] = noop("aws", "autoscaling_group", "autoscaling_group.app", appGroup(nil))
	p.Outputs = nil
	p.PendingDeletions = []*plan.PendingDeletion{{
		Address: addrs.MustParse("cache.pages"), Kind: "cache", ID: "sc-shop-prod-pages-4be1c0",
		Since: time.Date(2026, 12, 8, 10, 42, 0, 0, time.UTC), At: "AWS", Status: "deleting",
	}}
	return p
}

// addresses parses the addresses a fixture writes.
func addresses(ss []string) []addrs.Instance {
	var out []addrs.Instance
	for _, s := range ss {
		out = append(out, addrs.MustParse(s))
	}
	return out
}
