package cluster

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/stagecraft/stagecraft/providers/local/internal/localtest"
)

// TestZooKeeperRequiresCredentials runs a one-server ensemble: another
// local user can neither list nor create znodes at the top, whether it
// does not authenticate or authenticates as a user of its own; the
// application user the coordinator reports can; its configuration is the
// user's alone and the password is on no command line.
func TestZooKeeperRequiresCredentials(t *testing.T) {
	t.Parallel()
	if !haveZooKeeper(t) {
		t.Skip("ZooKeeper is not installed; install the Debian package zookeeper (apt-get install zookeeper) to run this test")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	c, v, creds := newSecuredCoordinator(t, ctx, engineZooKeeper, "coordinator.zk")
	eps := localtest.Endpoints(v)

	got := localtest.ZooKeeperAsOtherUser(t, eps[0])
	t.Logf("another user tried:\n%s", got)
	for _, op := range []string{"unauthenticated list /", "unauthenticated create /probe", "as intruder list /", "as intruder create /probe"} {
		if !strings.Contains(got, op+" refused") {
			t.Errorf("another user's %s was not refused:\n%s", op, got)
		}
	}
	conn := zkConnect(t, ctx, eps, creds)
	if _, err := conn.Create("/mine", []byte("yes"), 0, zk.AuthACL(zk.PermAll)); err != nil {
		t.Fatalf("create as the application user: %v", err)
	}
	if children, _, err := conn.Children("/"); err != nil || !strings.Contains(strings.Join(children, " "), "mine") {
		t.Errorf("list / as the application user: %v, %v", children, err)
	}
	conn.Close()

	rec := c.cluster.(*zookeeperEnsemble).record()
	for _, pid := range c.pids() {
		cmdline, _ := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "cmdline"))
		for _, secret := range []string{rec.Secret, rec.Password} {
			if strings.Contains(string(cmdline), secret) {
				t.Errorf("process %d has a password on its command line", pid)
			}
		}
	}
	info, err := os.Stat(filepath.Join(c.data.dir, clusterRecordFile))
	if err != nil {
		t.Fatal(err)
	}
	if mode := info.Mode().Perm(); mode != 0o600 {
		t.Errorf("the cluster record has mode %o, want 600", mode)
	}
}
