package local

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/stagecraft/stagecraft/providers"
	"github.com/stagecraft/stagecraft/providers/local/cluster"
	"github.com/stagecraft/stagecraft/providers/local/internal/localtest"
	"github.com/stagecraft/stagecraft/providers/local/supervisor"
)

// TestMain lets the test binary stand in for the stagecraft binary: the
// supervisor and etcd members it starts re-execute it with the hidden
// commands.
func TestMain(m *testing.M) {
	localtest.Main(m, map[string]localtest.Command{
		SupervisorArg: func(ctx context.Context, args []string) error {
			dir, socket := "", ""
			for j := 0; j+1 < len(args); j++ {
				switch args[j] {
				case "--dir":
					dir = args[j+1]
				case "--socket":
					socket = args[j+1]
				}
			}
			return RunSupervisor(ctx, dir, socket)
		},
		cluster.EtcdMemberArg: cluster.RunEtcdMember,
	})
}

// testEnv is one environment of the local provider under test, in a
// temporary directory, with its supervisor stopped at the end.
type testEnv struct {
	t        *testing.T
	p        providers.Provider
	dataDir  string
	stackDir string
}

// newTestEnv configures a local provider whose supervisor is this test
// binary.
func newTestEnv(t *testing.T) *testEnv {
	t.Helper()
	root := t.TempDir()
	e := &testEnv{t: t, dataDir: filepath.Join(root, ".stagecraft"), stackDir: root}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	p := New(func(dir, socket string) *exec.Cmd {
		return exec.Command(exe, "-test.run=^$", SupervisorArg, "--dir", dir, "--socket", socket)
	})
	p.(providers.Workspace).SetWorkspace(providers.WorkspaceInfo{Dir: root, DataDir: e.dataDir, Stack: "test", Environment: "dev"})
	if d := p.Configure(context.Background(), cty.EmptyObjectVal); d.HasErrors() {
		t.Fatal(d.Error())
	}
	e.p = p
	t.Cleanup(e.stopSupervisor)
	return e
}

// supervisorPID is the running supervisor's pid, or 0.
func (e *testEnv) supervisorPID() int {
	b, err := os.ReadFile(supervisor.NewPaths(e.dataDir, "dev").PID())
	if err != nil {
		return 0
	}
	var pid int
	fmt.Sscanf(strings.TrimSpace(string(b)), "%d", &pid)
	return pid
}

// stopSupervisor ends the supervisor (by its pid) and waits for it.
func (e *testEnv) stopSupervisor() {
	pid := e.supervisorPID()
	if pid == 0 {
		return
	}
	_ = syscall.Kill(pid, syscall.SIGTERM)
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) && syscall.Kill(pid, 0) == nil {
		time.Sleep(50 * time.Millisecond)
	}
	_ = syscall.Kill(pid, syscall.SIGKILL)
}

// kind returns one resource kind of the provider.
func (e *testEnv) kind(name string) providers.ResourceKind {
	k, _ := e.p.Kind(name)
	return k
}

func (e *testEnv) ref(kind, name string) providers.Ref {
	return providers.Ref{Address: kind + "." + name, Kind: kind, Stack: "test", Environment: "dev"}
}
