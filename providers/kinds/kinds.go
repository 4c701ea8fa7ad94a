// Package kinds is the catalog of resource kinds (network, load_balancer,
// cache, coordinator, autoscaling_group): each kind's schema, its roles
// (data-bearing), its cross-attribute rules and the generator of
// docs/kinds.md. The stack language validates against it and every
// provider derives its Schema() from it.
package kinds

import (
	"fmt"
	"math/big"
	"sort"

	"github.com/zclconf/go-cty/cty"

	"github.com/stagecraft/stagecraft/providers/schema"
)

// Kind names, as written in stack files.
const (
	Network          = "network"
	LoadBalancer     = "load_balancer"
	Cache            = "cache"
	Coordinator      = "coordinator"
	AutoscalingGroup = "autoscaling_group"
)

// Provider sub-block names.
const (
	SubBlockLocal = "local"
	SubBlockAWS   = "aws"
)

// Names lists the resource kinds in the order the documentation shows
// them.
func Names() []string {
	return []string{Network, LoadBalancer, Cache, Coordinator, AutoscalingGroup}
}

// Schema returns the provider-neutral schema of a kind: every attribute,
// every provider's sub-block and every rule. It builds a fresh copy each
// call, so callers may not share or mutate one another's.
func Schema(kind string) (*schema.Schema, bool) {
	switch kind {
	case Network:
		return networkSchema(), true
	case LoadBalancer:
		return loadBalancerSchema(), true
	case Cache:
		return cacheSchema(), true
	case Coordinator:
		return coordinatorSchema(), true
	case AutoscalingGroup:
		return autoscalingGroupSchema(), true
	}
	return nil, false
}

func idAttribute() *schema.Attribute {
	return &schema.Attribute{Name: "id", Type: cty.String, Computed: true,
		Description: "The provider's identifier for the resource."}
}

func networkRef() *schema.Attribute {
	return &schema.Attribute{Name: "network", Type: cty.String, Optional: true, ForceNew: true, Ref: Network,
		Description: "The network to place the resource in (a reference such as `network.main`). Without one, the provider's default network is used."}
}

func networkSchema() *schema.Schema {
	return &schema.Schema{
		Kind:        Network,
		Description: "An isolated network for the stack: on AWS a VPC with public and private subnets in several availability zones, an internet gateway and security groups per tier; accepted and a no-op on the local machine.",
		Block: schema.Block{
			Attributes: []*schema.Attribute{
				{Name: "cidr_block", Type: cty.String, Optional: true, Default: cty.StringVal("10.0.0.0/16"), ForceNew: true,
					Rules:       []schema.ValueRule{schema.CIDR()},
					Description: "The address range of the network."},
				{Name: "availability_zones", Type: cty.Number, Optional: true, Default: cty.NumberIntVal(2), ForceNew: true,
					Rules:       []schema.ValueRule{schema.WholeRange(2, 6)},
					Description: "How many availability zones the subnets span."},
				idAttribute(),
				{Name: "public_subnet_ids", Type: cty.List(cty.String), Computed: true,
					Description: "The public subnets, one per availability zone."},
				{Name: "private_subnet_ids", Type: cty.List(cty.String), Computed: true,
					Description: "The private subnets, one per availability zone."},
			},
		},
	}
}

func loadBalancerSchema() *schema.Schema {
	return &schema.Schema{
		Kind:        LoadBalancer,
		Description: "A load balancer that routes requests by path prefix to autoscaling groups, with weights per route for traffic shifting.",
		Routing:     &schema.Routing{Block: "route", Path: "path", Target: "target", Weight: "weight"},
		Block: schema.Block{
			Attributes: []*schema.Attribute{
				{Name: "type", Type: cty.String, Optional: true, Default: cty.StringVal("http"), ForceNew: true,
					Rules:       []schema.ValueRule{schema.OneOf("http", "tcp")},
					Description: "`http` routes requests by path (an application load balancer on AWS); `tcp` forwards connections (a network load balancer)."},
				networkRef(),
				idAttribute(),
				{Name: "address", Type: cty.String, Computed: true,
					Description: "Host and port of the first listener."},
				{Name: "url", Type: cty.String, Computed: true,
					Description: "URL of the first listener, such as `http://127.0.0.1:8080`."},
				{Name: "dns_name", Type: cty.String, Computed: true,
					Description: "The load balancer's DNS name."},
			},
			Blocks: []*schema.NestedBlock{
				{TypeName: "listener", Nesting: schema.NestingList, MinItems: 1,
					Description: "A port the load balancer accepts traffic on.",
					Block: schema.Block{Attributes: []*schema.Attribute{
						{Name: "port", Type: cty.Number, Optional: true, Computed: true,
							Rules:       []schema.ValueRule{schema.WholeRange(1, 65535)},
							Description: "The port to listen on. Left out, the provider picks one (a free port on the local machine, 80 on AWS)."},
					}}},
				{TypeName: "route", Nesting: schema.NestingList, MinItems: 1,
					Description: "Where requests go. The longest matching path prefix wins; several routes with the same path split traffic by weight.",
					Block: schema.Block{Attributes: []*schema.Attribute{
						{Name: "path", Type: cty.String, Optional: true, Default: cty.StringVal("/"),
							Rules:       []schema.ValueRule{schema.PathPrefix()},
							Description: "A path prefix; a trailing `*` means the same as the prefix without it."},
						{Name: "target", Type: cty.String, Required: true, Ref: AutoscalingGroup,
							Description: "The autoscaling group that serves the route (a reference such as `autoscaling_group.app`)."},
						{Name: "weight", Type: cty.Number, Optional: true,
							Rules:       []schema.ValueRule{schema.WholeRange(0, 100)},
							Description: "Share of the path's traffic in percent. The weights of one path sum to 100; a route alone on its path may leave it out."},
					}, Blocks: []*schema.NestedBlock{
						{TypeName: "migration", Nesting: schema.NestingSingle, PlanOnly: true,
							Description: "How traffic moves to this route's target when it changes; what it leaves out comes from the load balancer's migration block.",
							Block:       migrationBlock(false)},
					}}},
				{TypeName: "migration", Nesting: schema.NestingSingle, Implied: true, PlanOnly: true,
					Description: "How traffic moves when a route's target changes: the new target is created and healthy first, then takes the path's traffic in steps, each followed by a gate (targets healthy, error rate under the limit for the bake time). A failed gate moves the traffic back to the last good step and stops the apply.",
					Block:       migrationBlock(true)},
			},
		},
		Rules: []schema.KindRule{
			{Doc: "The weights of the routes sharing a path sum to 100; a route alone on its path has weight 100 or none.", Check: checkRouteWeights},
			{Doc: "A `tcp` load balancer cannot see paths: its routes use path `/` (several of them split connections by weight).", Check: checkTCPRoutes},
		},
	}
}

// migrationBlock is the traffic-shifting settings block; withDefaults for
// the load balancer's, without for a route's (which inherits).
func migrationBlock(withDefaults bool) schema.Block {
	def := func(v cty.Value) cty.Value {
		if withDefaults {
			return v
		}
		return cty.NilVal
	}
	return schema.Block{Attributes: []*schema.Attribute{
		{Name: "steps", Type: cty.List(cty.Number), Optional: true,
			Default:     def(cty.ListVal([]cty.Value{cty.NumberIntVal(10), cty.NumberIntVal(50), cty.NumberIntVal(100)})),
			Rules:       []schema.ValueRule{schema.ShiftSteps()},
			Description: "The new target's share of the traffic after each step, in percent, rising to 100."},
		{Name: "bake", Type: cty.String, Optional: true, Default: def(cty.StringVal("30s")),
			Rules:       []schema.ValueRule{schema.Duration()},
			Description: "How long each step is watched before the next."},
		{Name: "max_error_rate", Type: cty.Number, Optional: true, Default: def(cty.NumberFloatVal(0.01)),
			Rules:       []schema.ValueRule{schema.NumberRange(0, 1)},
			Description: "The largest share of the new target's requests that may fail (5xx) during a step's bake."},
	}}
}

func cacheSchema() *schema.Schema {
	return &schema.Schema{
		Kind:        Cache,
		Description: "An in-memory cache: Redis (with optional replicas) or memcached. Its contents are data: replacing or deleting it needs consent.",
		DataBearing: true,
		Block: schema.Block{
			Attributes: []*schema.Attribute{
				{Name: "engine", Type: cty.String, Required: true, ForceNew: true,
					Rules:       []schema.ValueRule{schema.OneOf("redis", "memcached")},
					Description: "The cache server."},
				{Name: "nodes", Type: cty.Number, Optional: true, Default: cty.NumberIntVal(1),
					Rules:       []schema.ValueRule{schema.WholeRange(1, 16)},
					Description: "How many primary nodes (shards) to run."},
				{Name: "replicas", Type: cty.Number, Optional: true, Default: cty.NumberIntVal(0),
					Rules:       []schema.ValueRule{schema.WholeRange(0, 5)},
					Description: "Replicas per node (redis only)."},
				{Name: "memory_mb", Type: cty.Number, Optional: true, Default: cty.NumberIntVal(64),
					Rules:       []schema.ValueRule{schema.WholeRange(16, 1048576)},
					Description: "Memory limit per node in MiB."},
				{Name: "eviction_policy", Type: cty.String, Optional: true, Default: cty.StringVal("allkeys-lru"),
					Rules:       []schema.ValueRule{schema.OneOf("noeviction", "allkeys-lru", "allkeys-lfu", "allkeys-random", "volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl")},
					Description: "What to evict when memory is full (redis policy names; memcached always evicts least recently used unless `noeviction`)."},
				networkRef(),
				idAttribute(),
				{Name: "endpoint", Type: cty.String, Computed: true, RecomputedBy: []string{"nodes"},
					Description: "Host and port of the primary endpoint (for memcached on the local provider, the path of its unix socket)."},
				{Name: "endpoints", Type: cty.List(cty.String), Computed: true, RecomputedBy: []string{"nodes", "replicas"},
					Description: "Host and port of every node (for memcached on the local provider, the paths of their unix sockets)."},
				{Name: "password", Type: cty.String, Computed: true, Sensitive: true,
					Description: "The password clients authenticate with (redis `AUTH`), generated once when the cache is created and never printed; null where the provider sets none (see the provider's docs)."},
			},
			Blocks: []*schema.NestedBlock{
				{TypeName: SubBlockAWS, Provider: SubBlockAWS, Nesting: schema.NestingSingle, Implied: true,
					Description: "Settings used only by the aws provider.",
					Block: schema.Block{Attributes: []*schema.Attribute{
						{Name: "node_type", Type: cty.String, Optional: true, Default: cty.StringVal("cache.t3.micro"), ForceNew: true,
							Description: "The ElastiCache node type."},
					}}},
			},
		},
		Rules: []schema.KindRule{
			{Doc: "`replicas` is only for `engine = \"redis\"`.", Check: checkCacheReplicas},
		},
	}
}

func coordinatorSchema() *schema.Schema {
	return &schema.Schema{
		Kind:        Coordinator,
		Description: "A coordination cluster (etcd or ZooKeeper) for locks, leader election and service registration. Member count changes one member at a time without losing quorum; its contents are data.",
		DataBearing: true,
		Block: schema.Block{
			Attributes: []*schema.Attribute{
				{Name: "engine", Type: cty.String, Required: true, ForceNew: true,
					Rules:       []schema.ValueRule{schema.OneOf("etcd", "zookeeper")},
					Description: "The coordination server."},
				{Name: "members", Type: cty.Number, Optional: true, Default: cty.NumberIntVal(3),
					Rules:       []schema.ValueRule{schema.OddMembers()},
					Description: "How many members the cluster has."},
				networkRef(),
				idAttribute(),
				{Name: "endpoints", Type: cty.List(cty.String), Computed: true, RecomputedBy: []string{"members"},
					Description: "Client endpoints (host:port) of every member."},
				{Name: "username", Type: cty.String, Computed: true,
					Description: "The user clients authenticate as (etcd user, ZooKeeper digest user); null where the provider sets none (see the provider's docs)."},
				{Name: "password", Type: cty.String, Computed: true, Sensitive: true,
					Description: "That user's password, generated once when the coordinator is created and never printed; null where the provider sets none."},
			},
			Blocks: []*schema.NestedBlock{
				{TypeName: SubBlockAWS, Provider: SubBlockAWS, Nesting: schema.NestingSingle, Implied: true,
					Description: "Settings used only by the aws provider.",
					Block: schema.Block{Attributes: []*schema.Attribute{
						{Name: "ami", Type: cty.String, Optional: true,
							Description: "The machine image of the members. Left out, the current Amazon Linux image is looked up."},
						{Name: "instance_type", Type: cty.String, Optional: true, Default: cty.StringVal("t3.small"),
							Description: "The EC2 instance type of the members."},
					}}},
			},
		},
	}
}

func autoscalingGroupSchema() *schema.Schema {
	return &schema.Schema{
		Kind:        AutoscalingGroup,
		Description: "A group of identical application instances kept between `min` and `max`, replaced when unhealthy, scaled on load and rolled with surge when their configuration changes.",
		Block: schema.Block{
			Attributes: []*schema.Attribute{
				{Name: "min", Type: cty.Number, Optional: true, Default: cty.NumberIntVal(1),
					Rules:       []schema.ValueRule{schema.WholeRange(0, 1000)},
					Description: "The fewest instances to run."},
				{Name: "max", Type: cty.Number, Optional: true, Default: cty.NumberIntVal(1),
					Rules:       []schema.ValueRule{schema.WholeRange(1, 1000)},
					Description: "The most instances to run."},
				{Name: "desired", Type: cty.Number, Optional: true, Computed: true,
					Rules:       []schema.ValueRule{schema.WholeRange(0, 1000)},
					Description: "How many instances to run now. Left out, it starts at `min` and the scaling policy owns it."},
				{Name: "port", Type: cty.Number, Optional: true, Default: cty.NumberIntVal(8080),
					Rules:       []schema.ValueRule{schema.WholeRange(1, 65535)},
					Description: "The port the application listens on (on the local machine each instance gets its own free port, passed as `PORT`)."},
				{Name: "env", Type: cty.Map(cty.String), Optional: true, Default: cty.MapValEmpty(cty.String),
					Description: "Environment variables for every instance."},
				networkRef(),
				idAttribute(),
			},
			Blocks: []*schema.NestedBlock{
				{TypeName: "health_check", Nesting: schema.NestingSingle, Implied: true,
					Description: "How instances are checked; an instance failing it is replaced and taken out of load balancers.",
					Block: schema.Block{Attributes: []*schema.Attribute{
						{Name: "path", Type: cty.String, Optional: true, Default: cty.StringVal("/healthz"),
							Rules:       []schema.ValueRule{schema.PathPrefix()},
							Description: "The HTTP path that answers 2xx when the instance is healthy."},
						{Name: "interval", Type: cty.String, Optional: true, Default: cty.StringVal("5s"),
							Rules:       []schema.ValueRule{schema.Duration()},
							Description: "Time between checks."},
						{Name: "timeout", Type: cty.String, Optional: true, Default: cty.StringVal("2s"),
							Rules:       []schema.ValueRule{schema.Duration()},
							Description: "How long one check may take."},
						{Name: "healthy_threshold", Type: cty.Number, Optional: true, Default: cty.NumberIntVal(2),
							Rules:       []schema.ValueRule{schema.WholeRange(1, 10)},
							Description: "Consecutive passes before an instance counts as healthy."},
						{Name: "unhealthy_threshold", Type: cty.Number, Optional: true, Default: cty.NumberIntVal(3),
							Rules:       []schema.ValueRule{schema.WholeRange(1, 10)},
							Description: "Consecutive failures before an instance counts as unhealthy."},
					}}},
				{TypeName: "rollout", Nesting: schema.NestingSingle, Implied: true,
					Description: "How a change to what the instances run (command, environment, port, image, health check) rolls through the group: new instances start and pass their health checks before old ones drain.",
					Block: schema.Block{Attributes: []*schema.Attribute{
						{Name: "max_surge", Type: cty.Number, Optional: true, Default: cty.NumberIntVal(1),
							Rules:       []schema.ValueRule{schema.WholeRange(0, 1000)},
							Description: "How many new instances may run beyond the desired count during a roll: the roll replaces this many at a time."},
						{Name: "max_unavailable", Type: cty.Number, Optional: true, Default: cty.NumberIntVal(0),
							Rules:       []schema.ValueRule{schema.WholeRange(0, 1000)},
							Description: "How many of the desired instances may be out of service during a roll. Above 0, old instances drain before their replacements are healthy, which is faster but serves with fewer."},
					}}},
				{TypeName: "scaling", Nesting: schema.NestingSingle,
					Description: "Target tracking: instances are added or removed to hold one figure near its target.",
					Block: schema.Block{Attributes: []*schema.Attribute{
						{Name: "target_cpu", Type: cty.Number, Optional: true,
							Rules:       []schema.ValueRule{schema.NumberRange(1, 100)},
							Description: "Average CPU use per instance to hold, in percent."},
						{Name: "target_requests_per_instance", Type: cty.Number, Optional: true,
							Rules:       []schema.ValueRule{schema.NumberRange(1, 1e9)},
							Description: "Requests per second per instance to hold."},
						{Name: "cooldown", Type: cty.String, Optional: true, Default: cty.StringVal("60s"),
							Rules:       []schema.ValueRule{schema.Duration()},
							Description: "Time to wait after a scaling action before the next."},
					}}},
				{TypeName: SubBlockLocal, Provider: SubBlockLocal, Nesting: schema.NestingSingle, MinItems: 1,
					Description: "How the local provider runs an instance.",
					Block: schema.Block{Attributes: []*schema.Attribute{
						{Name: "command", Type: cty.List(cty.String), Required: true,
							Description: "The program and its arguments. `$PORT` and `$INSTANCE_ID` are expanded."},
						{Name: "working_dir", Type: cty.String, Optional: true,
							Description: "The directory to run it in, relative to the stack directory. Defaults to the stack directory."},
					}}},
				{TypeName: SubBlockAWS, Provider: SubBlockAWS, Nesting: schema.NestingSingle, MinItems: 1,
					Description: "How the aws provider launches an instance.",
					Block: schema.Block{Attributes: []*schema.Attribute{
						{Name: "ami", Type: cty.String, Required: true,
							Description: "The machine image."},
						{Name: "instance_type", Type: cty.String, Optional: true, Default: cty.StringVal("t3.micro"),
							Description: "The EC2 instance type."},
						{Name: "user_data", Type: cty.String, Optional: true,
							Description: "A boot script, run before the application starts."},
					}}},
			},
		},
		Rules: []schema.KindRule{
			{Doc: "`min` <= `desired` <= `max`.", Check: checkGroupBounds},
			{Doc: "A `scaling` block sets exactly one of `target_cpu` and `target_requests_per_instance`.", Check: checkScalingTarget},
			{Doc: "A `rollout` block lets at least one of `max_surge` and `max_unavailable` be above 0.", Check: checkRollout},
		},
	}
}

// known returns the attribute of obj when it and obj are known and not null.
func known(obj cty.Value, name string) (cty.Value, bool) {
	if !obj.IsKnown() || obj.IsNull() || !obj.Type().IsObjectType() || !obj.Type().HasAttribute(name) {
		return cty.NilVal, false
	}
	v := obj.GetAttr(name)
	if !v.IsKnown() || v.IsNull() {
		return cty.NilVal, false
	}
	return v, true
}

func asInt(v cty.Value) (int64, bool) {
	if v.Type() != cty.Number {
		return 0, false
	}
	n, acc := v.AsBigFloat().Int64()
	return n, acc == big.Exact
}

func checkGroupBounds(v cty.Value) []schema.Problem {
	var probs []schema.Problem
	minV, okMin := known(v, "min")
	maxV, okMax := known(v, "max")
	lo, okLo := asInt(minV)
	hi, okHi := asInt(maxV)
	if okMin && okMax && okLo && okHi && lo > hi {
		probs = append(probs, schema.Problem{Path: cty.GetAttrPath("min"), Summary: "Group min is greater than max",
			Detail: fmt.Sprintf("min is %d but max is %d; raise max to at least %d or lower min.", lo, hi, lo)})
		return probs
	}
	if d, ok := known(v, "desired"); ok {
		n, okN := asInt(d)
		if okN && okLo && okMin && n < lo {
			probs = append(probs, schema.Problem{Path: cty.GetAttrPath("desired"), Summary: "Group desired is below min",
				Detail: fmt.Sprintf("desired is %d but min is %d; set desired between min and max.", n, lo)})
		}
		if okN && okHi && okMax && n > hi {
			probs = append(probs, schema.Problem{Path: cty.GetAttrPath("desired"), Summary: "Group desired is above max",
				Detail: fmt.Sprintf("desired is %d but max is %d; set desired between min and max.", n, hi)})
		}
	}
	return probs
}

func checkScalingTarget(v cty.Value) []schema.Problem {
	s, ok := known(v, "scaling")
	if !ok {
		return nil
	}
	cpu := s.GetAttr("target_cpu")
	rps := s.GetAttr("target_requests_per_instance")
	if !cpu.IsKnown() || !rps.IsKnown() {
		return nil
	}
	switch {
	case cpu.IsNull() && rps.IsNull():
		return []schema.Problem{{Path: cty.GetAttrPath("scaling"), Summary: "Scaling block without a target",
			Detail: "Set target_cpu (percent) or target_requests_per_instance in the scaling block, or remove the block to keep the group at its desired size."}}
	case !cpu.IsNull() && !rps.IsNull():
		return []schema.Problem{{Path: cty.GetAttrPath("scaling").GetAttr("target_requests_per_instance"), Summary: "Two scaling targets",
			Detail: "A group tracks one figure; keep either target_cpu or target_requests_per_instance."}}
	}
	return nil
}

func checkRollout(v cty.Value) []schema.Problem {
	r, ok := known(v, "rollout")
	if !ok {
		return nil
	}
	surge, okS := known(r, "max_surge")
	unavail, okU := known(r, "max_unavailable")
	s, isS := asInt(surge)
	u, isU := asInt(unavail)
	if okS && okU && isS && isU && s == 0 && u == 0 {
		return []schema.Problem{{Path: cty.GetAttrPath("rollout").GetAttr("max_surge"), Summary: "Rollout that cannot start",
			Detail: "With max_surge = 0 and max_unavailable = 0 a roll can neither start a new instance nor stop an old one; set max_surge to 1 (the default) or allow max_unavailable = 1."}}
	}
	return nil
}

func checkCacheReplicas(v cty.Value) []schema.Problem {
	e, ok := known(v, "engine")
	if !ok || e.AsString() != "memcached" {
		return nil
	}
	r, ok := known(v, "replicas")
	if n, isInt := asInt(r); ok && isInt && n > 0 {
		return []schema.Problem{{Path: cty.GetAttrPath("replicas"), Summary: "Replicas need redis",
			Detail: "memcached has no replication; remove replicas or use engine = \"redis\"."}}
	}
	return nil
}

// routeInfo is one route of a load balancer value, for the route rules.
type routeInfo struct {
	index  int
	path   string
	weight cty.Value
}

func routesOf(v cty.Value) ([]routeInfo, bool) {
	rs, ok := known(v, "route")
	if !ok || !rs.CanIterateElements() {
		return nil, false
	}
	var out []routeInfo
	for it := rs.ElementIterator(); it.Next(); {
		k, r := it.Element()
		idx, _ := asInt(k)
		p, ok := known(r, "path")
		if !ok {
			return nil, false
		}
		w := cty.NullVal(cty.Number)
		if r.IsKnown() && !r.IsNull() {
			w = r.GetAttr("weight")
		}
		out = append(out, routeInfo{index: int(idx), path: schema.NormalizeRoutePath(p.AsString()), weight: w})
	}
	return out, true
}

func checkRouteWeights(v cty.Value) []schema.Problem {
	routes, ok := routesOf(v)
	if !ok {
		return nil
	}
	byPath := map[string][]routeInfo{}
	var paths []string
	for _, r := range routes {
		if _, seen := byPath[r.path]; !seen {
			paths = append(paths, r.path)
		}
		byPath[r.path] = append(byPath[r.path], r)
	}
	sort.Strings(paths)
	var probs []schema.Problem
	for _, p := range paths {
		rs := byPath[p]
		if len(rs) == 1 {
			w := rs[0].weight
			if w.IsKnown() && !w.IsNull() {
				if n, _ := asInt(w); n != 100 {
					probs = append(probs, schema.Problem{Path: routePath(rs[0].index, "weight"), Summary: "Route weights do not sum to 100",
						Detail: fmt.Sprintf("The route for %q is the only one on its path, so it gets all its traffic; set weight = 100 or leave it out.", p)})
				}
			}
			continue
		}
		sum := int64(0)
		for _, r := range rs {
			if !r.weight.IsKnown() {
				sum = -1
				break
			}
			if r.weight.IsNull() {
				probs = append(probs, schema.Problem{Path: routePath(r.index, "path"), Summary: "Route weight missing",
					Detail: fmt.Sprintf("%d routes share the path %q, so each needs a weight; give this one a weight so that the weights sum to 100.", len(rs), p)})
				sum = -1
				break
			}
			n, _ := asInt(r.weight)
			sum += n
		}
		if sum >= 0 && sum != 100 {
			last := rs[len(rs)-1]
			probs = append(probs, schema.Problem{Path: routePath(last.index, "weight"), Summary: "Route weights do not sum to 100",
				Detail: fmt.Sprintf("The weights of the routes for %q sum to %d; change them so that they sum to 100.", p, sum)})
		}
	}
	return probs
}

// SeesStatusCodes reports whether a load balancer configured as v sees
// the HTTP status of the answers it forwards: a tcp one forwards bytes, so
// no gate on it can count 5xx answers.
func SeesStatusCodes(v cty.Value) bool {
	v, _ = v.UnmarkDeep()
	if v == cty.NilVal {
		return true
	}
	t, ok := known(v, "type")
	return !ok || t.Type() != cty.String || t.AsString() != "tcp"
}

func checkTCPRoutes(v cty.Value) []schema.Problem {
	t, ok := known(v, "type")
	if !ok || t.AsString() != "tcp" {
		return nil
	}
	routes, ok := routesOf(v)
	if !ok {
		return nil
	}
	for _, r := range routes {
		if r.path != "/" {
			return []schema.Problem{{Path: routePath(r.index, "path"), Summary: "Path route on a tcp load balancer",
				Detail: "A tcp load balancer cannot see request paths; use path = \"/\" or type = \"http\"."}}
		}
	}
	return nil
}

func routePath(i int, attr string) cty.Path {
	return cty.GetAttrPath("route").IndexInt(i).GetAttr(attr)
}
