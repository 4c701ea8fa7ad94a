package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/gofrs/flock"

	"github.com/stagecraft/stagecraft/providers/local/supervisor"
)

// clusterData is the directory of one cluster incarnation,
// data/ADDRESS/ENGINE-ID/: its record, a lock file and one directory per
// member. The lock (flock, held while a unit runs the cluster) tells a
// live cluster's directory from one an earlier supervisor left. Only
// unlocked directories are restarted from, so a replacement created before
// the old cluster at the same address is deleted never takes the old
// cluster's data, and deleting the old one never removes the new one's.
type clusterData struct {
	// root is data/ADDRESS, dir this incarnation's directory in it.
	root string
	dir  string
	lock *flock.Flock
	// restored says the directory was left by an earlier supervisor.
	restored bool
}

// clusterDataMu serialises opening and sweeping cluster directories: a
// sweep must not remove a directory between its creation and its lock.
// Every unit of an environment lives in its one supervisor process, so a
// process-wide lock is the right scope; the flock above covers the rest.
var clusterDataMu sync.Mutex

const (
	clusterRecordFile = "cluster.json"
	clusterLockFile   = "lock"
)

// clusterRecord is what a cluster needs to restart from its data: written
// after every membership change.
type clusterRecord struct {
	Engine string `json:"engine"`
	// Token is the etcd cluster's initial-cluster-token, ClusterID its
	// cluster id (hex) once formed.
	Token     string `json:"token,omitempty"`
	ClusterID string `json:"cluster_id,omitempty"`
	// Secret is the administrator's password: etcd's root user, or
	// ZooKeeper's super user, which reconfigures the ensemble.
	Secret string `json:"secret,omitempty"`
	// Password is the application user's (clusterAppUser), which the
	// groups that refer to the coordinator receive.
	Password string         `json:"password,omitempty"`
	Members  []memberRecord `json:"members"`
}

// memberRecord is one member: its name (etcd: m1, m2...; ZooKeeper: its
// server id), etcd's member id (hex), and its ports on 127.0.0.1.
type memberRecord struct {
	Name         string `json:"name"`
	ID           string `json:"id,omitempty"`
	ClientPort   int    `json:"client_port"`
	PeerPort     int    `json:"peer_port"`
	ElectionPort int    `json:"election_port,omitempty"`
}

// openClusterData returns the directory a new unit of engine at root runs
// on: the newest unlocked incarnation with a record (data an earlier
// supervisor left), else a new one named after the unit's id.
func openClusterData(root, engine, id string) (*clusterData, error) {
	clusterDataMu.Lock()
	defer clusterDataMu.Unlock()
	if err := os.MkdirAll(root, 0o700); err != nil {
		return nil, fmt.Errorf("create the data directory: %w", err)
	}
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil, fmt.Errorf("read the data directory: %w", err)
	}
	var best *clusterData
	var bestTime time.Time
	for _, e := range entries {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), engine+"-") {
			continue
		}
		dir := filepath.Join(root, e.Name())
		info, err := os.Stat(filepath.Join(dir, clusterRecordFile))
		if err != nil {
			continue
		}
		f, ok, err := tryLock(dir)
		if err != nil || !ok {
			continue
		}
		d := &clusterData{root: root, dir: dir, lock: f, restored: true}
		if best == nil || info.ModTime().After(bestTime) {
			best.release()
			best, bestTime = d, info.ModTime()
		} else {
			d.release()
		}
	}
	if best != nil {
		return best, nil
	}
	dir := filepath.Join(root, engine+"-"+id)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create the data directory: %w", err)
	}
	f, ok, err := tryLock(dir)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("the data directory %s is in use by another cluster", dir)
	}
	return &clusterData{root: root, dir: dir, lock: f}, nil
}

// tryLock takes the lock of dir without waiting.
func tryLock(dir string) (*flock.Flock, bool, error) {
	l := flock.New(filepath.Join(dir, clusterLockFile), flock.SetPermissions(0o600))
	ok, err := l.TryLock()
	if err != nil || !ok {
		return nil, false, err
	}
	return l, true, nil
}

// release gives up the lock, keeping the directory.
func (d *clusterData) release() {
	if d == nil || d.lock == nil {
		return
	}
	_ = d.lock.Unlock()
	d.lock = nil
}

// remove deletes this incarnation's directory, if it still holds it, and every unlocked one left
// at the same address (earlier incarnations, of any engine, that nothing
// will restart once the resource is deleted), then the address's directory
// if nothing else is in it.
func (d *clusterData) remove() error {
	clusterDataMu.Lock()
	defer clusterDataMu.Unlock()
	if d.lock == nil {
		// Released (halted): the directory may be another unit's now.
		return nil
	}
	err := os.RemoveAll(d.dir)
	d.release()
	entries, _ := os.ReadDir(d.root)
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		dir := filepath.Join(d.root, e.Name())
		f, ok, lerr := tryLock(dir)
		if lerr != nil || !ok {
			continue
		}
		if rerr := os.RemoveAll(dir); rerr != nil && err == nil {
			err = rerr
		}
		_ = f.Unlock()
	}
	_ = os.Remove(d.root) // fails, as it should, while another cluster lives there
	return err
}

// memberDir is the data directory of one member.
func (d *clusterData) memberDir(name string) string { return filepath.Join(d.dir, name) }

// load reads the record; ok is false when there is none.
func (d *clusterData) load() (rec clusterRecord, ok bool, err error) {
	b, err := os.ReadFile(filepath.Join(d.dir, clusterRecordFile))
	if errors.Is(err, os.ErrNotExist) {
		return clusterRecord{}, false, nil
	}
	if err != nil {
		return clusterRecord{}, false, err
	}
	if err := json.Unmarshal(b, &rec); err != nil {
		return clusterRecord{}, false, fmt.Errorf("read %s: %w", filepath.Join(d.dir, clusterRecordFile), err)
	}
	return rec, true, nil
}

// save writes the record atomically. It holds a secret, so only the
// owner reads it.
func (d *clusterData) save(rec clusterRecord) error {
	b, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return err
	}
	tmp := filepath.Join(d.dir, clusterRecordFile+".tmp")
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("write the cluster record: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(d.dir, clusterRecordFile)); err != nil {
		return fmt.Errorf("write the cluster record: %w", err)
	}
	return nil
}

// member is one running (or ended) member process of a cluster.
type clusterMember struct {
	memberRecord
	proc *supervisor.Proc
	// logStart is the log's size when the process started, so that
	// messages quote this run's lines only.
	logStart int64
}

// running reports whether the member's process runs.
func (m *clusterMember) running() bool {
	if m.proc == nil {
		return false
	}
	done, _ := m.proc.Exited()
	return !done
}

// startClusterMember starts a member's process, remembering where its log
// stood.
func startClusterMember(m *clusterMember, spec supervisor.ProcSpec) error {
	m.logStart = 0
	if info, err := os.Stat(spec.Log); err == nil {
		m.logStart = info.Size()
	}
	p, err := supervisor.StartProc(spec)
	if err != nil {
		return fmt.Errorf("start %s: %w", m.Name, err)
	}
	m.proc = p
	return nil
}

// exitError describes a member whose process has ended, with the end of
// its log.
func (m *clusterMember) exitError(what string) error {
	if m.proc == nil {
		return fmt.Errorf("%s was not started", what)
	}
	_, err := m.proc.Exited()
	return fmt.Errorf("%s %s; the last lines of %s:\n%s", what, supervisor.ExitDescription(err), m.proc.Log, m.logTail(15))
}

// logTail is the end of the member's log since its process started.
func (m *clusterMember) logTail(n int) string {
	if m.proc == nil {
		return ""
	}
	return supervisor.TailSince(m.proc.Log, m.logStart, n)
}

// portTaken reports whether the member's process failed because a port
// was taken (between choosing it free and binding it).
func (m *clusterMember) portTaken() bool {
	return strings.Contains(strings.ToLower(m.logTail(200)), "address already in use")
}

// stopClusterMembers stops member processes in parallel.
func stopClusterMembers(ms []*clusterMember) {
	var wg sync.WaitGroup
	for _, m := range ms {
		if m.proc == nil {
			continue
		}
		wg.Add(1)
		go func(p *supervisor.Proc) {
			defer wg.Done()
			p.Stop(clusterMemberStopGrace)
		}(m.proc)
	}
	wg.Wait()
}

// clusterPIDs lists the pids of the members that run.
func clusterPIDs(ms []*clusterMember) []int {
	var out []int
	for _, m := range ms {
		if m.running() {
			out = append(out, m.proc.PID())
		}
	}
	return out
}

// clusterFreePorts picks n distinct free ports on 127.0.0.1 that are not in
// avoid.
func clusterFreePorts(n int, avoid map[int]bool) ([]int, error) {
	seen := map[int]bool{}
	for p := range avoid {
		seen[p] = true
	}
	var out []int
	for tries := 0; len(out) < n; tries++ {
		if tries > 100*n {
			return nil, errors.New("find free ports on 127.0.0.1: the kernel keeps handing out ports in use")
		}
		p, err := supervisor.FreePort()
		if err != nil {
			return nil, err
		}
		if seen[p] {
			continue
		}
		seen[p] = true
		out = append(out, p)
	}
	return out, nil
}

// waitClusterPortsFree waits until every port can be bound (a member stopped a
// moment ago may still hold one), and names one that stays taken.
func waitClusterPortsFree(ctx context.Context, ports []int, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for _, p := range ports {
		for !supervisor.PortFree(p) {
			if time.Now().After(deadline) {
				return fmt.Errorf("port %d on 127.0.0.1 is in use by another process", p)
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(100 * time.Millisecond):
			}
		}
	}
	return nil
}

// quorum is the number of members a cluster of n needs to serve.
func clusterQuorum(n int) int { return n/2 + 1 }

// clusterSleep waits d or until ctx ends.
func clusterSleep(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

// clusterMembers is the member list an engine keeps, with its record.
// observe reads it while apply changes it, so members are not changed
// once listed: a restarted member is a new value.
type clusterMembers struct {
	data    *clusterData
	logName func(member string) string

	mu      sync.Mutex
	rec     clusterRecord
	members []*clusterMember
}

func (s *clusterMembers) snapshot() []*clusterMember {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*clusterMember(nil), s.members...)
}

func (s *clusterMembers) size() int { return len(s.snapshot()) }

func (s *clusterMembers) endpoints() []string {
	var out []string
	for _, m := range s.snapshot() {
		out = append(out, supervisor.HostPort(m.ClientPort))
	}
	return out
}

func (s *clusterMembers) pids() []int { return clusterPIDs(s.snapshot()) }

func (s *clusterMembers) credentials() (user, password string) {
	if pw := s.record().Password; pw != "" {
		return clusterAppUser, pw
	}
	return "", ""
}

func (s *clusterMembers) halt() { stopClusterMembers(s.snapshot()) }

// record is the record as it stands.
func (s *clusterMembers) record() clusterRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rec
}

// setRecord replaces the record's cluster-wide fields (not its members).
func (s *clusterMembers) setRecord(rec clusterRecord) {
	s.mu.Lock()
	s.rec = rec
	s.mu.Unlock()
}

// setMembers replaces the member list.
func (s *clusterMembers) setMembers(ms []*clusterMember) {
	s.mu.Lock()
	s.members = ms
	s.mu.Unlock()
}

// replace puts m in old's place.
func (s *clusterMembers) replace(old, m *clusterMember) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, x := range s.members {
		if x == old {
			s.members[i] = m
		}
	}
}

// add appends a member.
func (s *clusterMembers) add(m *clusterMember) {
	s.mu.Lock()
	s.members = append(s.members, m)
	s.mu.Unlock()
}

// drop takes a member off the list.
func (s *clusterMembers) drop(m *clusterMember) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, x := range s.members {
		if x == m {
			s.members = append(s.members[:i:i], s.members[i+1:]...)
			return
		}
	}
}

// save writes the record with the current members.
func (s *clusterMembers) save() error {
	s.mu.Lock()
	rec := s.rec
	rec.Members = nil
	for _, m := range s.members {
		rec.Members = append(rec.Members, m.memberRecord)
	}
	s.mu.Unlock()
	return s.data.save(rec)
}

// usedPorts lists the listed members' ports.
func (s *clusterMembers) usedPorts() map[int]bool {
	out := map[int]bool{}
	for _, m := range s.snapshot() {
		out[m.ClientPort], out[m.PeerPort] = true, true
		if m.ElectionPort != 0 {
			out[m.ElectionPort] = true
		}
	}
	return out
}

// exitCheck fails when a listed member's process has ended, marking a
// port taken at start-up as such.
func (s *clusterMembers) exitCheck(engine string) error {
	for _, m := range s.snapshot() {
		if !m.running() {
			return m.startError(engine + " member " + m.Name)
		}
	}
	return nil
}

// startError is exitError, marked with errClusterPortTaken when a port
// was taken.
func (m *clusterMember) startError(what string) error {
	err := m.exitError(what)
	if m.portTaken() {
		return fmt.Errorf("%w: %v", errClusterPortTaken, err)
	}
	return err
}

// errClusterPortTaken marks a member that failed because a port chosen
// free was taken before it bound it: worth another try with other ports.
var errClusterPortTaken = errors.New("a port chosen free was taken by another process")
