package cluster

import (
	"context"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/stagecraft/stagecraft/providers"
	"github.com/stagecraft/stagecraft/providers/local/supervisor"
)

// zookeeperEnsemble runs a coordinator's ZooKeeper servers from Debian's
// zookeeper package, one java process each with its own data directory
// and configuration.
//
// The member count changes through ZooKeeper's dynamic reconfiguration
// (reconfigEnabled), one server at a time: a new server starts with the
// current server list plus itself, syncs with the leader as a non-voting
// follower and is then added with an incremental reconfig; a leaving
// server (never the leader, unless it is the only one) is removed by
// reconfig before its process stops. A reconfig commits with a quorum of
// both the old and the new list, so a quorum serves throughout, and no
// server restarts, so the ensemble keeps its leader. The super user
// (digest authentication, its password in the cluster record) makes the
// reconfig calls. Clients must authenticate (see zkAuthArgs) and the root
// znode belongs to the application user; applications' own ACLs are left
// alone. For the same reason a
// single server runs as a one-member ensemble (standaloneEnabled=false)
// rather than in standalone mode, which cannot be reconfigured.
type zookeeperEnsemble struct {
	address string
	install zkInstall
	clusterMembers
}

// zkInstall is where ZooKeeper and Java are on this machine.
type zkInstall struct {
	// jar is ZooKeeper's jar, confDir its configuration directory
	// (log4j.properties), java the java command.
	jar, confDir, java string
	// logJars give ZooKeeper a logging backend: the package's jar names
	// the slf4j API but no binding, without which a server logs nothing.
	// Those that exist join the classpath.
	logJars []string
	// classpath is what the servers run with.
	classpath string
}

// defaultZooKeeper is where Debian's zookeeper package installs it.
func defaultZooKeeper() zkInstall {
	return zkInstall{
		jar: "/usr/share/java/zookeeper.jar", confDir: "/etc/zookeeper/conf", java: "java",
		logJars: []string{"/usr/share/java/slf4j-log4j12.jar", "/usr/share/java/log4j-1.2.jar"},
	}
}

// CheckZooKeeper says why ZooKeeper cannot run on this machine, or is nil
// when it can.
func CheckZooKeeper() error {
	_, err := findZooKeeper(defaultZooKeeper())
	return err
}

// findZooKeeper checks that ZooKeeper and Java are installed.
func findZooKeeper(in zkInstall) (zkInstall, error) {
	if _, err := os.Stat(in.jar); err != nil {
		return in, errors.New("ZooKeeper is not installed; install the Debian package zookeeper (apt-get install zookeeper), which needs Java")
	}
	java, err := exec.LookPath(in.java)
	if err != nil {
		return in, fmt.Errorf("ZooKeeper is installed (%s) but Java is not (%q is not on PATH); install the Debian package default-jre-headless (apt-get install default-jre-headless)", in.jar, in.java)
	}
	in.java = java
	cp := []string{in.confDir, in.jar}
	for _, j := range in.logJars {
		if _, err := os.Stat(j); err == nil {
			cp = append(cp, j)
		}
	}
	in.classpath = strings.Join(cp, string(os.PathListSeparator))
	return in, nil
}

// ZooKeeper settings for loopback: a short tick makes elections and
// failure detection fast; the limits (in ticks) leave room for a loaded
// machine; sessions may still last up to a minute.
const (
	zkTickMs    = 200
	zkInitLimit = 50 // 10 s to connect to and sync with the leader
	zkSyncLimit = 25 // 5 s behind the leader at most
	zkMaxHeap   = "256m"
)

func newZooKeeperEnsemble(address string, data *clusterData, logName func(string) string, install zkInstall) *zookeeperEnsemble {
	return &zookeeperEnsemble{address: address, install: install, clusterMembers: clusterMembers{data: data, logName: logName}}
}

// dir is a server's directory: its data, myid and configuration.
func (c *zookeeperEnsemble) dir(m memberRecord) string { return c.data.memberDir("server" + m.Name) }

func (c *zookeeperEnsemble) configPath(m memberRecord) string {
	return filepath.Join(c.dir(m), "zoo.cfg")
}

// serverLine is a server's entry in the ensemble's server list.
func serverLine(m memberRecord) string {
	return fmt.Sprintf("server.%s=127.0.0.1:%d:%d:participant;127.0.0.1:%d", m.Name, m.PeerPort, m.ElectionPort, m.ClientPort)
}

// writeConfig writes a new server's myid and zoo.cfg with the server list
// servers. ZooKeeper moves the list into a dynamic file of its own on
// start and rewrites it on every reconfig; restarts read that file.
func (c *zookeeperEnsemble) writeConfig(m memberRecord, servers []memberRecord) error {
	dir := c.dir(m)
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "myid"), []byte(m.Name+"\n"), 0o600); err != nil {
		return err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# Written by stagecraft for %s; ZooKeeper rewrites it.\n", c.address)
	fmt.Fprintf(&b, "tickTime=%d\ninitLimit=%d\nsyncLimit=%d\nmaxSessionTimeout=60000\n", zkTickMs, zkInitLimit, zkSyncLimit)
	fmt.Fprintf(&b, "dataDir=%s\n", dir)
	fmt.Fprintf(&b, "clientPort=%d\nclientPortAddress=127.0.0.1\n", m.ClientPort)
	b.WriteString("admin.enableServer=false\n4lw.commands.whitelist=ruok,srvr,mntr\n")
	b.WriteString("reconfigEnabled=true\nstandaloneEnabled=false\n")
	b.WriteString("autopurge.snapRetainCount=3\nautopurge.purgeInterval=1\n")
	for _, s := range servers {
		b.WriteString(serverLine(s) + "\n")
	}
	return os.WriteFile(c.configPath(m), []byte(b.String()), 0o600)
}

// superDigest is the super user's digest for the server's command line.
func superDigest(secret string) string {
	sum := sha1.Sum([]byte("super:" + secret))
	return "super:" + base64.StdEncoding.EncodeToString(sum[:])
}

// zkAuthArgs make a server refuse clients that have not authenticated:
// ZooKeeper (3.7 and later) closes the session of a client whose first
// request comes before a digest authentication. Digest authentication
// itself accepts any user and password (it only names the client), so
// what keeps others out of the data is the root znode's ACL, which only
// the application user may use (see secureRoot). The super user's digest
// (a SHA-1 of its random 128-bit password, which cannot be turned back into
// it) is on the command line, where ZooKeeper reads it; the password is not.
func zkAuthArgs(secret string) []string {
	return []string{
		"-Dzookeeper.DigestAuthenticationProvider.superDigest=" + superDigest(secret),
		"-Dzookeeper.enforce.auth.enabled=true",
		"-Dzookeeper.enforce.auth.schemes=digest",
	}
}

// startMember starts one server on its configuration.
func (c *zookeeperEnsemble) startMember(m *clusterMember) error {
	args := append([]string{
		"-Xmx" + zkMaxHeap, "-XX:+UseSerialGC", "-Djava.net.preferIPv4Stack=true",
		"-Dzookeeper.root.logger=WARN,CONSOLE"}, zkAuthArgs(c.record().Secret)...)
	args = append(args,
		"-cp", c.install.classpath,
		"org.apache.zookeeper.server.quorum.QuorumPeerMain", c.configPath(m.memberRecord),
	)
	return startClusterMember(m, supervisor.ProcSpec{Path: c.install.java, Args: args, Dir: c.dir(m.memberRecord), Log: c.logName("server" + m.Name)})
}

func (c *zookeeperEnsemble) start(ctx context.Context, n int) error {
	rec, ok, err := c.data.load()
	if err != nil {
		return err
	}
	if ok && len(rec.Members) > 0 {
		return c.restore(ctx, rec)
	}
	return c.bootstrap(ctx, n)
}

// bootstrap starts a new ensemble of n servers.
func (c *zookeeperEnsemble) bootstrap(ctx context.Context, n int) error {
	var lastErr error
	for attempt := 0; attempt < clusterPortAttempts; attempt++ {
		ports, err := clusterFreePorts(3*n, nil)
		if err != nil {
			return err
		}
		recs := make([]memberRecord, n)
		for i := range recs {
			recs[i] = memberRecord{Name: strconv.Itoa(i + 1), ClientPort: ports[3*i], PeerPort: ports[3*i+1], ElectionPort: ports[3*i+2]}
		}
		c.setRecord(newClusterCredentials(clusterRecord{Engine: engineZooKeeper}))
		var ms []*clusterMember
		for _, r := range recs {
			m := &clusterMember{memberRecord: r}
			if err = c.writeConfig(r, recs); err != nil {
				break
			}
			if err = c.startMember(m); err != nil {
				break
			}
			ms = append(ms, m)
		}
		c.setMembers(ms)
		if err == nil {
			err = c.waitReady(ctx, clusterReadyTimeout)
		}
		if err == nil {
			err = c.secureRoot(ctx)
		}
		if err == nil {
			return c.save()
		}
		stopClusterMembers(ms)
		for _, r := range recs {
			_ = os.RemoveAll(c.dir(r))
		}
		c.setMembers(nil)
		lastErr = err
		if !errors.Is(err, errClusterPortTaken) || ctx.Err() != nil {
			break
		}
	}
	return fmt.Errorf("start the ZooKeeper ensemble: %w", lastErr)
}

// restore restarts the servers of a record from their directories. Their
// ports are in ZooKeeper's own configuration, so they must all be free.
func (c *zookeeperEnsemble) restore(ctx context.Context, rec clusterRecord) error {
	fail := func(err error) error {
		return fmt.Errorf("restart the ZooKeeper ensemble from its data in %s: %w; the data is kept: fix the cause and apply again, or delete that directory to start an empty ensemble", c.data.dir, err)
	}
	var ports []int
	for _, m := range rec.Members {
		if _, err := os.Stat(c.configPath(m)); err != nil {
			return fail(fmt.Errorf("the configuration of server %s is missing", m.Name))
		}
		ports = append(ports, m.ClientPort, m.PeerPort, m.ElectionPort)
	}
	if err := waitClusterPortsFree(ctx, ports, 5*time.Second); err != nil {
		return fail(err)
	}
	c.setRecord(rec)
	var ms []*clusterMember
	var err error
	for _, r := range rec.Members {
		m := &clusterMember{memberRecord: r}
		if err = c.startMember(m); err != nil {
			break
		}
		ms = append(ms, m)
	}
	c.setMembers(ms)
	if err == nil {
		err = c.waitReady(ctx, clusterReadyTimeout)
	}
	if err == nil && rec.Password == "" {
		// Data from before ensembles had an application user: the
		// root znode is its from now on.
		rec.Password = supervisor.RandomID(clusterSecretDigits)
		c.setRecord(rec)
		if err = c.secureRoot(ctx); err == nil {
			err = c.save()
		}
	}
	if err != nil {
		stopClusterMembers(ms)
		c.setMembers(nil)
		return fail(err)
	}
	return nil
}

// heal restarts servers whose process ended, on their configuration.
func (c *zookeeperEnsemble) heal(ctx context.Context) error {
	restarted := false
	for _, m := range c.snapshot() {
		if m.running() {
			continue
		}
		n := &clusterMember{memberRecord: m.memberRecord}
		if err := waitClusterPortsFree(ctx, []int{n.ClientPort, n.PeerPort, n.ElectionPort}, 5*time.Second); err != nil {
			return fmt.Errorf("restart ZooKeeper server %s: %w", n.Name, err)
		}
		if err := c.startMember(n); err != nil {
			return err
		}
		c.replace(m, n)
		restarted = true
	}
	if !restarted {
		return nil
	}
	return c.waitReady(ctx, clusterMemberJoinTimeout)
}

func (c *zookeeperEnsemble) resize(ctx context.Context, n int) error {
	for c.size() < n {
		if err := c.addOne(ctx); err != nil {
			return fmt.Errorf("add a ZooKeeper server (the ensemble keeps its %d servers): %w", c.size(), err)
		}
	}
	for c.size() > n {
		if err := c.removeOne(ctx); err != nil {
			return err
		}
	}
	return nil
}

// addOne starts a server with the current list plus itself, waits until
// it follows the leader, and adds it to the ensemble by reconfig.
func (c *zookeeperEnsemble) addOne(ctx context.Context) error {
	var err error
	for attempt := 0; attempt < clusterPortAttempts; attempt++ {
		if err = c.tryAdd(ctx); err == nil || !errors.Is(err, errClusterPortTaken) || ctx.Err() != nil {
			break
		}
	}
	return err
}

func (c *zookeeperEnsemble) tryAdd(ctx context.Context) error {
	ms := c.snapshot()
	used := map[string]bool{}
	var servers []memberRecord
	for _, m := range ms {
		used[m.Name] = true
		servers = append(servers, m.memberRecord)
	}
	name := ""
	for i := 1; name == ""; i++ {
		if n := strconv.Itoa(i); !used[n] {
			name = n
		}
	}
	ps, err := clusterFreePorts(3, c.usedPorts())
	if err != nil {
		return err
	}
	m := &clusterMember{memberRecord: memberRecord{Name: name, ClientPort: ps[0], PeerPort: ps[1], ElectionPort: ps[2]}}
	undo := func() {
		if m.proc != nil {
			m.proc.Stop(clusterMemberStopGrace)
		}
		_ = os.RemoveAll(c.dir(m.memberRecord))
	}
	if err := c.writeConfig(m.memberRecord, append(servers, m.memberRecord)); err != nil {
		undo()
		return err
	}
	if err := c.startMember(m); err != nil {
		undo()
		return err
	}
	// It follows the leader without a vote until the reconfig.
	deadline := time.Now().Add(clusterMemberJoinTimeout)
	for {
		if !m.running() {
			undo()
			return m.startError("ZooKeeper server " + name)
		}
		mode, _ := zkMode(ctx, m.ClientPort)
		if mode == "follower" {
			break
		}
		if ctx.Err() != nil {
			undo()
			return ctx.Err()
		}
		if time.Now().After(deadline) {
			undo()
			return fmt.Errorf("ZooKeeper server %s did not sync with the leader within %s; the last lines of %s:\n%s",
				name, clusterMemberJoinTimeout, m.proc.Log, m.logTail(15))
		}
		_ = clusterSleep(ctx, 200*time.Millisecond)
	}
	if err := c.reconfig(ctx, ms, []string{serverLine(m.memberRecord)}, nil); err != nil {
		undo()
		return err
	}
	// In the ensemble's list now, so a member whatever happens next.
	c.add(m)
	if err := c.save(); err != nil {
		return err
	}
	return c.waitReady(ctx, clusterMemberJoinTimeout)
}

// removeOne removes one server by reconfig, then stops it: one whose
// process ended if there is one, else the newest that does not lead.
func (c *zookeeperEnsemble) removeOne(ctx context.Context) error {
	ms := c.snapshot()
	modes := make([]string, len(ms))
	for i, m := range ms {
		if m.running() {
			modes[i], _ = zkMode(ctx, m.ClientPort)
		}
	}
	var victim *clusterMember
	for i := len(ms) - 1; i >= 0 && victim == nil; i-- {
		if !ms[i].running() {
			victim = ms[i]
		}
	}
	for i := len(ms) - 1; i >= 0 && victim == nil; i-- {
		if modes[i] != "leader" {
			victim = ms[i]
		}
	}
	if victim == nil {
		victim = ms[len(ms)-1]
	}
	var rest []*clusterMember
	for _, m := range ms {
		if m != victim {
			rest = append(rest, m)
		}
	}
	if err := c.reconfig(ctx, rest, nil, []string{victim.Name}); err != nil {
		return fmt.Errorf("remove ZooKeeper server %s: %w", victim.Name, err)
	}
	c.drop(victim)
	if err := c.save(); err != nil {
		return err
	}
	if victim.proc != nil {
		victim.proc.Stop(clusterMemberStopGrace)
	}
	_ = os.RemoveAll(c.dir(victim.memberRecord))
	return c.waitReady(ctx, clusterMemberJoinTimeout)
}

// zkQuietLogger drops the client library's connection chatter; failures
// reach the caller as errors.
type zkQuietLogger struct{}

func (zkQuietLogger) Printf(string, ...any) {}

// reconfig changes the ensemble's server list as the super user, through
// a client of the servers in via.
func (c *zookeeperEnsemble) reconfig(ctx context.Context, via []*clusterMember, joining, leaving []string) error {
	err := c.asSuper(ctx, via, func(conn *zk.Conn) error {
		_, err := conn.IncrementalReconfig(joining, leaving, -1)
		return err
	})
	if err != nil {
		return fmt.Errorf("reconfig: %w", err)
	}
	return nil
}

// secureRoot gives the root znode to the application user: only a client
// authenticated as it may list, create or delete znodes at the top.
func (c *zookeeperEnsemble) secureRoot(ctx context.Context) error {
	acl := zk.DigestACL(zk.PermAll, clusterAppUser, c.record().Password)
	err := c.asSuper(ctx, c.snapshot(), func(conn *zk.Conn) error {
		_, err := conn.SetACL("/", acl, -1)
		return err
	})
	if err != nil {
		return fmt.Errorf("give the root znode to the application user: %w", err)
	}
	return nil
}

// asSuper runs do with a session of the servers in via authenticated as
// the super user, within 30 seconds.
func (c *zookeeperEnsemble) asSuper(ctx context.Context, via []*clusterMember, do func(*zk.Conn) error) error {
	var servers []string
	for _, m := range via {
		if m.running() {
			servers = append(servers, supervisor.HostPort(m.ClientPort))
		}
	}
	if len(servers) == 0 {
		return errors.New("no ZooKeeper server runs")
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	conn, events, err := zk.Connect(servers, 10*time.Second, zk.WithLogger(zkQuietLogger{}))
	if err != nil {
		return err
	}
	defer conn.Close()
	for conn.State() != zk.StateHasSession {
		select {
		case <-ctx.Done():
			return fmt.Errorf("connect to the ensemble: %w", ctx.Err())
		case <-events:
		}
	}
	done := make(chan error, 1)
	go func() {
		if err := conn.AddAuth("digest", []byte("super:"+c.record().Secret)); err != nil {
			done <- fmt.Errorf("authenticate as the super user: %w", err)
			return
		}
		done <- do(conn)
	}()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		// Closing the connection (deferred) ends the request.
		return ctx.Err()
	}
}

// fourLetter sends a four-letter command to a server and returns its
// answer.
func fourLetter(ctx context.Context, port int, cmd string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", supervisor.HostPort(port))
	if err != nil {
		return "", err
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	if _, err := io.WriteString(conn, cmd); err != nil {
		return "", err
	}
	b, err := io.ReadAll(conn)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// zkMode is the server's role (leader, follower), or an error saying why
// it does not serve.
func zkMode(ctx context.Context, port int) (string, error) {
	out, err := fourLetter(ctx, port, "srvr")
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(out, "\n") {
		if mode, ok := strings.CutPrefix(line, "Mode: "); ok {
			return strings.TrimSpace(mode), nil
		}
	}
	return "", fmt.Errorf("it does not serve: %s", strings.TrimSpace(out))
}

// checkMember asks a server ruok and srvr: healthy when it answers imok
// and leads or follows (a server without a quorum does neither).
func (c *zookeeperEnsemble) checkMember(ctx context.Context, m *clusterMember) (string, error) {
	if !m.running() {
		if m.proc == nil {
			return "", errors.New("its process is not started")
		}
		_, err := m.proc.Exited()
		return "", fmt.Errorf("its process %s", supervisor.ExitDescription(err))
	}
	ok, err := fourLetter(ctx, m.ClientPort, "ruok")
	if err != nil {
		return "", err
	}
	if ok != "imok" {
		return "", fmt.Errorf("ruok answered %q", ok)
	}
	mode, err := zkMode(ctx, m.ClientPort)
	if err != nil {
		return "", err
	}
	if mode != "leader" && mode != "follower" {
		return mode, fmt.Errorf("it is in mode %s", mode)
	}
	return mode, nil
}

// waitReady waits until every server answers imok and leads or follows,
// with one leader, and fails at once when a server's process ends.
func (c *zookeeperEnsemble) waitReady(ctx context.Context, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		if err := c.exitCheck("ZooKeeper"); err != nil {
			return err
		}
		var problem error
		leaders := 0
		for _, m := range c.snapshot() {
			mode, err := c.checkMember(ctx, m)
			if err != nil {
				problem = fmt.Errorf("server %s (%s): %w", m.Name, supervisor.HostPort(m.ClientPort), err)
				break
			}
			if mode == "leader" {
				leaders++
			}
		}
		if problem == nil && leaders != 1 {
			problem = fmt.Errorf("%d servers say they lead", leaders)
		}
		if problem == nil {
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("wait for the ZooKeeper ensemble: %w (last: %v)", ctx.Err(), problem)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the ZooKeeper ensemble was not healthy within %s: %v", timeout, problem)
		}
		_ = clusterSleep(ctx, 200*time.Millisecond)
	}
}

func (c *zookeeperEnsemble) observe(ctx context.Context) providers.Observation {
	return observeMembers(ctx, "ZooKeeper", c.snapshot(), func(ctx context.Context, m *clusterMember) error {
		_, err := c.checkMember(ctx, m)
		return err
	})
}
