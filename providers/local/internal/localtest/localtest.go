//go:build unix

// Package localtest holds what the tests of the local provider's packages
// share: a TestMain that lets the test binary stand in for the stagecraft
// binary's hidden commands, and checks on the programs and processes the
// tests start. Only tests import it.
package localtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/zclconf/go-cty/cty"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/stagecraft/stagecraft/providers/kinds"
	"github.com/stagecraft/stagecraft/providers/local/supervisor"
	"github.com/stagecraft/stagecraft/providers/providertest"
)

// Command runs one hidden command with its arguments until ctx ends.
type Command func(ctx context.Context, args []string) error

// Main runs the tests or, when the test binary was started as one of the
// hidden commands (a supervisor or an etcd member that a test started
// re-executes the test binary) or as a probe (see RedisAsOtherUser), that
// command, and exits.
func Main(m *testing.M, commands map[string]Command) {
	for i, a := range os.Args[1:] {
		run, ok := commands[a]
		if !ok {
			run, ok = probes[a]
		}
		if !ok {
			continue
		}
		ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
		err := run(ctx, os.Args[i+2:])
		stop()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// RequireProgram skips a test whose program is not installed here, and
// fails it under CI, where .ci/run installs it from the Debian package pkg.
func RequireProgram(t *testing.T, name, pkg string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not installed (apt-get install %s)", name, pkg)
		}
		t.Skipf("%s is not installed (apt-get install %s)", name, pkg)
	}
}

// Context is a context that ends with the test or after d.
func Context(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), d)
	t.Cleanup(cancel)
	return ctx
}

// CheckPIDsGone fails the test for every pid that still runs, and kills it.
func CheckPIDsGone(t *testing.T, pids []int) {
	t.Helper()
	for _, pid := range pids {
		if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); err == nil {
			t.Errorf("process %d still runs", pid)
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

// RedisClient is a client of the redis server at addr that authenticates
// with password and does not retry, closed at the end of the test.
func RedisClient(t *testing.T, addr, password string) *redis.Client {
	rc := redis.NewClient(&redis.Options{Addr: addr, Password: password, MaxRetries: -1})
	t.Cleanup(func() { rc.Close() })
	return rc
}

// Value is a configuration of a kind, as the stack language would give it
// to the local provider.
func Value(kind string, attrs map[string]cty.Value) cty.Value {
	s, _ := kinds.Schema(kind)
	return providertest.Desired(s.ForProvider(supervisor.Provider), attrs)
}

// Coordinator is a coordinator's configuration: engine, members and
// extra attributes.
func Coordinator(engine string, members int, extra map[string]cty.Value) cty.Value {
	attrs := map[string]cty.Value{"engine": cty.StringVal(engine), "members": cty.NumberIntVal(int64(members))}
	for k, v := range extra {
		attrs[k] = v
	}
	return Value(kinds.Coordinator, attrs)
}

// Endpoints lists the endpoints attribute of a cache's or coordinator's
// value.
func Endpoints(v cty.Value) []string {
	var out []string
	for _, e := range v.GetAttr("endpoints").AsValueSlice() {
		out = append(out, e.AsString())
	}
	return out
}

// ExpectGone fails the test for every pid that still runs 15 seconds on.
func ExpectGone(t *testing.T, pids []int) {
	t.Helper()
	for _, pid := range pids {
		deadline := time.Now().Add(15 * time.Second)
		for syscall.Kill(pid, 0) == nil && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
			t.Errorf("process %d still runs after stop (kill -0: %v)", pid, err)
		}
	}
}

// ChildPIDs lists the processes whose parent is ppid.
func ChildPIDs(t *testing.T, ppid int) []int {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Skipf("no /proc to find the children of %d in: %v", ppid, err)
	}
	var out []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...: comm may hold spaces, so read after
		// its closing parenthesis.
		fields := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
		if len(fields) > 1 && fields[1] == strconv.Itoa(ppid) {
			out = append(out, pid)
		}
	}
	return out
}

// Creds are the credentials a coordinator exports to the groups that
// refer to it.
type Creds struct{ User, Password string }

// CredsOf reads the username and password of a coordinator's value; empty
// where they are null.
func CredsOf(v cty.Value) Creds {
	str := func(name string) string {
		if a := v.GetAttr(name); !a.IsNull() {
			return a.AsString()
		}
		return ""
	}
	return Creds{User: str("username"), Password: str("password")}
}

// etcdClient is a client of endpoints that authenticates with creds and
// logs nothing.
func etcdClient(endpoints []string, creds Creds) (*clientv3.Client, error) {
	return clientv3.New(clientv3.Config{Endpoints: endpoints, Username: creds.User, Password: creds.Password, DialTimeout: 2 * time.Second, Logger: zap.NewNop()})
}

// EtcdPut writes through a client of endpoints, with a deadline.
func EtcdPut(ctx context.Context, endpoints []string, creds Creds, key, value string) error {
	cli, err := etcdClient(endpoints, creds)
	if err != nil {
		return err
	}
	defer cli.Close()
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	_, err = cli.Put(ctx, key, value)
	return err
}

// EtcdGet reads a key (linearizable) through a client of endpoints.
func EtcdGet(ctx context.Context, endpoints []string, creds Creds, key string) (string, error) {
	cli, err := etcdClient(endpoints, creds)
	if err != nil {
		return "", err
	}
	defer cli.Close()
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	resp, err := cli.Get(ctx, key)
	if err != nil {
		return "", err
	}
	if len(resp.Kvs) == 0 {
		return "", fmt.Errorf("%s is not set", key)
	}
	return string(resp.Kvs[0].Value), nil
}
