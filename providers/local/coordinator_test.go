package local

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/stagecraft/stagecraft/providers/kinds"
	"github.com/stagecraft/stagecraft/providers/local/cluster"
	"github.com/stagecraft/stagecraft/providers/local/internal/localtest"
	"github.com/stagecraft/stagecraft/providers/local/supervisor"
	"github.com/stagecraft/stagecraft/providers/providertest"
)

// TestCoordinatorConformance runs the conformance suite on etcd through a
// supervisor: created with one member, updated to three (two members
// join, one at a time), replaced by a ZooKeeper ensemble at the same
// address (created before the etcd cluster is deleted, so both live side
// by side for a moment), rejected with four members.
func TestCoordinatorConformance(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	replaced := localtest.Coordinator("zookeeper", 1, nil)
	if cluster.CheckZooKeeper() != nil {
		// The engine cannot be replaced without ZooKeeper; the network
		// forces a replacement too, so the replace step still runs.
		t.Log("ZooKeeper is not installed (apt-get install zookeeper): the replace step replaces etcd with etcd on another network instead of with ZooKeeper")
		replaced = localtest.Coordinator("etcd", 3, map[string]cty.Value{"network": cty.StringVal("network.other")})
	}
	providertest.Run(t, e.p, providertest.Config{
		Stack: "test", Environment: "dev", Timeout: 3 * time.Minute,
		Fixtures: map[string]providertest.Fixture{
			kinds.Coordinator: {
				Desired:  localtest.Coordinator("etcd", 1, nil),
				Updated:  localtest.Coordinator("etcd", 3, nil),
				Replaced: replaced,
				Invalid:  localtest.Coordinator("etcd", 4, nil),
			},
		},
	})
	// Deleting the coordinator removed its data.
	dir := filepath.Join(supervisor.NewPaths(e.dataDir, "dev").Data(), "coordinator.conformance")
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		entries, _ := os.ReadDir(dir)
		t.Errorf("the data directory %s is left after delete (%d entries, stat: %v)", dir, len(entries), err)
	}
}

// TestCoordinatorSurvivesSupervisorRestart kills the supervisor with
// SIGKILL: its etcd members die with it, and the next create at the same
// address (by a new supervisor) restarts them from their data, keys
// included. Deleting it then stops every member.
func TestCoordinatorSurvivesSupervisorRestart(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	e := newTestEnv(t)
	k := e.kind(kinds.Coordinator)
	ref := e.ref(kinds.Coordinator, "locks")
	cfg := localtest.Coordinator("etcd", 3, nil)
	v, err := k.Create(ctx, ref, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := localtest.EtcdPut(ctx, localtest.Endpoints(v), localtest.CredsOf(v), "kept", "yes"); err != nil {
		t.Fatal(err)
	}
	sup := e.supervisorPID()
	members := localtest.ChildPIDs(t, sup)
	if len(members) != 3 {
		t.Fatalf("the supervisor runs %d child processes, want 3 members: %v", len(members), members)
	}
	if err := syscall.Kill(sup, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	localtest.ExpectGone(t, members)

	fresh := newTestEnvSameDir(t, e)
	fk := fresh.kind(kinds.Coordinator)
	v2, err := fk.Create(ctx, ref, cfg)
	if err != nil {
		t.Fatalf("create after the supervisor was killed: %v", err)
	}
	if got, err := localtest.EtcdGet(ctx, localtest.Endpoints(v2), localtest.CredsOf(v2), "kept"); err != nil || got != "yes" {
		t.Errorf("read a key written before the supervisor was killed: %q, %v", got, err)
	}
	members = localtest.ChildPIDs(t, fresh.supervisorPID())
	ref.ID = v2.GetAttr("id").AsString()
	if err := fk.Delete(ctx, ref, v2); err != nil {
		t.Fatal(err)
	}
	localtest.ExpectGone(t, members)
	if _, err := os.Stat(filepath.Join(supervisor.NewPaths(e.dataDir, "dev").Data(), "coordinator.locks")); !os.IsNotExist(err) {
		t.Errorf("the data directory is left after delete (stat: %v)", err)
	}
}
