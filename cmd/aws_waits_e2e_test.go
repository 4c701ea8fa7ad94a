package cmd

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stagecraft/stagecraft/providers/aws/mototest"
)

// TestAWSStageDownLeavesCacheDeletionPending moves the shop on moto from
// its top stage (a network, a cache, a coordinator and two groups behind
// a load balancer) down to load-balanced, which has neither cache nor
// coordinator, with the provider's default waits: no
// cache_delete_timeout, and wait_timeout at its 15 minutes. Moto keeps a
// deleted replication group "deleting" for ever; since nothing later in
// the apply needs the cache gone, the apply does not wait for it: it
// ends with the deletion recorded as pending, well inside the test's
// 4-minute bound, and the next plan confirms the deletion is still
// pending at AWS, with no changes to make.
func TestAWSStageDownLeavesCacheDeletionPending(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	t.Parallel()
	s := newAWSStack(t, mototest.ForTest(t).URL)
	src := awsShopStack
	for _, setting := range []string{"  wait_timeout         = \"60s\"\n", "  cache_delete_timeout = \"1s\" # moto never finishes deleting a cache\n"} {
		if !strings.Contains(src, setting) {
			t.Fatalf("the shop's stack no longer has the line %q", setting)
		}
		src = strings.Replace(src, setting, "", 1)
	}
	if err := os.WriteFile(filepath.Join(s.dir, "main.stack.hcl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}

	s.mustRun(0, []string{"Apply complete", "6 added"}, "apply", "--auto-approve")
	start := time.Now()
	out := s.mustRun(0, []string{
		"delete cache.sessions", "delete coordinator.locks", "delete autoscaling_group.orders",
		"cache.sessions: deleting... requested in", "deletion pending at AWS (status: deleting)",
		"Apply complete", "3 destroyed", "1 deletion is still under way at the provider",
	}, "apply", "--auto-approve", "--stage", "load-balanced", "--allow-data-loss")
	took := time.Since(start)
	t.Logf("moving down from microservices to load-balanced took %s", took.Round(time.Second))
	if took >= 5*time.Minute {
		t.Errorf("moving down took %s, want under 5 minutes:\n%s", took, out)
	}

	show := s.mustRun(0, []string{"cache.sessions (object ", "deletion pending at AWS since"}, "show")
	if strings.Contains(show, "# cache.sessions:") {
		t.Errorf("the state still lists the cache as a resource:\n%s", show)
	}
	plan := s.mustRun(0, []string{"No changes.", "Pending deletions:", "cache.sessions: deletion pending at AWS since ", "(status: deleting)"},
		"plan", "--detailed-exitcode", "--stage", "load-balanced")
	if strings.Contains(plan, "only removed from the state") {
		t.Errorf("the plan treats the deleting cache as gone:\n%s", plan)
	}
}
