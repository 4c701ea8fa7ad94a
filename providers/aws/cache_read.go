package aws

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	sdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"
	ectypes "github.com/aws/aws-sdk-go-v2/service/elasticache/types"
	"github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi"
	tagtypes "github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi/types"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/stagecraft/stagecraft/providers"
	"github.com/stagecraft/stagecraft/providers/kinds"
)

// cacheState is one cache as ElastiCache describes it: a replication
// group (redis) or a cache cluster (memcached), with its tags.
type cacheState struct {
	rg   *ectypes.ReplicationGroup
	cc   *ectypes.CacheCluster
	tags map[string]string
}

func (s *cacheState) id() string {
	if s.rg != nil {
		return sdk.ToString(s.rg.ReplicationGroupId)
	}
	return sdk.ToString(s.cc.CacheClusterId)
}

func (s *cacheState) arn() string {
	if s.rg != nil {
		return sdk.ToString(s.rg.ARN)
	}
	return sdk.ToString(s.cc.ARN)
}

func (s *cacheState) status() string {
	if s.rg != nil {
		return sdk.ToString(s.rg.Status)
	}
	return sdk.ToString(s.cc.CacheClusterStatus)
}

func (s *cacheState) deleting() bool {
	st := s.status()
	return st == "deleting" || st == "deleted"
}

// config is the configuration the cache has at AWS. memory_mb and
// eviction_policy come from the tags that record them (defaults when a
// cache lacks them).
func (s *cacheState) config() cacheConfig {
	c := cacheConfig{MemoryMB: 64, Eviction: "allkeys-lru", Network: s.tags[tagNetwork]}
	if n, err := strconv.Atoi(s.tags[tagMemoryMB]); err == nil {
		c.MemoryMB = n
	}
	if e := s.tags[tagEviction]; e != "" {
		c.Eviction = e
	}
	if s.rg != nil {
		c.Engine = "redis"
		c.NodeType = sdk.ToString(s.rg.CacheNodeType)
		c.Nodes = 1
		if sdk.ToBool(s.rg.ClusterEnabled) {
			c.Nodes = len(s.rg.NodeGroups)
		}
		if len(s.rg.NodeGroups) > 0 {
			c.Replicas = max(len(s.rg.NodeGroups[0].NodeGroupMembers)-1, 0)
		}
		return c
	}
	c.Engine = sdk.ToString(s.cc.Engine)
	c.NodeType = sdk.ToString(s.cc.CacheNodeType)
	c.Nodes = int(sdk.ToInt32(s.cc.NumCacheNodes))
	return c
}

// endpoints returns the primary endpoint (redis: the primary, or the
// configuration endpoint in cluster mode; memcached: the configuration
// endpoint) and every node's endpoint. In cluster mode AWS reports no
// per-node endpoints in the replication group; cluster clients find the
// nodes through the configuration endpoint, which is then the one entry.
func (s *cacheState) endpoints() (string, []string) {
	var primary string
	var all []string
	if s.rg != nil {
		if s.rg.ConfigurationEndpoint != nil {
			primary = hostPort(s.rg.ConfigurationEndpoint)
		} else if len(s.rg.NodeGroups) > 0 && s.rg.NodeGroups[0].PrimaryEndpoint != nil {
			primary = hostPort(s.rg.NodeGroups[0].PrimaryEndpoint)
		}
		type member struct{ id, ep string }
		var ms []member
		for _, g := range s.rg.NodeGroups {
			for _, m := range g.NodeGroupMembers {
				if m.ReadEndpoint != nil {
					ms = append(ms, member{sdk.ToString(m.CacheClusterId), hostPort(m.ReadEndpoint)})
				}
			}
		}
		sort.Slice(ms, func(i, j int) bool { return ms[i].id < ms[j].id })
		for _, m := range ms {
			all = append(all, m.ep)
		}
	} else {
		if s.cc.ConfigurationEndpoint != nil {
			primary = hostPort(s.cc.ConfigurationEndpoint)
		}
		nodes := append([]ectypes.CacheNode(nil), s.cc.CacheNodes...)
		sort.Slice(nodes, func(i, j int) bool { return sdk.ToString(nodes[i].CacheNodeId) < sdk.ToString(nodes[j].CacheNodeId) })
		for _, n := range nodes {
			if n.Endpoint != nil {
				all = append(all, hostPort(n.Endpoint))
			}
		}
	}
	if len(all) == 0 && primary != "" {
		all = []string{primary}
	}
	if primary == "" && len(all) > 0 {
		primary = all[0]
	}
	return primary, all
}

// lastNodeGroups names the n shards with the highest ids, the ones a
// shrink removes.
func (s *cacheState) lastNodeGroups(n int) []string {
	var ids []string
	for _, g := range s.rg.NodeGroups {
		ids = append(ids, sdk.ToString(g.NodeGroupId))
	}
	sort.Strings(ids)
	return ids[max(len(ids)-n, 0):]
}

// lastCacheNodes names the n memcached nodes with the highest ids.
func (s *cacheState) lastCacheNodes(n int) []string {
	var ids []string
	for _, c := range s.cc.CacheNodes {
		ids = append(ids, sdk.ToString(c.CacheNodeId))
	}
	sort.Strings(ids)
	return ids[max(len(ids)-n, 0):]
}

func hostPort(e *ectypes.Endpoint) string {
	return fmt.Sprintf("%s:%d", sdk.ToString(e.Address), sdk.ToInt32(e.Port))
}

// value is the actual value of the cache s.
func (k *cacheKind) value(s *cacheState) cty.Value {
	c := s.config()
	primary, all := s.endpoints()
	endpoint := cty.NullVal(cty.String)
	if primary != "" {
		endpoint = cty.StringVal(primary)
	}
	endpoints := cty.ListValEmpty(cty.String)
	if len(all) > 0 {
		vs := make([]cty.Value, len(all))
		for i, e := range all {
			vs[i] = cty.StringVal(e)
		}
		endpoints = cty.ListVal(vs)
	}
	network := cty.NullVal(cty.String)
	if c.Network != "" {
		network = cty.StringVal(c.Network)
	}
	v := cty.ObjectVal(map[string]cty.Value{
		"engine":          cty.StringVal(c.Engine),
		"nodes":           cty.NumberIntVal(int64(c.Nodes)),
		"replicas":        cty.NumberIntVal(int64(c.Replicas)),
		"memory_mb":       cty.NumberIntVal(int64(c.MemoryMB)),
		"eviction_policy": cty.StringVal(c.Eviction),
		"network":         network,
		"id":              cty.StringVal(s.id()),
		"endpoint":        endpoint,
		"endpoints":       endpoints,
		// No AUTH token: see docs/providers/aws.md ("Credentials").
		"password": cty.NullVal(cty.String),
		kinds.SubBlockAWS: cty.ObjectVal(map[string]cty.Value{
			"node_type": cty.StringVal(c.NodeType),
		}),
	})
	out, err := convert.Convert(v, k.schema.ImpliedType())
	if err != nil {
		panic(fmt.Sprintf("aws: the cache value does not fit the cache schema: %s", err))
	}
	return out
}

// find describes the cache id with its tags; nil when there is none.
func (k *cacheKind) find(ctx context.Context, op, addr, id string) (*cacheState, error) {
	s, err := k.describe(ctx, op, addr, id)
	if err != nil || s == nil {
		return nil, err
	}
	if s.tags, err = k.listTags(ctx, op, addr, s.arn()); err != nil {
		return nil, err
	}
	return s, nil
}

// describe looks the cache id up as a replication group, then as a cache
// cluster; nil when it is neither.
func (k *cacheKind) describe(ctx context.Context, op, addr, id string) (*cacheState, error) {
	ec := k.p.clients.elasticache
	rgs, err := ec.DescribeReplicationGroups(ctx, &elasticache.DescribeReplicationGroupsInput{ReplicationGroupId: sdk.String(id)})
	switch {
	case err == nil && len(rgs.ReplicationGroups) > 0:
		return &cacheState{rg: &rgs.ReplicationGroups[0]}, nil
	case err != nil && !isNotFound(err):
		return nil, awsError(op, addr, "", err)
	}
	ccs, err := ec.DescribeCacheClusters(ctx, &elasticache.DescribeCacheClustersInput{CacheClusterId: sdk.String(id), ShowCacheNodeInfo: sdk.Bool(true)})
	switch {
	case err == nil && len(ccs.CacheClusters) > 0 && ccs.CacheClusters[0].ReplicationGroupId == nil:
		return &cacheState{cc: &ccs.CacheClusters[0]}, nil
	case err != nil && !isNotFound(err):
		return nil, awsError(op, addr, "", err)
	}
	return nil, nil
}

func (k *cacheKind) listTags(ctx context.Context, op, addr, arn string) (map[string]string, error) {
	out, err := k.p.clients.elasticache.ListTagsForResource(ctx, &elasticache.ListTagsForResourceInput{ResourceName: sdk.String(arn)})
	if err != nil {
		return nil, awsError(op, addr, "tags", err)
	}
	tags := map[string]string{}
	for _, t := range out.TagList {
		tags[sdk.ToString(t.Key)] = sdk.ToString(t.Value)
	}
	return tags, nil
}

// listAll describes every replication group and every cache cluster
// outside one, by id: two paginated calls however many caches there are.
func (k *cacheKind) listAll(ctx context.Context, op, what string) (map[string]*cacheState, error) {
	ec := k.p.clients.elasticache
	out := map[string]*cacheState{}
	rgs := elasticache.NewDescribeReplicationGroupsPaginator(ec, &elasticache.DescribeReplicationGroupsInput{})
	for rgs.HasMorePages() {
		page, err := rgs.NextPage(ctx)
		if err != nil {
			return nil, listError(op, what, "", err)
		}
		for i := range page.ReplicationGroups {
			s := &cacheState{rg: &page.ReplicationGroups[i]}
			out[s.id()] = s
		}
	}
	ccs := elasticache.NewDescribeCacheClustersPaginator(ec, &elasticache.DescribeCacheClustersInput{
		ShowCacheNodeInfo: sdk.Bool(true), ShowCacheClustersNotInReplicationGroups: sdk.Bool(true),
	})
	for ccs.HasMorePages() {
		page, err := ccs.NextPage(ctx)
		if err != nil {
			return nil, listError(op, what, "", err)
		}
		for i := range page.CacheClusters {
			if page.CacheClusters[i].ReplicationGroupId != nil {
				continue
			}
			s := &cacheState{cc: &page.CacheClusters[i]}
			out[s.id()] = s
		}
	}
	return out, nil
}

// taggedARNs returns the tags of every ElastiCache resource of stack and
// environment, by ARN, through the tagging API: one paginated call.
func (k *cacheKind) taggedARNs(ctx context.Context, op, what, stack, environment string) (map[string]map[string]string, error) {
	out := map[string]map[string]string{}
	pages := resourcegroupstaggingapi.NewGetResourcesPaginator(k.p.clients.tagging, &resourcegroupstaggingapi.GetResourcesInput{
		TagFilters: []tagtypes.TagFilter{
			{Key: sdk.String(providers.TagStack), Values: []string{stack}},
			{Key: sdk.String(providers.TagEnvironment), Values: []string{environment}},
		},
		// The service as a whole: moto and AWS name the resource types
		// differently; the ARN says which it is.
		ResourceTypeFilters: []string{"elasticache"},
	})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, listError(op, what, "tags", err)
		}
		for _, m := range page.ResourceTagMappingList {
			tags := map[string]string{}
			for _, t := range m.Tags {
				tags[sdk.ToString(t.Key)] = sdk.ToString(t.Value)
			}
			out[sdk.ToString(m.ResourceARN)] = tags
		}
	}
	return out, nil
}

// ReadMany reads many caches with a fixed number of calls: every
// replication group, every cache cluster, and the tags of each owner's
// caches through the tagging API (a cache whose tags that API does not
// return yet is asked for its own).
func (k *cacheKind) ReadMany(ctx context.Context, refs []providers.Ref) ([]providers.ReadResult, error) {
	out := make([]providers.ReadResult, len(refs))
	if len(refs) <= 1 {
		for i, r := range refs {
			v, ok, err := k.Read(ctx, r)
			out[i] = providers.ReadResult{Actual: v, Exists: ok, Err: err}
		}
		return out, nil
	}
	what := fmt.Sprintf("%d caches", len(refs))
	all, err := k.listAll(ctx, "read", what)
	if err != nil {
		return nil, err
	}
	tagged := map[string]map[string]string{}
	owners := map[[2]string]bool{}
	for _, r := range refs {
		owner := [2]string{r.Stack, r.Environment}
		if owners[owner] {
			continue
		}
		owners[owner] = true
		m, err := k.taggedARNs(ctx, "read", what, r.Stack, r.Environment)
		if err != nil {
			return nil, err
		}
		for arn, tags := range m {
			tagged[arn] = tags
		}
	}
	for i, r := range refs {
		out[i] = providers.ReadResult{Actual: k.null()}
		s := all[r.ID]
		if r.ID == "" || s == nil || s.deleting() {
			continue
		}
		st := *s
		st.tags = tagged[s.arn()]
		if st.tags == nil {
			if st.tags, err = k.listTags(ctx, "read", r.Address, s.arn()); err != nil {
				out[i].Err = err
				continue
			}
		}
		out[i] = providers.ReadResult{Actual: k.value(&st), Exists: true}
	}
	return out, nil
}

// Discover lists the caches tagged with stack and environment, ordered by
// address. Caches being deleted, and the subnet and parameter groups that
// carry the same tags, are left out.
func (k *cacheKind) Discover(ctx context.Context, stack, environment string) ([]providers.Discovered, error) {
	what := fmt.Sprintf("caches of stack %q environment %q", stack, environment)
	tagged, err := k.taggedARNs(ctx, "discover", what, stack, environment)
	if err != nil || len(tagged) == 0 {
		return nil, err
	}
	all, err := k.listAll(ctx, "discover", what)
	if err != nil {
		return nil, err
	}
	var out []providers.Discovered
	for _, s := range all {
		tags, ok := tagged[s.arn()]
		if !ok || s.deleting() || tags[providers.TagAddress] == "" {
			continue
		}
		st := *s
		st.tags = tags
		out = append(out, providers.Discovered{
			Ref: providers.Ref{
				Address: tags[providers.TagAddress], Kind: kinds.Cache, ID: s.id(),
				Stack: stack, Environment: environment,
			},
			Actual: k.value(&st),
		})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Ref.Address != out[j].Ref.Address {
			return out[i].Ref.Address < out[j].Ref.Address
		}
		return strings.Compare(out[i].Ref.ID, out[j].Ref.ID) < 0
	})
	return out, nil
}
