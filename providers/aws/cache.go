package aws

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	sdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"
	ectypes "github.com/aws/aws-sdk-go-v2/service/elasticache/types"
	"github.com/zclconf/go-cty/cty"

	"github.com/stagecraft/stagecraft/providers"
	"github.com/stagecraft/stagecraft/providers/kinds"
)

// cacheKind maps a cache onto ElastiCache: engine "redis" is a replication
// group (nodes are shards, cluster mode on when there is more than one;
// replicas per shard; automatic failover whenever there are replicas or
// shards), engine "memcached" is a cache cluster with nodes cache nodes.
// Each cache owns a subnet group (the network's private subnets) and a
// parameter group that carries its eviction policy, all three named by the
// cache's id and tagged.
//
// ElastiCache has no memory setting: a node has the memory of its
// node_type. memory_mb is therefore kept as the tag stagecraft:memory-mb,
// so that a plan shows it as configured; eviction_policy is applied
// through the parameter group (redis maxmemory-policy; memcached
// error_on_memory_exhausted, set for "noeviction") and recorded as the tag
// stagecraft:eviction-policy, which Read reports. Where the endpoint has no
// parameter groups (moto), the tag alone records it, with a warning.
type cacheKind struct{ *kindBase }

var (
	_ providers.ResourceKind = (*cacheKind)(nil)
	_ providers.BatchReader  = (*cacheKind)(nil)
	_ providers.Discoverer   = (*cacheKind)(nil)
)

// Tags a cache carries besides the stagecraft owner tags and tagNetwork.
const (
	tagMemoryMB = "stagecraft:memory-mb"
	tagEviction = "stagecraft:eviction-policy"
)

// cacheNameMax is ElastiCache's limit on replication group and cache
// cluster ids.
const cacheNameMax = 40

// Engine versions are pinned, so that the parameter group family is known
// and every cache of a stack runs the same server.
const (
	redisVersion     = "7.1"
	redisFamily      = "redis7"
	memcachedVersion = "1.6.22"
	memcachedFamily  = "memcached1.6"
)

// cacheConfig is a desired cache, decoded.
type cacheConfig struct {
	Engine   string
	Nodes    int
	Replicas int
	MemoryMB int
	Eviction string
	Network  string
	NodeType string
}

// cacheConfigOf decodes a checked desired value; null optional attributes
// get the schema's defaults.
func cacheConfigOf(v cty.Value) cacheConfig {
	c := cval{v}
	num := func(name string, def int64) int {
		if n, ok := c.num(name); ok {
			return int(n)
		}
		return int(def)
	}
	or := func(s, def string) string {
		if s == "" {
			return def
		}
		return s
	}
	return cacheConfig{
		Engine:   c.str("engine"),
		Nodes:    num("nodes", 1),
		Replicas: num("replicas", 0),
		MemoryMB: num("memory_mb", 64),
		Eviction: or(c.str("eviction_policy"), "allkeys-lru"),
		Network:  c.str("network"),
		NodeType: or(c.sub(kinds.SubBlockAWS).str("node_type"), "cache.t3.micro"),
	}
}

// clusterMode reports whether a redis cache runs in cluster mode (shards).
func (c cacheConfig) clusterMode() bool { return c.Nodes > 1 }

// cacheName is the id of the cache r: the replication group id or cache
// cluster id, which also names its subnet and parameter groups. It is
// derived from the owner, the address and the force-new attributes
// (engine, node type, network), so the same desired cache always gets the
// same id (a create that crashed before the state recorded it finds its
// cache again), while a replacement, created before the old cache is
// deleted, gets another. ElastiCache ids are lowercase letters, digits and
// single hyphens, at most 40 characters, unique per region.
func cacheName(r providers.Ref, c cacheConfig) string {
	return resourceName(cacheToken(r, c), r.Address, cacheNameMax)
}

// cacheToken fingerprints the cache's force-new settings.
func cacheToken(r providers.Ref, c cacheConfig) string {
	return resourceToken(r, c.Engine, c.NodeType, c.Network)
}

// createID is the id a create of r uses: cacheName, or the next
// generation's id when r replaces the cache of that name (see
// createToken).
func (k *cacheKind) createID(ctx context.Context, r providers.Ref, c cacheConfig) (string, error) {
	return createName(r, cacheToken(r, c), cacheNameMax, func(id string) (string, error) {
		s, err := k.describe(ctx, "create", r.Address, id)
		if err != nil || s == nil {
			return "", err
		}
		return id, nil
	})
}

// cacheTags are the tags of the cache and its groups.
func (k *cacheKind) cacheTags(r providers.Ref, c cacheConfig) map[string]string {
	t := k.tags(r)
	t[tagMemoryMB] = strconv.Itoa(c.MemoryMB)
	t[tagEviction] = c.Eviction
	if c.Network != "" {
		t[tagNetwork] = c.Network
	}
	return t
}

func (k *cacheKind) null() cty.Value { return cty.NullVal(k.schema.ImpliedType()) }

// Read returns the cache with r.ID. A cache that is being deleted counts
// as gone: nothing can use it any more, and a create of the same name
// waits for it to disappear.
func (k *cacheKind) Read(ctx context.Context, r providers.Ref) (cty.Value, bool, error) {
	if r.ID == "" {
		return k.null(), false, nil
	}
	s, err := k.find(ctx, "read", r.Address, r.ID)
	if err != nil || s == nil || s.deleting() {
		return k.null(), false, err
	}
	return k.value(s), true, nil
}

// Create makes the cache, or adopts the one a crashed create left: the
// name is derived from the address and the force-new attributes, so a
// second create of the same resource finds the first one's cache.
func (k *cacheKind) Create(ctx context.Context, r providers.Ref, desired cty.Value) (cty.Value, error) {
	desired, err := k.checkDesired("create", r, desired)
	if err != nil {
		return k.null(), err
	}
	cfg := cacheConfigOf(desired)
	id, err := k.createID(ctx, r, cfg)
	if err != nil {
		return k.null(), err
	}

	s, err := k.find(ctx, "create", r.Address, id)
	if err != nil {
		return k.null(), err
	}
	if s != nil {
		if err := checkOwner(r, id, s.tags); err != nil {
			return k.null(), r.Errorf("create", "%w", err)
		}
		if s.deleting() {
			// An earlier copy is still going away (a replacement back to
			// the same settings): wait, then create anew.
			if err := k.waitGone(ctx, r, id, false); err != nil {
				return k.null(), r.Errorf("create", "%w", err)
			}
			s = nil
		}
	}
	if s == nil {
		if err := k.create(ctx, r, id, cfg); err != nil {
			return k.null(), err
		}
	}
	s, err = k.waitAvailable(ctx, r, id)
	if err != nil {
		return k.null(), r.Errorf("create", "%w", err)
	}
	// Adopted or fresh, bring it to the desired configuration (a no-op
	// for a fresh cache).
	if s, err = k.converge(ctx, "create", r, s, cfg); err != nil {
		return k.null(), err
	}
	return k.value(s), nil
}

// create makes the subnet group, the parameter group and the cache.
func (k *cacheKind) create(ctx context.Context, r providers.Ref, id string, cfg cacheConfig) error {
	ec := k.p.clients.elasticache
	net, err := k.lookupNetwork(ctx, r, cfg.Network)
	if err != nil {
		return err
	}
	if len(net.PrivateSubnets) == 0 {
		return r.Errorf("create", "the network %s has no private subnets to place the cache in", net.VPCID)
	}
	tags := ecTags(k.cacheTags(r, cfg))
	_, err = ec.CreateCacheSubnetGroup(ctx, &elasticache.CreateCacheSubnetGroupInput{
		CacheSubnetGroupName:        sdk.String(id),
		CacheSubnetGroupDescription: sdk.String("Stagecraft " + r.Address),
		SubnetIds:                   net.PrivateSubnets,
		Tags:                        tags,
	})
	if err != nil && !isCode(err, "CacheSubnetGroupAlreadyExists") {
		return awsError("create", r.Address, "network", err)
	}
	paramGroup, err := k.ensureParameterGroup(ctx, r, id, cfg, tags)
	if err != nil {
		return err
	}
	var groups []string
	if net.DataGroup != "" {
		groups = []string{net.DataGroup}
	}
	if cfg.Engine == "memcached" {
		in := &elasticache.CreateCacheClusterInput{
			CacheClusterId:       sdk.String(id),
			Engine:               sdk.String("memcached"),
			EngineVersion:        sdk.String(memcachedVersion),
			CacheNodeType:        sdk.String(cfg.NodeType),
			NumCacheNodes:        sdk.Int32(int32(cfg.Nodes)),
			CacheSubnetGroupName: sdk.String(id),
			SecurityGroupIds:     groups,
			Tags:                 tags,
		}
		if paramGroup != "" {
			in.CacheParameterGroupName = sdk.String(paramGroup)
		}
		_, err = ec.CreateCacheCluster(ctx, in)
		if err != nil && !isCode(err, "CacheClusterAlreadyExists") {
			return awsError("create", r.Address, "", err)
		}
		return nil
	}
	failover := cfg.Replicas > 0 || cfg.clusterMode()
	in := &elasticache.CreateReplicationGroupInput{
		ReplicationGroupId:          sdk.String(id),
		ReplicationGroupDescription: sdk.String("Stagecraft " + r.Address),
		Engine:                      sdk.String("redis"),
		EngineVersion:               sdk.String(redisVersion),
		CacheNodeType:               sdk.String(cfg.NodeType),
		// ReplicasPerNodeGroup, not NumCacheClusters, in both modes: AWS
		// takes it for one shard as well, and moto only honours it.
		ReplicasPerNodeGroup:     sdk.Int32(int32(cfg.Replicas)),
		AutomaticFailoverEnabled: sdk.Bool(failover),
		MultiAZEnabled:           sdk.Bool(cfg.Replicas > 0),
		CacheSubnetGroupName:     sdk.String(id),
		SecurityGroupIds:         groups,
		Tags:                     tags,
	}
	if cfg.clusterMode() {
		in.NumNodeGroups = sdk.Int32(int32(cfg.Nodes))
		in.ClusterMode = ectypes.ClusterModeEnabled
	}
	if paramGroup != "" {
		in.CacheParameterGroupName = sdk.String(paramGroup)
	}
	_, err = ec.CreateReplicationGroup(ctx, in)
	if err != nil && !isCode(err, "ReplicationGroupAlreadyExists") {
		return awsError("create", r.Address, "", err)
	}
	return nil
}

// cacheParameters are the parameter group family and the parameters that
// carry cfg's eviction policy (and, for redis shards, cluster mode).
func cacheParameters(cfg cacheConfig) (string, []ectypes.ParameterNameValue) {
	param := func(k, v string) ectypes.ParameterNameValue {
		return ectypes.ParameterNameValue{ParameterName: sdk.String(k), ParameterValue: sdk.String(v)}
	}
	if cfg.Engine == "memcached" {
		exhausted := "0"
		if cfg.Eviction == "noeviction" {
			exhausted = "1"
		}
		return memcachedFamily, []ectypes.ParameterNameValue{param("error_on_memory_exhausted", exhausted)}
	}
	ps := []ectypes.ParameterNameValue{param("maxmemory-policy", cfg.Eviction)}
	if cfg.clusterMode() {
		ps = append(ps, param("cluster-enabled", "yes"))
	}
	return redisFamily, ps
}

// ensureParameterGroup creates the cache's parameter group with its
// eviction policy and returns its name, or "" when the endpoint has no
// parameter groups.
func (k *cacheKind) ensureParameterGroup(ctx context.Context, r providers.Ref, id string, cfg cacheConfig, tags []ectypes.Tag) (string, error) {
	ec := k.p.clients.elasticache
	family, params := cacheParameters(cfg)
	_, err := ec.CreateCacheParameterGroup(ctx, &elasticache.CreateCacheParameterGroupInput{
		CacheParameterGroupName:   sdk.String(id),
		CacheParameterGroupFamily: sdk.String(family),
		Description:               sdk.String("Stagecraft " + r.Address),
		Tags:                      tags,
	}, mayBeUnimplemented)
	switch {
	case isEmulatorGap(err):
		providers.Warn(ctx, r.Address, "the ElastiCache endpoint has no parameter groups, so eviction_policy is only recorded as a tag")
		return "", nil
	case err != nil && !isCode(err, "CacheParameterGroupAlreadyExists"):
		return "", awsError("create", r.Address, "eviction_policy", err)
	}
	_, err = ec.ModifyCacheParameterGroup(ctx, &elasticache.ModifyCacheParameterGroupInput{
		CacheParameterGroupName: sdk.String(id),
		ParameterNameValues:     params,
	})
	if err != nil {
		return "", awsError("create", r.Address, "eviction_policy", err)
	}
	return id, nil
}

// Update changes a cache in place: shards, replicas and memcached nodes
// through ElastiCache's resize operations, the eviction policy through
// the cache's parameter group, memory_mb as a tag. It waits for the cache
// to be available again after each change.
func (k *cacheKind) Update(ctx context.Context, r providers.Ref, prior, desired cty.Value) (cty.Value, error) {
	desired, err := k.checkDesired("update", r, desired)
	if err != nil {
		return k.null(), err
	}
	cfg := cacheConfigOf(desired)
	s, err := k.find(ctx, "update", r.Address, r.ID)
	if err != nil {
		return k.null(), err
	}
	if s == nil || s.deleting() {
		return k.null(), r.Errorf("update", "the cache %s no longer exists at AWS; plan again to create it", r.ID)
	}
	if s.status() != "available" {
		if s, err = k.waitAvailable(ctx, r, r.ID); err != nil {
			return k.null(), r.Errorf("update", "%w", err)
		}
	}
	if s, err = k.converge(ctx, "update", r, s, cfg); err != nil {
		return k.null(), err
	}
	return k.value(s), nil
}

// converge brings the available cache s to cfg, one change at a time.
func (k *cacheKind) converge(ctx context.Context, op string, r providers.Ref, s *cacheState, cfg cacheConfig) (*cacheState, error) {
	ec := k.p.clients.elasticache
	cur := s.config()
	id := s.id()
	for _, fn := range []struct {
		attr      string
		have, set string
	}{
		{"engine", cur.Engine, cfg.Engine},
		{"aws.node_type", cur.NodeType, cfg.NodeType},
		{"network", cur.Network, cfg.Network},
	} {
		if fn.have != fn.set {
			return s, r.AttrErrorf(op, fn.attr, "cannot change in place from %q to %q; the cache must be replaced", fn.have, fn.set)
		}
	}
	var err error
	wait := func() error {
		s, err = k.waitAvailable(ctx, r, id)
		return err
	}
	switch cfg.Engine {
	case "redis":
		if cur.Nodes != cfg.Nodes {
			if cur.clusterMode() != cfg.clusterMode() {
				return s, r.AttrErrorf(op, "nodes", "going from %d to %d nodes switches redis cluster mode, which ElastiCache cannot do in place; replace the cache (change aws.node_type or move it to a new address)", cur.Nodes, cfg.Nodes)
			}
			in := &elasticache.ModifyReplicationGroupShardConfigurationInput{
				ReplicationGroupId: sdk.String(id),
				NodeGroupCount:     sdk.Int32(int32(cfg.Nodes)),
				ApplyImmediately:   sdk.Bool(true),
			}
			if cfg.Nodes < cur.Nodes {
				in.NodeGroupsToRemove = s.lastNodeGroups(cur.Nodes - cfg.Nodes)
			}
			if _, err := ec.ModifyReplicationGroupShardConfiguration(ctx, in, mayBeUnimplemented); err != nil {
				return s, unsupported(op, r.Address, "nodes", "ModifyReplicationGroupShardConfiguration", err)
			}
			if err := wait(); err != nil {
				return s, r.AttrErrorf(op, "nodes", "%w", err)
			}
		}
		if cur.Replicas != cfg.Replicas {
			if s, err = k.setReplicas(ctx, op, r, s, cur, cfg); err != nil {
				return s, err
			}
		}
	case "memcached":
		if cur.Nodes != cfg.Nodes {
			in := &elasticache.ModifyCacheClusterInput{
				CacheClusterId:   sdk.String(id),
				NumCacheNodes:    sdk.Int32(int32(cfg.Nodes)),
				ApplyImmediately: sdk.Bool(true),
			}
			if cfg.Nodes < cur.Nodes {
				in.CacheNodeIdsToRemove = s.lastCacheNodes(cur.Nodes - cfg.Nodes)
			}
			if _, err := ec.ModifyCacheCluster(ctx, in, mayBeUnimplemented); err != nil {
				return s, unsupported(op, r.Address, "nodes", "ModifyCacheCluster", err)
			}
			if err := wait(); err != nil {
				return s, r.AttrErrorf(op, "nodes", "%w", err)
			}
		}
	}
	if cur.Eviction != cfg.Eviction {
		_, params := cacheParameters(cfg)
		_, err := ec.ModifyCacheParameterGroup(ctx, &elasticache.ModifyCacheParameterGroupInput{
			CacheParameterGroupName: sdk.String(id),
			ParameterNameValues:     params[:1],
		}, mayBeUnimplemented)
		// No parameter group (the cache was made where there are none):
		// the tag below is the record.
		if err != nil && !isEmulatorGap(err) && !isNotFound(err) {
			return s, awsError(op, r.Address, "eviction_policy", err)
		}
	}
	want := k.cacheTags(r, cfg)
	if !tagsInclude(s.tags, want) {
		_, err := ec.AddTagsToResource(ctx, &elasticache.AddTagsToResourceInput{ResourceName: sdk.String(s.arn()), Tags: ecTags(want)})
		if err != nil {
			return s, awsError(op, r.Address, "tags", err)
		}
		if s.tags, err = k.listTags(ctx, op, r.Address, s.arn()); err != nil {
			return s, err
		}
	}
	return s, nil
}

// setReplicas changes the replicas per shard of a redis cache. Automatic
// failover needs a replica when there is one shard: it is turned on after
// the first replica is added and off before the last one is removed.
func (k *cacheKind) setReplicas(ctx context.Context, op string, r providers.Ref, s *cacheState, cur, cfg cacheConfig) (*cacheState, error) {
	ec := k.p.clients.elasticache
	id := s.id()
	failover := func(on bool) error {
		_, err := ec.ModifyReplicationGroup(ctx, &elasticache.ModifyReplicationGroupInput{
			ReplicationGroupId:       sdk.String(id),
			AutomaticFailoverEnabled: sdk.Bool(on),
			MultiAZEnabled:           sdk.Bool(on),
			ApplyImmediately:         sdk.Bool(true),
		}, mayBeUnimplemented)
		if err != nil {
			return unsupported(op, r.Address, "replicas", "ModifyReplicationGroup", err)
		}
		next, err := k.waitAvailable(ctx, r, id)
		if err != nil {
			return r.AttrErrorf(op, "replicas", "%w", err)
		}
		s = next
		return nil
	}
	if cfg.Replicas < cur.Replicas && cfg.Replicas == 0 && !cfg.clusterMode() {
		if err := failover(false); err != nil {
			return s, err
		}
	}
	var err error
	if cfg.Replicas > cur.Replicas {
		_, err = ec.IncreaseReplicaCount(ctx, &elasticache.IncreaseReplicaCountInput{
			ReplicationGroupId: sdk.String(id), NewReplicaCount: sdk.Int32(int32(cfg.Replicas)), ApplyImmediately: sdk.Bool(true),
		}, mayBeUnimplemented)
		if err != nil {
			return s, unsupported(op, r.Address, "replicas", "IncreaseReplicaCount", err)
		}
	} else {
		_, err = ec.DecreaseReplicaCount(ctx, &elasticache.DecreaseReplicaCountInput{
			ReplicationGroupId: sdk.String(id), NewReplicaCount: sdk.Int32(int32(cfg.Replicas)), ApplyImmediately: sdk.Bool(true),
		}, mayBeUnimplemented)
		if err != nil {
			return s, unsupported(op, r.Address, "replicas", "DecreaseReplicaCount", err)
		}
	}
	if s, err = k.waitAvailable(ctx, r, id); err != nil {
		return s, r.AttrErrorf(op, "replicas", "%w", err)
	}
	if cur.Replicas == 0 && cfg.Replicas > 0 && !cfg.clusterMode() {
		if err := failover(true); err != nil {
			return s, err
		}
	}
	return s, nil
}

// Delete removes the cache, waits until it is gone, then removes its
// subnet and parameter groups once AWS lets go of them. A cache already
// gone is no error: the groups a crashed delete left are removed all the
// same. When ctx allows it (providers.AllowPendingDeletion: nothing later
// in the apply needs the cache gone), Delete does not wait: it returns a
// *providers.PendingDeletion once AWS is deleting the cache, and the
// delete after the next plan, which finds the cache gone, removes the
// groups.
func (k *cacheKind) Delete(ctx context.Context, r providers.Ref, prior cty.Value) error {
	if r.ID == "" {
		return nil
	}
	ec := k.p.clients.elasticache
	id := r.ID
	s, err := k.describe(ctx, "delete", r.Address, id)
	if err != nil {
		return err
	}
	if s != nil && !s.deleting() {
		if st := s.status(); st != "available" && st != "create-failed" && st != "incompatible-network" {
			// AWS refuses to delete a cache in the middle of a change.
			if _, err := k.waitAvailable(ctx, r, id); err != nil {
				return r.Errorf("delete", "%w", err)
			}
		}
		if s.rg != nil {
			_, err = ec.DeleteReplicationGroup(ctx, &elasticache.DeleteReplicationGroupInput{ReplicationGroupId: sdk.String(id), RetainPrimaryCluster: sdk.Bool(false)})
		} else {
			_, err = ec.DeleteCacheCluster(ctx, &elasticache.DeleteCacheClusterInput{CacheClusterId: sdk.String(id)})
		}
		if err != nil && !isNotFound(err) {
			return awsError("delete", r.Address, "", err)
		}
	}
	if s != nil && providers.PendingDeletionAllowed(ctx) {
		if s, err = k.describe(ctx, "delete", r.Address, id); err != nil {
			return err
		}
		if s != nil {
			providers.ReportStatus(ctx, "ElastiCache status: "+s.status())
			return &providers.PendingDeletion{At: "AWS", Status: s.status()}
		}
	}
	if err := k.waitGone(ctx, r, id, true); err != nil {
		return r.Errorf("delete", "%w", err)
	}
	if err := k.deleteGroup(ctx, r, "subnet group", id, "CacheSubnetGroupInUse", func(ctx context.Context) error {
		_, err := ec.DeleteCacheSubnetGroup(ctx, &elasticache.DeleteCacheSubnetGroupInput{CacheSubnetGroupName: sdk.String(id)}, mayBeUnimplemented)
		return err
	}); err != nil {
		return err
	}
	return k.deleteGroup(ctx, r, "parameter group", id, "InvalidCacheParameterGroupState", func(ctx context.Context) error {
		_, err := ec.DeleteCacheParameterGroup(ctx, &elasticache.DeleteCacheParameterGroupInput{CacheParameterGroupName: sdk.String(id)}, mayBeUnimplemented)
		return err
	})
}

// deleteGroup deletes one of the cache's groups, retrying while AWS says
// it is still in use (inUse); gone, or an endpoint that cannot delete
// such groups, counts as done.
func (k *cacheKind) deleteGroup(ctx context.Context, r providers.Ref, what, id, inUse string, del func(ctx context.Context) error) error {
	return k.p.waitFor(ctx, fmt.Sprintf("the %s %s of %s to be released", what, id, r.Address), func(ctx context.Context) (bool, error) {
		err := del(ctx)
		switch {
		case err == nil, isNotFound(err), isEmulatorGap(err):
			return true, nil
		case isCode(err, inUse):
			return false, nil
		}
		return false, awsError("delete", r.Address, what, err)
	})
}

// waitAvailable waits until the cache id is available and returns it.
func (k *cacheKind) waitAvailable(ctx context.Context, r providers.Ref, id string) (*cacheState, error) {
	var out *cacheState
	err := k.p.waitFor(ctx, fmt.Sprintf("%s (%s) to become available", r.Address, id), func(ctx context.Context) (bool, error) {
		s, err := k.find(ctx, "wait for", r.Address, id)
		if err != nil || s == nil {
			return false, err
		}
		providers.ReportStatus(ctx, "ElastiCache status: "+s.status())
		switch st := s.status(); st {
		case "available":
			out = s
			return true, nil
		case "create-failed", "incompatible-network", "deleting", "deleted":
			return false, r.Sentencef("", "%s (%s) is %s at AWS", r.Address, id, st)
		}
		return false, nil
	})
	return out, err
}

// waitGone waits until the cache id no longer exists. When bounded and
// the setting cache_delete_timeout is given, a cache still "deleting"
// when that time is up counts as gone, with a warning: an emulator that
// never finishes a delete does not hold up a destroy.
func (k *cacheKind) waitGone(ctx context.Context, r providers.Ref, id string, bounded bool) error {
	timeout := k.p.settings.CacheDeleteTimeout
	if !bounded || timeout <= 0 {
		timeout = k.p.settings.WaitTimeout
	}
	deleting := false
	err := k.p.waitWithin(ctx, timeout, fmt.Sprintf("%s (%s) to finish deleting", r.Address, id), func(ctx context.Context) (bool, error) {
		s, err := k.describe(ctx, "delete", r.Address, id)
		if err != nil {
			return false, err
		}
		deleting = s != nil && s.deleting()
		if s != nil {
			providers.ReportStatus(ctx, "ElastiCache status: "+s.status())
		}
		return s == nil, nil
	})
	if errors.Is(err, errWaitTimedOut) && deleting && bounded && k.p.settings.CacheDeleteTimeout > 0 {
		providers.Warn(ctx, r.Address, fmt.Sprintf("ElastiCache still lists %s as deleting after %s; counted as gone (cache_delete_timeout)", id, timeout))
		return nil
	}
	return err
}

var _ providers.DeletionWatcher = (*cacheKind)(nil)

// DeletionStatus reports how the deletion of the cache r is going, for
// the plan after an apply that left it pending: gone when ElastiCache no
// longer lists it, otherwise its status ("deleting").
func (k *cacheKind) DeletionStatus(ctx context.Context, r providers.Ref) (string, bool, bool, error) {
	if r.ID == "" {
		return "", false, true, nil
	}
	s, err := k.describe(ctx, "read", r.Address, r.ID)
	if err != nil || s == nil {
		return "", false, s == nil && err == nil, err
	}
	return s.status(), s.deleting(), false, nil
}

// unsupported reports a change the endpoint cannot make: an operation an
// emulator does not implement is named as such, anything else is AWS's
// own error.
func unsupported(op, addr, attr, awsOp string, err error) error {
	if isEmulatorGap(err) {
		return &providers.OperationError{Op: op, Address: addr, Attr: attr, Err: fmt.Errorf("the ElastiCache endpoint does not implement %s, so %s cannot change in place here", awsOp, attr)}
	}
	return awsError(op, addr, attr, err)
}

// checkOwner refuses to adopt a resource named id that carries another
// resource's stagecraft tags.
func checkOwner(r providers.Ref, id string, tags map[string]string) error {
	if ownerTagsMatch(tags, r) {
		return nil
	}
	return fmt.Errorf("%s already exists at AWS but belongs to %s (stack %q, environment %q), not to this resource; remove it or rename the resource",
		id, orNone(tags[providers.TagAddress]), tags[providers.TagStack], tags[providers.TagEnvironment])
}

func orNone(s string) string {
	if s == "" {
		return "nothing Stagecraft manages"
	}
	return s
}

// isCode reports whether err is the AWS error code.
func isCode(err error, code string) bool { return err != nil && errorCode(err) == code }

// tagsInclude reports whether have holds every tag of want.
func tagsInclude(have, want map[string]string) bool {
	for k, v := range want {
		if hv, ok := have[k]; !ok || hv != v {
			return false
		}
	}
	return true
}

// ecTags renders tags for ElastiCache requests, in key order.
func ecTags(m map[string]string) []ectypes.Tag {
	out := make([]ectypes.Tag, 0, len(m))
	for _, k := range sortedTagKeys(m) {
		out = append(out, ectypes.Tag{Key: sdk.String(k), Value: sdk.String(m[k])})
	}
	return out
}
