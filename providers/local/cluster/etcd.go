package cluster

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/stagecraft/stagecraft/providers"
	"github.com/stagecraft/stagecraft/providers/local/supervisor"
)

// etcdCluster runs a coordinator's etcd members, each a process of the
// stagecraft binary (the hidden __etcd-member command) with its own data
// directory. Members join as learners and are promoted once they have
// caught up, and leave through the member API before their process stops,
// so a quorum of voting members serves throughout a resize.
type etcdCluster struct {
	clusterMembers
}

// etcdRequestTimeout bounds one request to a member.
const etcdRequestTimeout = 2 * time.Second

func newEtcdCluster(data *clusterData, logName func(string) string) *etcdCluster {
	return &etcdCluster{clusterMembers: clusterMembers{data: data, logName: logName}}
}

func etcdURL(port int) string { return "http://" + supervisor.HostPort(port) }

// halt stops the members that follow, then the leader. Stopped together,
// a leader would spend seconds handing its leadership to members that are
// stopping too; alone, it finds no one to hand it to and stops at once.
func (c *etcdCluster) halt() {
	ms := c.snapshot()
	leader := ""
	if cli, err := c.client(); err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		leader = c.leaderID(ctx, cli, ms)
		cancel()
		cli.Close()
	}
	var followers, leaders []*clusterMember
	for _, m := range ms {
		if m.ID != "" && m.ID == leader {
			leaders = append(leaders, m)
		} else {
			followers = append(followers, m)
		}
	}
	stopClusterMembers(followers)
	stopClusterMembers(leaders)
}

func (c *etcdCluster) start(ctx context.Context, n int) error {
	rec, ok, err := c.data.load()
	if err != nil {
		return err
	}
	if ok && len(rec.Members) > 0 {
		return c.restore(ctx, rec)
	}
	return c.bootstrap(ctx, n)
}

// initialCluster renders --initial-cluster for members.
func initialCluster(ms []memberRecord) string {
	parts := make([]string, len(ms))
	for i, m := range ms {
		parts[i] = m.Name + "=" + etcdURL(m.PeerPort)
	}
	return strings.Join(parts, ",")
}

// startMember starts one member process.
func (c *etcdCluster) startMember(m *clusterMember, state, initial string) error {
	log := c.logName(m.Name)
	flags := etcdMemberFlags{
		name: m.Name, dataDir: c.data.memberDir(m.Name),
		clientURL: etcdURL(m.ClientPort), peerURL: etcdURL(m.PeerPort),
		initialCluster: initial, state: state, token: c.record().Token, logFile: log,
	}
	cmd, err := selfCommand(EtcdMemberArg, flags.args()...)
	if err != nil {
		return err
	}
	return startClusterMember(m, supervisor.ProcSpec{Path: cmd.Path, Args: cmd.Args[1:], Dir: c.data.dir, Log: log})
}

// bootstrap starts a new cluster of n members.
func (c *etcdCluster) bootstrap(ctx context.Context, n int) error {
	var lastErr error
	for attempt := 0; attempt < clusterPortAttempts; attempt++ {
		ports, err := clusterFreePorts(2*n, nil)
		if err != nil {
			return err
		}
		recs := make([]memberRecord, n)
		for i := range recs {
			recs[i] = memberRecord{Name: "m" + strconv.Itoa(i+1), ClientPort: ports[2*i], PeerPort: ports[2*i+1]}
		}
		c.setRecord(newClusterCredentials(clusterRecord{Engine: engineEtcd, Token: "stagecraft-" + supervisor.RandomID(16)}))
		initial := initialCluster(recs)
		var ms []*clusterMember
		for _, r := range recs {
			m := &clusterMember{memberRecord: r}
			_ = os.RemoveAll(c.data.memberDir(r.Name))
			if err = c.startMember(m, "new", initial); err != nil {
				break
			}
			ms = append(ms, m)
		}
		c.setMembers(ms)
		if err == nil {
			err = c.waitReady(ctx, clusterReadyTimeout)
		}
		if err == nil {
			err = c.enableAuth(ctx)
		}
		if err == nil {
			err = c.learnIDs(ctx)
		}
		if err == nil {
			return c.save()
		}
		stopClusterMembers(ms)
		for _, r := range recs {
			_ = os.RemoveAll(c.data.memberDir(r.Name))
		}
		c.setMembers(nil)
		lastErr = err
		if !errors.Is(err, errClusterPortTaken) || ctx.Err() != nil {
			break
		}
	}
	return fmt.Errorf("start the etcd cluster: %w", lastErr)
}

// learnIDs records the cluster's id and every member's id.
func (c *etcdCluster) learnIDs(ctx context.Context) error {
	cli, err := c.client()
	if err != nil {
		return err
	}
	defer cli.Close()
	lctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	resp, err := cli.MemberList(lctx)
	if err != nil {
		return fmt.Errorf("list the members: %w", err)
	}
	ids := map[string]uint64{}
	for _, pm := range resp.Members {
		ids[pm.Name] = pm.ID
	}
	for _, m := range c.snapshot() {
		id, ok := ids[m.Name]
		if !ok {
			return fmt.Errorf("member %s is not in the cluster's member list", m.Name)
		}
		cp := *m
		cp.ID = strconv.FormatUint(id, 16)
		c.replace(m, &cp)
	}
	rec := c.record()
	rec.ClusterID = strconv.FormatUint(resp.Header.ClusterId, 16)
	c.setRecord(rec)
	return nil
}

// restore restarts the members of a record from their data directories,
// on the same peer ports (the cluster knows its members by them).
func (c *etcdCluster) restore(ctx context.Context, rec clusterRecord) error {
	fail := func(err error) error {
		return fmt.Errorf("restart the etcd cluster from its data in %s: %w; the data is kept: fix the cause and apply again, or delete that directory to start an empty cluster", c.data.dir, err)
	}
	var peers []int
	for _, m := range rec.Members {
		if _, err := os.Stat(c.data.memberDir(m.Name) + "/member"); err != nil {
			return fail(fmt.Errorf("the data of member %s is missing", m.Name))
		}
		peers = append(peers, m.PeerPort)
	}
	if err := waitClusterPortsFree(ctx, peers, 5*time.Second); err != nil {
		return fail(err)
	}
	c.setRecord(rec)
	initial := initialCluster(rec.Members)
	var ms []*clusterMember
	var err error
	for _, r := range rec.Members {
		m := &clusterMember{memberRecord: r}
		if !supervisor.PortFree(m.ClientPort) {
			// Clients find the member at its new port through the
			// exported endpoints.
			ps, perr := clusterFreePorts(1, nil)
			if perr != nil {
				err = perr
				break
			}
			m.ClientPort = ps[0]
		}
		if err = c.startMember(m, "existing", initial); err != nil {
			break
		}
		ms = append(ms, m)
	}
	c.setMembers(ms)
	if err == nil {
		err = c.waitReady(ctx, clusterReadyTimeout)
	}
	if err == nil {
		var h etcdHealth
		h, err = c.checkMember(ctx, ms[0])
		if err == nil && strconv.FormatUint(h.clusterID, 16) != rec.ClusterID {
			err = fmt.Errorf("the members formed cluster %x, not the recorded %s", h.clusterID, rec.ClusterID)
		}
	}
	if err == nil && rec.Secret == "" {
		// Data from before clusters required credentials: they are
		// required from now on.
		c.setRecord(newClusterCredentials(rec))
		err = c.enableAuth(ctx)
	}
	if err != nil {
		stopClusterMembers(ms)
		c.setMembers(nil)
		return fail(err)
	}
	return c.save()
}

// heal restarts members whose process ended (killed, crashed) from their
// data, then waits for the cluster to be healthy.
func (c *etcdCluster) heal(ctx context.Context) error {
	restarted := false
	var initial []memberRecord
	for _, m := range c.snapshot() {
		initial = append(initial, m.memberRecord)
	}
	for _, m := range c.snapshot() {
		if m.running() {
			continue
		}
		n := &clusterMember{memberRecord: m.memberRecord}
		if err := waitClusterPortsFree(ctx, []int{n.PeerPort}, 5*time.Second); err != nil {
			return fmt.Errorf("restart etcd member %s: %w", n.Name, err)
		}
		if !supervisor.PortFree(n.ClientPort) {
			ps, err := clusterFreePorts(1, nil)
			if err != nil {
				return err
			}
			n.ClientPort = ps[0]
		}
		if err := c.startMember(n, "existing", initialCluster(initial)); err != nil {
			return err
		}
		c.replace(m, n)
		restarted = true
	}
	if !restarted {
		return nil
	}
	if err := c.save(); err != nil {
		return err
	}
	return c.waitReady(ctx, clusterMemberJoinTimeout)
}

func (c *etcdCluster) resize(ctx context.Context, n int) error {
	for c.size() < n {
		if err := c.addOne(ctx); err != nil {
			return err
		}
	}
	for c.size() > n {
		if err := c.removeOne(ctx); err != nil {
			return err
		}
	}
	return nil
}

// client is a client of every running member.
func (c *etcdCluster) client() (*clientv3.Client, error) {
	var eps []string
	for _, m := range c.snapshot() {
		if m.running() {
			eps = append(eps, supervisor.HostPort(m.ClientPort))
		}
	}
	if len(eps) == 0 {
		return nil, errors.New("no etcd member runs")
	}
	return c.rootClient(eps)
}

// rootClient is a client of endpoints as the root user, the supervisor's
// own: member changes and health checks need it once authentication is
// on.
func (c *etcdCluster) rootClient(endpoints []string) (*clientv3.Client, error) {
	user, password := "", ""
	if rec := c.record(); rec.Secret != "" {
		user, password = etcdRootUser, rec.Secret
	}
	return newEtcdClient(endpoints, user, password)
}

// enableAuth turns authentication on with the record's credentials.
func (c *etcdCluster) enableAuth(ctx context.Context) error {
	cli, err := c.client()
	if err != nil {
		return err
	}
	defer cli.Close()
	if err := enableEtcdAuth(ctx, cli, c.record()); err != nil {
		return fmt.Errorf("require credentials of etcd clients: %w", err)
	}
	return nil
}

// newEtcdClient is a client of endpoints that authenticates as user (none
// when empty).
func newEtcdClient(endpoints []string, user, password string) (*clientv3.Client, error) {
	return clientv3.New(clientv3.Config{
		Endpoints:   endpoints,
		Username:    user,
		Password:    password,
		DialTimeout: etcdRequestTimeout,
		// The client's own warnings would fill the supervisor's log
		// with retries that this code reports itself.
		Logger: zap.NewNop(),
	})
}

// addOne adds one member: as a learner first, promoted once it has caught
// up with the leader, so it never counts towards the quorum before it can
// vote. A member that does not join is removed again.
func (c *etcdCluster) addOne(ctx context.Context) error {
	var err error
	for attempt := 0; attempt < clusterPortAttempts; attempt++ {
		if err = c.tryAdd(ctx); err == nil || !errors.Is(err, errClusterPortTaken) || ctx.Err() != nil {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("add an etcd member (the cluster keeps its %d members): %w", c.size(), err)
	}
	return nil
}

func (c *etcdCluster) tryAdd(ctx context.Context) error {
	cli, err := c.client()
	if err != nil {
		return err
	}
	defer cli.Close()
	if err := c.dropStrays(ctx, cli); err != nil {
		return err
	}
	used := map[string]bool{}
	for _, m := range c.snapshot() {
		used[m.Name] = true
	}
	name := ""
	for i := 1; name == ""; i++ {
		if n := "m" + strconv.Itoa(i); !used[n] {
			name = n
		}
	}
	ps, err := clusterFreePorts(2, c.usedPorts())
	if err != nil {
		return err
	}
	m := &clusterMember{memberRecord: memberRecord{Name: name, ClientPort: ps[0], PeerPort: ps[1]}}

	// etcd refuses membership changes until the leader has been in touch
	// with a quorum for five seconds (a member that joined a moment ago
	// does not count yet): such refusals are waited out.
	var resp *clientv3.MemberAddResponse
	deadline := time.Now().Add(clusterMemberJoinTimeout)
	for {
		actx, cancel := context.WithTimeout(ctx, 10*time.Second)
		resp, err = cli.MemberAddAsLearner(actx, []string{etcdURL(m.PeerPort)})
		cancel()
		if err == nil {
			break
		}
		if ctx.Err() != nil || time.Now().After(deadline) {
			return fmt.Errorf("add member %s as a learner: %w", name, err)
		}
		_ = clusterSleep(ctx, 250*time.Millisecond)
	}
	id := resp.Member.ID
	m.ID = strconv.FormatUint(id, 16)
	var initial []string
	for _, pm := range resp.Members {
		n := pm.Name
		if pm.ID == id {
			n = name
		}
		for _, u := range pm.PeerURLs {
			initial = append(initial, n+"="+u)
		}
	}
	undo := func() {
		rctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, _ = cli.MemberRemove(rctx, id)
		if m.proc != nil {
			m.proc.Stop(clusterMemberStopGrace)
		}
		_ = os.RemoveAll(c.data.memberDir(name))
	}
	// A new member checks its --initial-cluster against the member list
	// of the first peer that answers, which must already list it.
	if err := c.waitListed(ctx, id); err != nil {
		undo()
		return err
	}
	_ = os.RemoveAll(c.data.memberDir(name))
	if err := c.startMember(m, "existing", strings.Join(initial, ",")); err != nil {
		undo()
		return err
	}
	deadline = time.Now().Add(clusterMemberJoinTimeout)
	for {
		if !m.running() {
			undo()
			return m.startError("etcd member " + name)
		}
		pctx, cancel := context.WithTimeout(ctx, etcdRequestTimeout)
		_, perr := cli.MemberPromote(pctx, id)
		cancel()
		if perr == nil {
			break
		}
		if ctx.Err() != nil || time.Now().After(deadline) {
			undo()
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("etcd member %s did not catch up with the leader within %s (%v); the last lines of %s:\n%s",
				name, clusterMemberJoinTimeout, perr, m.proc.Log, m.logTail(15))
		}
		_ = clusterSleep(ctx, 200*time.Millisecond)
	}
	// Promoted: it votes now, so it is a member whatever happens next.
	c.add(m)
	if err := c.save(); err != nil {
		return err
	}
	return c.waitReady(ctx, clusterMemberJoinTimeout)
}

// waitListed waits until every running member lists the member id (has
// applied the change that added it).
func (c *etcdCluster) waitListed(ctx context.Context, id uint64) error {
	deadline := time.Now().Add(10 * time.Second)
	for _, m := range c.snapshot() {
		if !m.running() {
			continue
		}
		cli, err := c.rootClient([]string{supervisor.HostPort(m.ClientPort)})
		if err != nil {
			return err
		}
		for listed := false; !listed; {
			lctx, cancel := context.WithTimeout(ctx, etcdRequestTimeout)
			resp, err := cli.MemberList(lctx, clientv3.WithSerializable())
			cancel()
			if err == nil {
				for _, pm := range resp.Members {
					listed = listed || pm.ID == id
				}
			}
			if listed {
				break
			}
			if ctx.Err() != nil || time.Now().After(deadline) {
				cli.Close()
				return fmt.Errorf("member %s does not list the new member %x (%v)", m.Name, id, err)
			}
			_ = clusterSleep(ctx, 50*time.Millisecond)
		}
		cli.Close()
	}
	return nil
}

// dropStrays removes members the cluster has and the record does not: a
// learner left by an add that was cut short (a supervisor killed between
// adding and recording it).
func (c *etcdCluster) dropStrays(ctx context.Context, cli *clientv3.Client) error {
	lctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	resp, err := cli.MemberList(lctx)
	if err != nil {
		return fmt.Errorf("list the members: %w", err)
	}
	ids, names := map[string]bool{}, map[string]bool{}
	for _, m := range c.snapshot() {
		ids[m.ID], names[m.Name] = true, true
	}
	for _, pm := range resp.Members {
		if ids[strconv.FormatUint(pm.ID, 16)] || (pm.Name != "" && names[pm.Name]) {
			continue
		}
		if _, err := cli.MemberRemove(lctx, pm.ID); err != nil {
			return fmt.Errorf("remove member %x, which an earlier change left behind: %w", pm.ID, err)
		}
	}
	return nil
}

// removeOne removes one member: one whose process has ended if there is
// one, else the newest that does not lead (removing the leader forces an
// election, during which writes wait). The member leaves the cluster
// before its process stops, so the quorum shrinks first.
func (c *etcdCluster) removeOne(ctx context.Context) error {
	cli, err := c.client()
	if err != nil {
		return err
	}
	defer cli.Close()
	ms := c.snapshot()
	leader := c.leaderID(ctx, cli, ms)
	var victim *clusterMember
	for i := len(ms) - 1; i >= 0 && victim == nil; i-- {
		if !ms[i].running() && ms[i].ID != leader {
			victim = ms[i]
		}
	}
	for i := len(ms) - 1; i >= 0 && victim == nil; i-- {
		if ms[i].ID != leader {
			victim = ms[i]
		}
	}
	if victim == nil {
		victim = ms[len(ms)-1]
	}
	id, err := strconv.ParseUint(victim.ID, 16, 64)
	if err != nil {
		return fmt.Errorf("remove etcd member %s: its id %q is not recorded", victim.Name, victim.ID)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		_, err = cli.MemberRemove(rctx, id)
		cancel()
		if err == nil || strings.Contains(err.Error(), "member not found") {
			break
		}
		if ctx.Err() != nil || time.Now().After(deadline) {
			return fmt.Errorf("remove etcd member %s: %w", victim.Name, err)
		}
		_ = clusterSleep(ctx, 200*time.Millisecond)
	}
	c.drop(victim)
	if err := c.save(); err != nil {
		return err
	}
	if victim.proc != nil {
		victim.proc.Stop(clusterMemberStopGrace)
	}
	_ = os.RemoveAll(c.data.memberDir(victim.Name))
	return c.waitReady(ctx, clusterMemberJoinTimeout)
}

// leaderID is the leader's member id (hex), or "" when no member says.
func (c *etcdCluster) leaderID(ctx context.Context, cli *clientv3.Client, ms []*clusterMember) string {
	for _, m := range ms {
		if !m.running() {
			continue
		}
		sctx, cancel := context.WithTimeout(ctx, etcdRequestTimeout)
		st, err := cli.Status(sctx, supervisor.HostPort(m.ClientPort))
		cancel()
		if err == nil && st.Leader != 0 {
			return strconv.FormatUint(st.Leader, 16)
		}
	}
	return ""
}

// etcdHealth is what one member says of itself.
type etcdHealth struct {
	clusterID uint64
	leader    bool
}

// checkMember is etcd's endpoint health for one member: its status (no
// alarms, a leader known) and a linearizable read, which only succeeds
// when the member is part of a quorum.
func (c *etcdCluster) checkMember(ctx context.Context, m *clusterMember) (etcdHealth, error) {
	if !m.running() {
		if m.proc == nil {
			return etcdHealth{}, errors.New("its process is not started")
		}
		_, err := m.proc.Exited()
		return etcdHealth{}, fmt.Errorf("its process %s", supervisor.ExitDescription(err))
	}
	ep := supervisor.HostPort(m.ClientPort)
	cli, err := c.rootClient([]string{ep})
	if err != nil {
		return etcdHealth{}, err
	}
	defer cli.Close()
	rctx, cancel := context.WithTimeout(ctx, etcdRequestTimeout)
	defer cancel()
	st, err := cli.Status(rctx, ep)
	if err != nil {
		return etcdHealth{}, err
	}
	if len(st.Errors) > 0 {
		return etcdHealth{}, errors.New(strings.Join(st.Errors, "; "))
	}
	if st.Leader == 0 {
		return etcdHealth{}, errors.New("it knows no leader")
	}
	if st.IsLearner {
		return etcdHealth{}, errors.New("it is a learner that has not been promoted")
	}
	if _, err := cli.Get(rctx, "health"); err != nil {
		return etcdHealth{}, err
	}
	return etcdHealth{clusterID: st.Header.ClusterId, leader: st.Leader == st.Header.MemberId}, nil
}

// waitReady waits until every member passes checkMember, and fails at
// once when a member's process ends.
func (c *etcdCluster) waitReady(ctx context.Context, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		if err := c.exitCheck("etcd"); err != nil {
			return err
		}
		ms := c.snapshot()
		var problem error
		for _, m := range ms {
			if _, err := c.checkMember(ctx, m); err != nil {
				problem = fmt.Errorf("member %s (%s): %w", m.Name, supervisor.HostPort(m.ClientPort), err)
				break
			}
		}
		if problem == nil {
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("wait for the etcd cluster: %w (last: %v)", ctx.Err(), problem)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the etcd cluster was not healthy within %s: %v", timeout, problem)
		}
		_ = clusterSleep(ctx, 200*time.Millisecond)
	}
}

// observe checks every member. The cluster is healthy while a quorum of
// members is; the detail says whether all are.
func (c *etcdCluster) observe(ctx context.Context) providers.Observation {
	return observeMembers(ctx, "etcd", c.snapshot(), func(ctx context.Context, m *clusterMember) error {
		_, err := c.checkMember(ctx, m)
		return err
	})
}

// observeMembers checks members in parallel and sums up: healthy while a
// quorum is, "fully healthy" when all are.
func observeMembers(ctx context.Context, engine string, ms []*clusterMember, check func(context.Context, *clusterMember) error) providers.Observation {
	errs := make([]error, len(ms))
	var wg sync.WaitGroup
	for i, m := range ms {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = check(ctx, m)
		}()
	}
	wg.Wait()
	obs := providers.Observation{}
	healthy := 0
	var problems []string
	for i, m := range ms {
		ok := errs[i] == nil
		if ok {
			healthy++
		} else {
			problems = append(problems, fmt.Sprintf("%s (%s): %v", m.Name, supervisor.HostPort(m.ClientPort), errs[i]))
		}
		obs.Targets = append(obs.Targets, providers.TargetObservation{ID: m.Name + "@" + supervisor.HostPort(m.ClientPort), Healthy: ok})
	}
	n := len(ms)
	obs.Healthy = n > 0 && healthy >= clusterQuorum(n)
	switch {
	case n == 0:
		obs.Detail = "the cluster has no members"
	case healthy == n:
		obs.Detail = fmt.Sprintf("fully healthy: all %d %s members answer", n, engine)
	case obs.Healthy:
		obs.Detail = fmt.Sprintf("healthy with a quorum: %d of %d %s members answer (a quorum is %d); not answering: %s; the next apply restarts members that stopped",
			healthy, n, engine, clusterQuorum(n), strings.Join(problems, "; "))
	default:
		obs.Detail = fmt.Sprintf("no quorum: %d of %d %s members answer, %d are needed; not answering: %s",
			healthy, n, engine, clusterQuorum(n), strings.Join(problems, "; "))
	}
	return obs
}
