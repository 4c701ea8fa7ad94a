package local

import (
	"context"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/stagecraft/stagecraft/providers"
	"github.com/stagecraft/stagecraft/providers/kinds"
	"github.com/stagecraft/stagecraft/providers/local/supervisor"
	"github.com/stagecraft/stagecraft/providers/providertest"
)

// TestSupervisorLifecycle checks that the first create starts a
// supervisor that outlives the call, that Read finds nothing (and starts
// nothing) when no supervisor runs, that a supervisor killed with SIGKILL
// is replaced and its resources read as gone, and that deleting the last
// resource stops the supervisor.
func TestSupervisorLifecycle(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	ctx := context.Background()
	k := e.kind(kinds.Network)
	schema := k.Schema()
	ref := e.ref(kinds.Network, "main")
	if _, exists, err := k.Read(ctx, providers.Ref{Address: ref.Address, Kind: ref.Kind, ID: "net-none"}); err != nil || exists {
		t.Fatalf("read without a supervisor: exists %v, err %v", exists, err)
	}
	if pid := e.supervisorPID(); pid != 0 {
		t.Fatalf("a read started a supervisor (pid %d)", pid)
	}
	v, err := k.Create(ctx, ref, providertest.Desired(schema, nil))
	if err != nil {
		t.Fatal(err)
	}
	first := e.supervisorPID()
	if first == 0 {
		t.Fatal("no supervisor after create")
	}
	ref.ID = v.GetAttr("id").AsString()
	if _, exists, err := k.Read(ctx, ref); err != nil || !exists {
		t.Fatalf("read after create: exists %v, err %v", exists, err)
	}
	// kill -9: the next create replaces the supervisor; the old resource
	// reads as gone.
	if err := syscall.Kill(first, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 100 && syscall.Kill(first, 0) == nil; i++ {
		time.Sleep(20 * time.Millisecond)
	}
	fresh := newTestEnvSameDir(t, e)
	fk := fresh.kind(kinds.Network)
	if _, exists, err := fk.Read(ctx, ref); err != nil || exists {
		t.Fatalf("read after the supervisor was killed: exists %v, err %v", exists, err)
	}
	v2, err := fk.Create(ctx, e.ref(kinds.Network, "main"), providertest.Desired(schema, nil))
	if err != nil {
		t.Fatalf("create after a stale supervisor: %v", err)
	}
	second := fresh.supervisorPID()
	if second == 0 || second == first {
		t.Fatalf("supervisor pid %d after replacing %d", second, first)
	}
	// Deleting the last resource stops the supervisor.
	if err := fk.Delete(ctx, providers.Ref{Address: "network.main", Kind: "network", ID: v2.GetAttr("id").AsString()}, cty.NilVal); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) && syscall.Kill(second, 0) == nil {
		time.Sleep(50 * time.Millisecond)
	}
	if syscall.Kill(second, 0) == nil {
		t.Errorf("the supervisor (pid %d) still runs after its last resource was deleted", second)
	}
	sock, err := supervisor.ChooseSocket(supervisor.NewPaths(e.dataDir, "dev"), os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(sock); err == nil {
		t.Error("the socket is left behind")
	}
}

// newTestEnvSameDir is another CLI process's view of the same environment.
func newTestEnvSameDir(t *testing.T, e *testEnv) *testEnv {
	t.Helper()
	n := newTestEnv(t)
	n.dataDir, n.stackDir = e.dataDir, e.stackDir
	n.p.(providers.Workspace).SetWorkspace(providers.WorkspaceInfo{Dir: e.stackDir, DataDir: e.dataDir, Stack: "test", Environment: "dev"})
	return n
}
