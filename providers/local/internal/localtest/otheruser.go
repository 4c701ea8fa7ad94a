//go:build unix

package localtest

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
)

// Probes the test binary runs as another user (see asOtherUser): each
// connects to a server without credentials, tries what another local user
// would (write a key, wipe the data, list or change members), and prints
// what the server answered, one line each.
const (
	probeRedis     = "__probe-redis-unauthenticated"
	probeEtcd      = "__probe-etcd-unauthenticated"
	probeZooKeeper = "__probe-zookeeper-unauthenticated"
	probeMemcached = "__probe-memcached-unauthenticated"
)

// probes are the hidden commands Main adds to a package's own.
var probes = map[string]Command{probeRedis: runProbeRedis, probeEtcd: runProbeEtcd, probeZooKeeper: runProbeZooKeeper, probeMemcached: runProbeMemcached}

// otherUser is the user the probes run as, with setpriv: nobody, in
// nogroup, without supplementary groups.
var otherUser = []string{"--reuid=nobody", "--regid=nogroup", "--clear-groups"}

// RedisAsOtherUser sends SET and FLUSHALL without a password to the redis
// server at addr, as the user nobody, and returns what it answered.
func RedisAsOtherUser(t *testing.T, addr string) string {
	return asOtherUser(t, probeRedis, addr)
}

// EtcdAsOtherUser lists the members of the etcd cluster at endpoint and
// writes a key, without credentials, as the user nobody, and returns what
// the cluster answered.
func EtcdAsOtherUser(t *testing.T, endpoint string) string {
	return asOtherUser(t, probeEtcd, endpoint)
}

// ZooKeeperAsOtherUser lists and creates znodes at the top of the ensemble
// at endpoint, as the user nobody: without authenticating, then
// authenticated as a made-up digest user; and returns what it answered.
func ZooKeeperAsOtherUser(t *testing.T, endpoint string) string {
	return asOtherUser(t, probeZooKeeper, endpoint)
}

// MemcachedAsOtherUser connects to the memcached socket at path and sends
// flush_all, as the user nobody, and returns what happened.
func MemcachedAsOtherUser(t *testing.T, path string) string {
	return asOtherUser(t, probeMemcached, path)
}

// asOtherUser runs a probe in a copy of the test binary as the user nobody
// and returns its output, which starts with the uid it ran as. It skips
// the test where it cannot switch users: as a user other than root, or
// without setpriv (util-linux).
func asOtherUser(t *testing.T, probe string, args ...string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("running a client as another user (setpriv) needs root")
	}
	setpriv, err := exec.LookPath("setpriv")
	if err != nil {
		t.Skip("setpriv (util-linux) is not installed")
	}
	// The test binary sits in a directory only its owner can enter; the
	// other user runs a copy from one it can.
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "stagecraft-probe-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "probe")
	if err := copyExecutable(self, bin); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, setpriv, append(append(append([]string{}, otherUser...), bin, probe), args...)...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the probe as user nobody failed: %v\n%s", err, out)
	}
	if !strings.HasPrefix(string(out), "uid 65534:") {
		t.Fatalf("the probe did not run as nobody (uid 65534):\n%s", out)
	}
	return string(out)
}

func copyExecutable(from, to string) error {
	src, err := os.Open(from)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		return err
	}
	return dst.Close()
}

// runProbeRedis is the redis probe: SET then FLUSHALL on one connection.
func runProbeRedis(ctx context.Context, args []string) error {
	if len(args) != 1 {
		return fmt.Errorf("%s ADDR", probeRedis)
	}
	var d net.Dialer
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	conn, err := d.DialContext(ctx, "tcp", args[0])
	if err != nil {
		return err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(conn)
	fmt.Printf("uid %d:\n", os.Getuid())
	for _, cmd := range []string{"*3\r\n$3\r\nSET\r\n$5\r\nprobe\r\n$3\r\nyes\r\n", "*1\r\n$8\r\nFLUSHALL\r\n"} {
		if _, err := io.WriteString(conn, cmd); err != nil {
			return err
		}
		line, err := r.ReadString('\n')
		if err != nil {
			return err
		}
		fmt.Printf("%s answered: %s\n", strings.Fields(strings.ReplaceAll(cmd, "\r\n", " "))[2], strings.TrimSpace(line))
	}
	return nil
}

// runProbeEtcd is the etcd probe: member list, then a put.
func runProbeEtcd(ctx context.Context, args []string) error {
	if len(args) != 1 {
		return fmt.Errorf("%s ENDPOINT", probeEtcd)
	}
	cli, err := clientv3.New(clientv3.Config{Endpoints: args, DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
	if err != nil {
		return err
	}
	defer cli.Close()
	fmt.Printf("uid %d:\n", os.Getuid())
	answer := func(err error) string {
		if err != nil {
			return "refused: " + err.Error()
		}
		return "accepted"
	}
	lctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	_, err = cli.MemberList(lctx)
	cancel()
	fmt.Printf("member list %s\n", answer(err))
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	_, err = cli.Put(pctx, "probe", "yes")
	cancel()
	fmt.Printf("put %s\n", answer(err))
	return nil
}

// runProbeZooKeeper is the ZooKeeper probe: children of / and a create at
// the top, first in a session that does not authenticate, then in one
// that authenticates as a user of its own choosing (digest authentication
// accepts any).
func runProbeZooKeeper(ctx context.Context, args []string) error {
	if len(args) != 1 {
		return fmt.Errorf("%s ENDPOINT", probeZooKeeper)
	}
	fmt.Printf("uid %d:\n", os.Getuid())
	for _, auth := range []string{"", "intruder:guess"} {
		who := "unauthenticated"
		if auth != "" {
			who = "as " + strings.Split(auth, ":")[0]
		}
		conn, _, err := zk.Connect(args, 5*time.Second, zk.WithLogInfo(false), zk.WithLogger(quietZK{}))
		if err != nil {
			return err
		}
		answer := func(what string, op func() error) {
			done := make(chan error, 1)
			go func() { done <- op() }()
			select {
			case err := <-done:
				if err != nil {
					fmt.Printf("%s %s refused: %v\n", who, what, err)
				} else {
					fmt.Printf("%s %s accepted\n", who, what)
				}
			case <-time.After(10 * time.Second):
				fmt.Printf("%s %s refused: no answer within 10s\n", who, what)
			}
		}
		if auth != "" {
			answer("authentication", func() error { return conn.AddAuth("digest", []byte(auth)) })
		}
		answer("list /", func() error { _, _, err := conn.Children("/"); return err })
		answer("create /probe", func() error {
			_, err := conn.Create("/probe", []byte("yes"), 0, zk.WorldACL(zk.PermAll))
			return err
		})
		conn.Close()
	}
	return nil
}

// quietZK drops the ZooKeeper client's connection chatter.
type quietZK struct{}

func (quietZK) Printf(string, ...any) {}

// runProbeMemcached is the memcached probe: flush_all on its socket.
func runProbeMemcached(ctx context.Context, args []string) error {
	if len(args) != 1 {
		return fmt.Errorf("%s SOCKET", probeMemcached)
	}
	fmt.Printf("uid %d:\n", os.Getuid())
	var d net.Dialer
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	conn, err := d.DialContext(ctx, "unix", args[0])
	if err != nil {
		fmt.Printf("connect refused: %v\n", err)
		return nil
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(conn, "flush_all\r\n"); err != nil {
		return err
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return err
	}
	fmt.Printf("flush_all answered: %s\n", strings.TrimSpace(line))
	return nil
}
