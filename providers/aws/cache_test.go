package aws

import (
	"context"
	"strings"
	"testing"
	"time"

	sdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"
	"github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi"
	tagtypes "github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi/types"
	"github.com/zclconf/go-cty/cty"

	"github.com/stagecraft/stagecraft/providers"
	"github.com/stagecraft/stagecraft/providers/kinds"
	"github.com/stagecraft/stagecraft/providers/providertest"
)

// cacheEnv is one test's cache kind against moto, in a region of its own.
type cacheEnv struct {
	t      *testing.T
	ctx    context.Context
	p      *provider
	k      *cacheKind
	region string
	stack  string
}

func newCacheEnv(t *testing.T) *cacheEnv {
	t.Helper()
	t.Parallel()
	p, region := newTestProvider(t, nil)
	k, _ := p.Kind(kinds.Cache)
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	t.Cleanup(cancel)
	return &cacheEnv{t: t, ctx: ctx, p: p.(*provider), k: k.(*cacheKind), region: region, stack: "shop-" + strings.ToLower(strings.ReplaceAll(t.Name(), "/", "-"))}
}

func (e *cacheEnv) ref(name string) providers.Ref {
	return providers.Ref{Address: "cache." + name, Kind: kinds.Cache, Stack: e.stack, Environment: "prod"}
}

func (e *cacheEnv) desired(attrs map[string]cty.Value) cty.Value {
	return providertest.Desired(e.k.Schema(), attrs)
}

// create creates a cache and schedules its deletion.
func (e *cacheEnv) create(r providers.Ref, desired cty.Value) (providers.Ref, cty.Value) {
	e.t.Helper()
	v, err := e.k.Create(e.ctx, r, desired)
	if err != nil {
		e.t.Fatalf("Create %s: %v", r.Address, err)
	}
	r.ID = v.GetAttr("id").AsString()
	e.t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := e.k.Delete(ctx, r, v); err != nil {
			e.t.Errorf("clean up %s: %v", r.Address, err)
		}
	})
	return r, v
}

// tagged lists the ARNs of ElastiCache resources carrying the test's stack
// tag.
func (e *cacheEnv) tagged() []string {
	e.t.Helper()
	out, err := e.p.clients.tagging.GetResources(e.ctx, &resourcegroupstaggingapi.GetResourcesInput{
		TagFilters:          []tagtypes.TagFilter{{Key: sdk.String(providers.TagStack), Values: []string{e.stack}}},
		ResourceTypeFilters: []string{"elasticache"},
	})
	if err != nil {
		e.t.Fatal(err)
	}
	var arns []string
	for _, m := range out.ResourceTagMappingList {
		arns = append(arns, sdk.ToString(m.ResourceARN))
	}
	return arns
}

func TestCacheRedisReadsBackAsConfigured(t *testing.T) {
	e := newCacheEnv(t)
	r, v := e.create(e.ref("sessions"), e.desired(map[string]cty.Value{
		"engine": cty.StringVal("redis"), "replicas": cty.NumberIntVal(2), "memory_mb": cty.NumberIntVal(512), "eviction_policy": cty.StringVal("allkeys-lfu"),
		"aws": cty.ObjectVal(map[string]cty.Value{"node_type": cty.StringVal("cache.m5.large")}),
	}))
	for name, want := range map[string]cty.Value{
		"engine": cty.StringVal("redis"), "nodes": cty.NumberIntVal(1), "replicas": cty.NumberIntVal(2), "memory_mb": cty.NumberIntVal(512), "eviction_policy": cty.StringVal("allkeys-lfu"),
	} {
		if got := v.GetAttr(name); !got.RawEquals(want) {
			t.Errorf("%s = %#v, want %#v", name, got, want)
		}
	}
	if got := v.GetAttr("aws").GetAttr("node_type"); got.AsString() != "cache.m5.large" {
		t.Errorf("aws.node_type = %s, want cache.m5.large", got.AsString())
	}
	if id := r.ID; len(id) > cacheNameMax || !strings.HasPrefix(id, "sc-") || id != strings.ToLower(id) || strings.Contains(id, "--") {
		t.Errorf("id %q is not a valid replication group id (lowercase, at most 40 characters, no double hyphen)", id)
	}
	rg, err := e.p.clients.elasticache.DescribeReplicationGroups(e.ctx, &elasticache.DescribeReplicationGroupsInput{ReplicationGroupId: sdk.String(r.ID)})
	if err != nil {
		t.Fatal(err)
	}
	if got := rg.ReplicationGroups[0].AutomaticFailover; got != "enabled" {
		t.Errorf("automatic failover is %q with 2 replicas, want enabled", got)
	}
	sg, err := e.p.clients.elasticache.DescribeCacheSubnetGroups(e.ctx, &elasticache.DescribeCacheSubnetGroupsInput{CacheSubnetGroupName: sdk.String(r.ID)})
	if err != nil {
		t.Fatalf("the cache has no subnet group of its own: %v", err)
	}
	if len(sg.CacheSubnetGroups[0].Subnets) == 0 {
		t.Errorf("the subnet group %s has no subnets", r.ID)
	}
}

func TestCacheEndpoints(t *testing.T) {
	e := newCacheEnv(t)
	_, single := e.create(e.ref("single"), e.desired(map[string]cty.Value{"engine": cty.StringVal("redis"), "replicas": cty.NumberIntVal(1)}))
	ep := single.GetAttr("endpoint").AsString()
	if !strings.HasPrefix(ep, "master.") || !strings.HasSuffix(ep, ":6379") {
		t.Errorf("endpoint = %q, want the primary endpoint (master.…:6379)", ep)
	}
	if n := single.GetAttr("endpoints").LengthInt(); n != 2 {
		t.Errorf("endpoints has %d entries for a primary and one replica, want 2: %#v", n, single.GetAttr("endpoints"))
	}

	_, sharded := e.create(e.ref("sharded"), e.desired(map[string]cty.Value{"engine": cty.StringVal("redis"), "nodes": cty.NumberIntVal(3)}))
	if got := sharded.GetAttr("nodes"); !got.RawEquals(cty.NumberIntVal(3)) {
		t.Errorf("nodes = %#v, want 3 shards", got)
	}
	if ep := sharded.GetAttr("endpoint").AsString(); !strings.HasPrefix(ep, "clustercfg.") {
		t.Errorf("endpoint of a sharded cache = %q, want the configuration endpoint", ep)
	}
}

func TestCacheMemcached(t *testing.T) {
	e := newCacheEnv(t)
	r := e.ref("pages")
	v, err := e.k.Create(e.ctx, r, e.desired(map[string]cty.Value{"engine": cty.StringVal("memcached"), "nodes": cty.NumberIntVal(3), "eviction_policy": cty.StringVal("noeviction")}))
	if err != nil {
		t.Fatal(err)
	}
	r.ID = v.GetAttr("id").AsString()
	got, ok, err := e.k.Read(e.ctx, r)
	if err != nil || !ok {
		t.Fatalf("Read: exists=%t err=%v", ok, err)
	}
	if !got.RawEquals(v) {
		t.Errorf("Read = %#v\nCreate = %#v", got, v)
	}
	if n := got.GetAttr("nodes"); !n.RawEquals(cty.NumberIntVal(3)) {
		t.Errorf("nodes = %#v, want 3", n)
	}
	if err := e.k.Delete(e.ctx, r, v); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := e.k.Read(e.ctx, r); ok || err != nil {
		t.Errorf("Read after Delete: exists=%t err=%v, want absent", ok, err)
	}
}

// A create that crashed before the state recorded its cache is run again
// with the same ref: it must adopt the cache, not make a second one.
func TestCacheCreateIsIdempotent(t *testing.T) {
	e := newCacheEnv(t)
	desired := e.desired(map[string]cty.Value{"engine": cty.StringVal("redis")})
	r, first := e.create(e.ref("sessions"), desired)
	second, err := e.k.Create(e.ctx, e.ref("sessions"), desired)
	if err != nil {
		t.Fatalf("second Create: %v", err)
	}
	if id := second.GetAttr("id").AsString(); id != r.ID {
		t.Errorf("second Create made %s, want the first one's %s", id, r.ID)
	}
	if !second.RawEquals(first) {
		t.Errorf("second Create = %#v, want %#v", second, first)
	}
	found, err := e.k.Discover(e.ctx, e.stack, "prod")
	if err != nil {
		t.Fatal(err)
	}
	if len(found) != 1 {
		t.Errorf("Discover finds %d caches after two creates of one, want 1: %+v", len(found), found)
	}

	// Another resource's cache under the same name is not adopted.
	other := e.ref("sessions")
	other.Environment = "staging"
	if id := cacheName(other, cacheConfigOf(desired)); id == r.ID {
		t.Fatalf("two environments got the same cache id %s", id)
	}
}

func TestCacheDiscoverAndReadMany(t *testing.T) {
	e := newCacheEnv(t)
	a, _ := e.create(e.ref("a"), e.desired(map[string]cty.Value{"engine": cty.StringVal("redis")}))
	b, _ := e.create(e.ref("b"), e.desired(map[string]cty.Value{"engine": cty.StringVal("memcached")}))
	foreign := e.ref("c")
	foreign.Stack = e.stack + "-other"
	e.create(foreign, e.desired(map[string]cty.Value{"engine": cty.StringVal("redis")}))

	found, err := e.k.Discover(e.ctx, e.stack, "prod")
	if err != nil {
		t.Fatal(err)
	}
	var got []providers.Ref
	for _, f := range found {
		got = append(got, f.Ref)
	}
	if len(got) != 2 || got[0] != a || got[1] != b {
		t.Errorf("Discover = %+v, want %+v and %+v (and not the other stack's cache)", got, a, b)
	}

	missing := e.ref("gone")
	missing.ID = "sc-00000000-gone"
	refs := []providers.Ref{b, missing, a}
	res, err := e.k.ReadMany(e.ctx, refs)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range refs {
		v, ok, err := e.k.Read(e.ctx, r)
		if err != nil || res[i].Err != nil {
			t.Fatalf("%s: Read err %v, ReadMany err %v", r.Address, err, res[i].Err)
		}
		if ok != res[i].Exists || !v.RawEquals(res[i].Actual) {
			t.Errorf("%s: ReadMany = (%t, %#v), Read = (%t, %#v)", r.Address, res[i].Exists, res[i].Actual, ok, v)
		}
	}

	if err := e.k.Delete(e.ctx, a, cty.NilVal); err != nil {
		t.Fatal(err)
	}
	found, err = e.k.Discover(e.ctx, e.stack, "prod")
	if err != nil {
		t.Fatal(err)
	}
	if len(found) != 1 || found[0].Ref != b {
		t.Errorf("Discover after deleting %s = %+v, want only %s", a.Address, found, b.Address)
	}
}

// Deleting every cache of a stack leaves nothing with the stack's tag,
// except what moto cannot delete (its caches stay "deleting" forever, and
// it has no DeleteCacheSubnetGroup).
func TestCacheDeleteLeavesNothingTagged(t *testing.T) {
	e := newCacheEnv(t)
	r1, v1 := e.create(e.ref("a"), e.desired(map[string]cty.Value{"engine": cty.StringVal("redis"), "replicas": cty.NumberIntVal(1)}))
	r2, v2 := e.create(e.ref("b"), e.desired(map[string]cty.Value{"engine": cty.StringVal("memcached")}))
	if n := len(e.tagged()); n < 4 {
		t.Fatalf("%d resources carry the stack's tag after creating two caches, want at least 4 (two caches, two subnet groups)", n)
	}
	for _, d := range []struct {
		r providers.Ref
		v cty.Value
	}{{r1, v1}, {r2, v2}} {
		if err := e.k.Delete(e.ctx, d.r, d.v); err != nil {
			t.Fatal(err)
		}
	}
	_, err := e.p.clients.elasticache.DeleteCacheSubnetGroup(e.ctx, &elasticache.DeleteCacheSubnetGroupInput{CacheSubnetGroupName: sdk.String(r1.ID)}, mayBeUnimplemented)
	motoKeepsSubnetGroups := isEmulatorGap(err)
	for _, arn := range e.tagged() {
		id := arn[strings.LastIndex(arn, ":")+1:]
		switch {
		case strings.Contains(arn, ":subnetgroup:") && motoKeepsSubnetGroups:
			continue
		case strings.Contains(arn, ":replicationgroup:") || strings.Contains(arn, ":cluster:"):
			s, err := e.k.describe(e.ctx, "test", "", id)
			if err != nil {
				t.Fatal(err)
			}
			if s == nil || s.deleting() {
				continue
			}
		}
		t.Errorf("%s still carries the stack's tag after every cache was deleted", arn)
	}
}

func TestCacheUpdateErrors(t *testing.T) {
	e := newCacheEnv(t)
	r, v := e.create(e.ref("sessions"), e.desired(map[string]cty.Value{"engine": cty.StringVal("redis")}))
	for name, tc := range map[string]struct {
		attrs map[string]cty.Value
		want  []string
	}{
		"replicas on moto": {
			attrs: map[string]cty.Value{"engine": cty.StringVal("redis"), "replicas": cty.NumberIntVal(1)},
			want:  []string{"update cache.sessions (replicas)", "IncreaseReplicaCount"},
		},
		"cluster mode switch": {
			attrs: map[string]cty.Value{"engine": cty.StringVal("redis"), "nodes": cty.NumberIntVal(2)},
			want:  []string{"update cache.sessions (nodes)", "cluster mode"},
		},
		"force-new attribute": {
			attrs: map[string]cty.Value{"engine": cty.StringVal("redis"), "aws": cty.ObjectVal(map[string]cty.Value{"node_type": cty.StringVal("cache.r6g.large")})},
			want:  []string{"update cache.sessions (aws.node_type)", "replaced"},
		},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := e.k.Update(e.ctx, r, v, e.desired(tc.attrs))
			if err == nil {
				t.Fatalf("Update succeeded; want an error saying %q", tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}

func TestCacheNames(t *testing.T) {
	t.Parallel()
	ref := func(addr, stack, env string) providers.Ref {
		return providers.Ref{Address: addr, Kind: kinds.Cache, Stack: stack, Environment: env}
	}
	redis := cacheConfig{Engine: "redis", Nodes: 1, NodeType: "cache.t3.micro"}
	base := cacheName(ref("cache.sessions", "shop", "prod"), redis)
	long := cacheName(ref(`module.checkout_service_v2.cache.sessions_for_logged_in_customers["eu-west"]`, "shop", "prod"), redis)
	for _, id := range []string{base, long} {
		if len(id) > cacheNameMax || id != strings.ToLower(id) || strings.Contains(id, "--") || strings.HasSuffix(id, "-") || !strings.HasPrefix(id, "sc-") {
			t.Errorf("%q is not a valid ElastiCache id", id)
		}
	}
	memcached := redis
	memcached.Engine = "memcached"
	otherType := redis
	otherType.NodeType = "cache.m5.large"
	for name, other := range map[string]string{
		"another environment": cacheName(ref("cache.sessions", "shop", "staging"), redis),
		"another stack":       cacheName(ref("cache.sessions", "blog", "prod"), redis),
		"another engine":      cacheName(ref("cache.sessions", "shop", "prod"), memcached),
		"another node type":   cacheName(ref("cache.sessions", "shop", "prod"), otherType),
	} {
		if other == base {
			t.Errorf("%s gives the same id %s: a replacement or a second owner would collide", name, base)
		}
	}
	if again := cacheName(ref("cache.sessions", "shop", "prod"), redis); again != base {
		t.Errorf("the id is not stable: %s then %s", base, again)
	}
}
