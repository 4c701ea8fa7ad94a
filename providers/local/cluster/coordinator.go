// Package cluster is the coordinator unit of the local provider: an etcd
// cluster (each member the stagecraft binary running etcd's own server in
// its own process) or a ZooKeeper ensemble, grown and shrunk one member at
// a time without losing quorum, with its data kept across supervisor
// restarts.
package cluster

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/stagecraft/stagecraft/providers"
	"github.com/stagecraft/stagecraft/providers/kinds"
	"github.com/stagecraft/stagecraft/providers/local/supervisor"
)

// coordinator is a coordination cluster: etcd members or ZooKeeper
// servers, one process each, with their data under
// .stagecraft/local/ENV/data/ADDRESS/. Member count changes go one member
// at a time and keep a quorum serving throughout.
//
// Data survives the supervisor: halt stops the processes and keeps the
// data directory, and the next create at the same address restarts the
// members from it (same peer ports, same cluster), then resizes to the
// member count asked for. A restart that fails is an error that keeps the
// data, never a silent fresh start.
type coordinator struct {
	env     *supervisor.Env
	id      string
	address string

	// mu guards the fields below: observe runs alongside apply.
	mu sync.Mutex
	// cfg is the last configuration applied, nil before the first.
	cfg    cty.Value
	engine string
	// cluster runs the members; nil before the first apply.
	cluster coordinatorCluster
	data    *clusterData
	// ownsData says whether stop may remove the data directory. It is
	// false while the unit runs on data an earlier supervisor left and
	// has not applied successfully yet: a failed restart leaves that
	// data for the next attempt instead of deleting it.
	ownsData bool
}

// coordinatorCluster is one engine's way of running the members of a
// coordinator. The coordinator serialises calls, except observe, which
// runs alongside the others.
type coordinatorCluster interface {
	// start brings the cluster up: from its record when the data
	// directory has one (a restart), else with n new members.
	start(ctx context.Context, n int) error
	// heal restarts members whose process has ended, from their data.
	heal(ctx context.Context) error
	// resize adds or removes one member at a time until there are n,
	// waiting for the cluster to be healthy after each change.
	resize(ctx context.Context, n int) error
	// size is the number of members, endpoints their client addresses
	// (host:port) in member order.
	size() int
	endpoints() []string
	// credentials are the user and password applications authenticate
	// with; an empty password when the cluster requires none.
	credentials() (user, password string)
	// observe checks every member.
	observe(ctx context.Context) providers.Observation
	// halt stops every member process and keeps the data.
	halt()
	// pids lists the member processes that run, for tests.
	pids() []int
}

// Engines of a coordinator.
const (
	engineEtcd      = "etcd"
	engineZooKeeper = "zookeeper"
)

// Timeouts of cluster operations. Generous, because a loaded machine (or
// the race detector) slows members down; a healthy cluster is ready in a
// few seconds.
const (
	// clusterReadyTimeout bounds a start or restart of the whole cluster.
	clusterReadyTimeout = 90 * time.Second
	// clusterMemberJoinTimeout bounds one member joining (catching up included).
	clusterMemberJoinTimeout = 60 * time.Second
	// clusterMemberStopGrace is how long a member has to stop before SIGKILL.
	clusterMemberStopGrace = 10 * time.Second
	// clusterPortAttempts is how often a start is retried when a port chosen
	// free was taken before the member bound it.
	clusterPortAttempts = 3
)

func New(env *supervisor.Env, id, address string) supervisor.Unit {
	return &coordinator{env: env, id: id, address: address, cfg: cty.NilVal}
}

// coordinatorSettings reads and checks engine and members. The stack
// language checks them too; the supervisor does again because its API
// takes any value.
func coordinatorSettings(cfg cty.Value) (engine string, members int, err error) {
	if cfg == cty.NilVal || cfg.IsNull() || !cfg.IsWhollyKnown() {
		return "", 0, fmt.Errorf("the configuration is null or not yet known")
	}
	schema, _ := kinds.Schema(kinds.Coordinator)
	for _, name := range []string{"engine", "members"} {
		attr, _ := schema.Block.Attribute(name)
		v := cfg.GetAttr(name)
		if v.IsNull() {
			return "", 0, fmt.Errorf("%s is not set", name)
		}
		for _, r := range attr.Rules {
			if msg := r.Check(v); msg != "" {
				return "", 0, fmt.Errorf("invalid %s: %s", name, msg)
			}
		}
	}
	// The rule above has checked that members is a small whole number.
	n, _ := cfg.GetAttr("members").AsBigFloat().Int64()
	return cfg.GetAttr("engine").AsString(), int(n), nil
}

func (c *coordinator) Apply(ctx context.Context, cfg cty.Value) (cty.Value, error) {
	engine, members, err := coordinatorSettings(cfg)
	if err != nil {
		return cty.NilVal, err
	}
	c.mu.Lock()
	cl := c.cluster
	if cl != nil && engine != c.engine {
		c.mu.Unlock()
		return cty.NilVal, fmt.Errorf("the engine cannot change from %s to %s in place; the coordinator must be replaced", c.engine, engine)
	}
	c.mu.Unlock()

	if cl == nil {
		cl, err = c.open(engine)
		if err != nil {
			return cty.NilVal, err
		}
		if err := cl.start(ctx, members); err != nil {
			return cty.NilVal, err
		}
	} else if err := cl.heal(ctx); err != nil {
		if members >= cl.size() {
			return cty.NilVal, err
		}
		// Shrinking removes members that do not run first, which may
		// be the one that cannot restart; the heal after the resize
		// says whether it was.
	}
	if err := cl.resize(ctx, members); err != nil {
		return cty.NilVal, err
	}
	if err := cl.heal(ctx); err != nil {
		return cty.NilVal, err
	}
	c.mu.Lock()
	c.cfg = cfg
	c.ownsData = true
	c.mu.Unlock()
	return c.Current(), nil
}

// open finds the data directory (an earlier incarnation's to restart from,
// or a new one) and builds the engine's cluster on it.
func (c *coordinator) open(engine string) (coordinatorCluster, error) {
	var install zkInstall
	if engine == engineZooKeeper {
		// Checked first: a missing package should not leave a data
		// directory behind.
		var err error
		if install, err = findZooKeeper(defaultZooKeeper()); err != nil {
			return nil, err
		}
	}
	data, err := openClusterData(c.env.DataDir(c.address), engine, c.id)
	if err != nil {
		return nil, err
	}
	logName := func(member string) string {
		return c.env.LogPath(c.address, filepath.Base(data.dir)+"-"+member)
	}
	var cl coordinatorCluster
	switch engine {
	case engineEtcd:
		cl = newEtcdCluster(data, logName)
	case engineZooKeeper:
		cl = newZooKeeperEnsemble(c.address, data, logName, install)
	default:
		panic("unchecked engine " + engine)
	}
	c.mu.Lock()
	c.engine, c.cluster, c.data = engine, cl, data
	c.ownsData = !data.restored
	c.mu.Unlock()
	return cl, nil
}

// Current is the last configuration with the cluster's real member count
// and endpoints: after a resize cut short, a plan shows the difference and
// the next apply finishes it.
func (c *coordinator) Current() cty.Value {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cfg == cty.NilVal || c.cluster == nil {
		return cty.NilVal
	}
	m := c.cfg.AsValueMap()
	m["id"] = cty.StringVal(c.id)
	m["members"] = cty.NumberIntVal(int64(c.cluster.size()))
	m["username"], m["password"] = cty.NullVal(cty.String), cty.NullVal(cty.String)
	if user, password := c.cluster.credentials(); password != "" {
		m["username"], m["password"] = cty.StringVal(user), cty.StringVal(password)
	}
	eps := c.cluster.endpoints()
	if len(eps) == 0 {
		m["endpoints"] = cty.ListValEmpty(cty.String)
	} else {
		vals := make([]cty.Value, len(eps))
		for i, e := range eps {
			vals[i] = cty.StringVal(e)
		}
		m["endpoints"] = cty.ListVal(vals)
	}
	return cty.ObjectVal(m)
}

func (c *coordinator) Observe(ctx context.Context) providers.Observation {
	c.mu.Lock()
	cl := c.cluster
	c.mu.Unlock()
	if cl == nil {
		return providers.Observation{Healthy: false, Detail: "the cluster has not started"}
	}
	return cl.observe(ctx)
}

// Stop ends the cluster for good: its processes, then its data, unless
// the data is an earlier incarnation's that this unit failed to restart.
func (c *coordinator) Stop(context.Context) error {
	c.mu.Lock()
	cl, data, owns := c.cluster, c.data, c.ownsData
	c.mu.Unlock()
	if cl != nil {
		cl.halt()
	}
	if data == nil {
		return nil
	}
	if !owns {
		data.release()
		return nil
	}
	if err := data.remove(); err != nil {
		return fmt.Errorf("remove the data of %s: %w", c.address, err)
	}
	return nil
}

// Halt stops the processes and keeps the data for the next supervisor.
func (c *coordinator) Halt(context.Context) error {
	c.mu.Lock()
	cl, data := c.cluster, c.data
	c.mu.Unlock()
	if cl != nil {
		cl.halt()
	}
	if data != nil {
		data.release()
	}
	return nil
}

// pids lists the member processes, for tests.
func (c *coordinator) pids() []int {
	c.mu.Lock()
	cl := c.cluster
	c.mu.Unlock()
	if cl == nil {
		return nil
	}
	return cl.pids()
}
