package planner

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/stagecraft/stagecraft/planner/plan"
	"github.com/stagecraft/stagecraft/providers"
	"github.com/stagecraft/stagecraft/providers/kinds"
	"github.com/stagecraft/stagecraft/stacks/addrs"
	"github.com/stagecraft/stagecraft/state"
)

// slowDeletes wraps a provider so that its caches take their time to go,
// as ElastiCache's do: a Delete allowed to leave the deletion pending
// returns at once with the cache "deleting", which lasts until finish.
type slowDeletes struct {
	providers.Provider
	mu       sync.Mutex
	deleting map[string]bool // cache ids on their way out
	allowed  []bool          // whether each Delete could leave it pending
	// timeOut makes a Delete that must wait time out.
	timeOut bool
}

func (s *slowDeletes) Kind(kind string) (providers.ResourceKind, bool) {
	k, ok := s.Provider.Kind(kind)
	if !ok || kind != kinds.Cache {
		return k, ok
	}
	return &slowCache{ResourceKind: k, p: s}, true
}

// finish lets every deletion in progress end.
func (s *slowDeletes) finish(t *testing.T) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k, _ := s.Provider.Kind(kinds.Cache)
	for id := range s.deleting {
		if err := k.Delete(context.Background(), providers.Ref{Address: "cache.pages", Kind: kinds.Cache, ID: id}, cty.NilVal); err != nil {
			t.Fatal(err)
		}
	}
	clear(s.deleting)
}

type slowCache struct {
	providers.ResourceKind
	p *slowDeletes
}

func (c *slowCache) Delete(ctx context.Context, r providers.Ref, prior cty.Value) error {
	allowed := providers.PendingDeletionAllowed(ctx)
	c.p.mu.Lock()
	defer c.p.mu.Unlock()
	c.p.allowed = append(c.p.allowed, allowed)
	if !allowed && c.p.timeOut {
		return r.Errorf("delete", "timed out after 1s waiting for %s (%s) to finish deleting", r.Address, r.ID)
	}
	if _, exists, err := c.ResourceKind.Read(ctx, r); err != nil || !allowed || !exists {
		// Gone already (what it left is cleaned up), or the apply
		// waits: deleted at once.
		delete(c.p.deleting, r.ID)
		return c.ResourceKind.Delete(ctx, r, prior)
	}
	c.p.deleting[r.ID] = true
	providers.ReportStatus(ctx, "sim status: deleting")
	return &providers.PendingDeletion{At: "the sim", Status: "deleting"}
}

// Read counts a cache on its way out as gone, as the aws provider does.
func (c *slowCache) Read(ctx context.Context, r providers.Ref) (cty.Value, bool, error) {
	c.p.mu.Lock()
	deleting := c.p.deleting[r.ID]
	c.p.mu.Unlock()
	if deleting {
		return cty.NilVal, false, nil
	}
	return c.ResourceKind.Read(ctx, r)
}

func (c *slowCache) DeletionStatus(ctx context.Context, r providers.Ref) (string, bool, bool, error) {
	c.p.mu.Lock()
	deleting := c.p.deleting[r.ID]
	c.p.mu.Unlock()
	if deleting {
		return "deleting", true, false, nil
	}
	_, exists, err := c.ResourceKind.Read(ctx, r)
	return "available", false, !exists, err
}

var pendingStack = map[string]string{"main.stack.hcl": `
stage "small" {
  network "main" {}
  autoscaling_group "app" {
    min     = 1
    max     = 1
    network = network.main
  }
}

stage "cached" {
  extends = "small"
  cache "pages" {
    engine  = "redis"
    network = network.main
    lifecycle {
      allow_data_loss = true
    }
  }
}
`}

// cachedWithSlowDeletes applies pendingStack's stage with the cache on
// a sim whose caches take their time to go, and returns the cache's
// record.
func cachedWithSlowDeletes(t *testing.T) (*env, *slowDeletes, *state.Resource) {
	t.Helper()
	e := newEnv(t, pendingStack, "cached", nil)
	slow := &slowDeletes{Provider: e.provider, deleting: map[string]bool{}}
	e.provider = slow
	_, st := e.apply(PlanOptions{})
	cache, ok := st.Resource(addrs.MustParse("cache.pages"))
	if !ok {
		t.Fatal("no cache after the first apply")
	}
	return e, slow, cache
}

// TestPendingDeletionDoesNotHoldTheApply: moving down from a stage with a
// cache, the cache's delete (which nothing else waits for) is left
// pending: the apply ends, the state records it with its id, the next
// plan lists it as pending and changes nothing, and once the provider has
// finished, a plan removes it and the apply clears the record. A destroy,
// whose network delete needs the cache gone, waits for it.
func TestPendingDeletionDoesNotHoldTheApply(t *testing.T) {
	t.Parallel()
	e, slow, cacheRec := cachedWithSlowDeletes(t)

	e.load(pendingStack, "small")
	p, st := e.apply(PlanOptions{})
	if got, want := actions(p), "cache.pages delete"; got != want {
		t.Fatalf("moving down plans\n%s\nwant\n%s", got, want)
	}
	if len(slow.allowed) != 1 || !slow.allowed[0] {
		t.Fatalf("the cache's delete could leave its deletion pending: %v, want [true]", slow.allowed)
	}
	if _, ok := st.Resource(cacheRec.Address); ok {
		t.Error("the cache is still among the state's resources after its deletion was left pending")
	}
	if len(st.Deposed) != 1 || st.Deposed[0].ID != cacheRec.ID || st.Deposed[0].Status != state.StatusPendingDeletion || st.Deposed[0].Pending == nil || st.Deposed[0].Pending.Status != "deleting" {
		t.Fatalf("the state records %+v as deposed; want the cache %s pending deletion (status deleting)", st.Deposed, cacheRec.ID)
	}
	if st.Stage != "small" {
		t.Errorf("the state is at stage %q, want small", st.Stage)
	}

	p = e.plan(PlanOptions{})
	if p.HasChanges() {
		t.Errorf("the plan while the cache is still deleting has changes:\n%s", actions(p))
	}
	if len(p.PendingDeletions) != 1 || !strings.HasPrefix(p.PendingDeletions[0].Describe(), "cache.pages: deletion pending at the sim since ") || !strings.HasSuffix(p.PendingDeletions[0].Describe(), "(status: deleting)") {
		t.Fatalf("the plan lists pending deletions %v, want cache.pages pending at the sim (status: deleting)", p.PendingDeletions)
	}

	slow.finish(t)
	p, st = e.apply(PlanOptions{})
	if got, want := actions(p), "cache.pages delete (deposed)"; got != want {
		t.Fatalf("after the deletion finished the plan is\n%s\nwant\n%s", got, want)
	}
	if reason := changeOf(p, plan.ActionDelete).Reason; !strings.Contains(reason, "finished deleting it") {
		t.Errorf("the delete's reason is %q; want it to say the deletion finished", reason)
	}
	if len(st.Deposed) != 0 || len(p.PendingDeletions) != 0 {
		t.Errorf("after the confirming apply the state still has deposed %v", st.Deposed)
	}
	if p := e.plan(PlanOptions{}); p.HasChanges() || len(p.PendingDeletions) != 0 {
		t.Errorf("the plan after the confirming apply is not clean:\n%s", actions(p))
	}

	e.load(pendingStack, "cached")
	e.apply(PlanOptions{})
	slow.allowed, slow.timeOut = nil, true
	_, err := e.applyPlan(context.Background(), e.plan(PlanOptions{Destroy: true}))
	if len(slow.allowed) != 1 || slow.allowed[0] {
		t.Errorf("in a destroy the cache's delete could leave it pending (%v) though the network's delete needs it gone", slow.allowed)
	}
	if err == nil || !strings.Contains(err.Error(), "timed out after 1s waiting for cache.pages") || !strings.Contains(err.Error(), "it had to be gone before network.main is deleted") {
		t.Errorf("the destroy whose cache delete timed out failed with %v; want the wait and why it waited", err)
	}
	slow.timeOut = false
	e.apply(PlanOptions{Destroy: true})
}

// changeOf returns the first change of the plan with the action.
func changeOf(p *plan.Plan, a plan.Action) *plan.Change {
	for _, c := range p.Changes {
		if c.Action == a {
			return c
		}
	}
	return &plan.Change{}
}

// TestDeletingCacheIsNotOnlyDroppedFromTheState: a cache whose deletion
// an earlier apply started but did not see finish (it timed out) reads as
// gone; the plan says AWS is still deleting it, and the apply records the
// deletion as pending at once instead of waiting for it again.
func TestDeletingCacheIsNotOnlyDroppedFromTheState(t *testing.T) {
	t.Parallel()
	e, slow, cache := cachedWithSlowDeletes(t)
	slow.deleting[cache.ID] = true

	e.load(pendingStack, "small")
	p, st := e.apply(PlanOptions{})
	c := changeOf(p, plan.ActionDelete)
	if c.Address.String() != "cache.pages" || !strings.Contains(c.Reason, "its deletion there is under way (status: deleting)") {
		t.Errorf("the plan deletes %s because %q; want the cache, saying its deletion is under way", c.Address, c.Reason)
	}
	if len(st.Deposed) != 1 || st.Deposed[0].Status != state.StatusPendingDeletion {
		t.Errorf("after the apply the state records %v as deposed, want the cache pending deletion", st.Deposed)
	}
}
