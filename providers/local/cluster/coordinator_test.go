package cluster

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/stagecraft/stagecraft/providers/local/internal/localtest"
	"github.com/stagecraft/stagecraft/providers/local/supervisor"
)

// haveZooKeeper reports whether ZooKeeper can run here. Without it a test
// skips, saying so, except under CI=true, where it fails.
func haveZooKeeper(t *testing.T) bool {
	t.Helper()
	if err := CheckZooKeeper(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true and ZooKeeper cannot run: %v", err)
		}
		return false
	}
	return true
}

// testCoordinator is a coordinator unit run by the test process itself
// (not through a supervisor), so the test can reach its processes.
type testCoordinator struct {
	*coordinator
	env *supervisor.Env
}

// newTestCoordinator builds a coordinator in an environment directory dir
// (a new one when empty). Cleanup stops it and checks that no member
// process is left.
func newTestCoordinator(t *testing.T, dir, address string) *testCoordinator {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	env := &supervisor.Env{Paths: supervisor.Paths{Dir: dir}, StackDir: dir}
	c := New(env, "coord-"+supervisor.RandomID(8), address).(*coordinator)
	tc := &testCoordinator{coordinator: c, env: env}
	t.Cleanup(func() {
		if t.Failed() {
			logMemberTails(t, c)
		}
		pids := c.pids()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := c.Stop(ctx); err != nil {
			t.Errorf("stop %s: %v", address, err)
		}
		localtest.ExpectGone(t, pids)
	})
	return tc
}

// logMemberTails logs the end of every member's log, to tell why a test
// failed.
func logMemberTails(t *testing.T, c *coordinator) {
	c.mu.Lock()
	data := c.data
	c.mu.Unlock()
	if data == nil {
		return
	}
	logs, _ := filepath.Glob(c.env.LogPath(c.address, filepath.Base(data.dir)+"-*"))
	for _, l := range logs {
		t.Logf("the end of %s:\n%s", l, supervisor.Tail(l, 30))
	}
}

// mustApply applies cfg and fails the test on an error.
func (tc *testCoordinator) mustApply(t *testing.T, ctx context.Context, cfg cty.Value) cty.Value {
	t.Helper()
	v, err := tc.Apply(ctx, cfg)
	if err != nil {
		t.Fatalf("apply %s: %v", renderCoordinator(cfg), err)
	}
	return v
}

// renderCoordinator shows the settings of a value in messages.
func renderCoordinator(v cty.Value) string {
	if v == cty.NilVal || v.IsNull() {
		return "null"
	}
	var parts []string
	for _, k := range []string{"engine", "members"} {
		if v.Type().HasAttribute(k) {
			a := v.GetAttr(k)
			switch {
			case a.IsNull():
				parts = append(parts, k+"=null")
			case a.Type() == cty.String:
				parts = append(parts, k+"="+a.AsString())
			default:
				parts = append(parts, k+"="+a.AsBigFloat().String())
			}
		}
	}
	return "{" + strings.Join(parts, " ") + "}"
}

// TestCoordinatorSettings checks that the supervisor rejects what the
// stack language would, with the reason.
func TestCoordinatorSettings(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		cfg  cty.Value
		want string
	}{
		"even members":   {localtest.Coordinator(engineEtcd, 4, nil), "cannot form a safe quorum"},
		"too many":       {localtest.Coordinator(engineEtcd, 9, nil), "cannot form a safe quorum"},
		"unknown engine": {localtest.Coordinator("consul", 3, nil), "engine"},
		"null":           {cty.NullVal(cty.DynamicPseudoType), "null"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, _, err := coordinatorSettings(tc.cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("coordinatorSettings(%s) = %v, want an error containing %q", renderCoordinator(tc.cfg), err, tc.want)
			}
		})
	}
	if engine, n, err := coordinatorSettings(localtest.Coordinator(engineZooKeeper, 5, nil)); err != nil || engine != engineZooKeeper || n != 5 {
		t.Errorf("coordinatorSettings(zookeeper, 5) = %q, %d, %v", engine, n, err)
	}
}

// TestZooKeeperMissing checks the message a user without ZooKeeper sees.
func TestZooKeeperMissing(t *testing.T) {
	t.Parallel()
	in := defaultZooKeeper()
	in.jar = filepath.Join(t.TempDir(), "zookeeper.jar")
	_, err := findZooKeeper(in)
	if err == nil || !strings.Contains(err.Error(), "apt-get install zookeeper") || !strings.Contains(err.Error(), "Java") {
		t.Errorf("findZooKeeper without the jar: %v; want the package to install (zookeeper) and that it needs Java", err)
	}
	if err := os.WriteFile(in.jar, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	in.java = "no-such-java-binary"
	_, err = findZooKeeper(in)
	if err == nil || !strings.Contains(err.Error(), "Java is not") {
		t.Errorf("findZooKeeper without java: %v; want a message that Java is missing", err)
	}
}
