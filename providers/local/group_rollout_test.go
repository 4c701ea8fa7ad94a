package local

import (
	"sync"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/stagecraft/stagecraft/providers/kinds"
)

// TestGroupRolloutBounds rolls a group of three to a new environment under
// two rollout settings and watches it every 20 ms: no more new instances
// start at once than max_surge (plus what max_unavailable frees), and the
// healthy instances never drop below the desired count less
// max_unavailable.
func TestGroupRolloutBounds(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		surge, unavailable int
		// maxStarting bounds the instances of the new configuration that
		// are up but not yet healthy; minHealthy the healthy ones.
		maxStarting, minHealthy int
	}{
		"one at a time, surge first": {surge: 1, unavailable: 0, maxStarting: 1, minHealthy: 3},
		"drain first, no surge":      {surge: 0, unavailable: 1, maxStarting: 1, minHealthy: 2},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := newGroupTestEnv(t, time.Minute)
			rollout := cty.ObjectVal(cfgAttrs{"max_surge": cty.NumberIntVal(int64(tt.surge)), "max_unavailable": cty.NumberIntVal(int64(tt.unavailable))})
			three := cfgAttrs{"min": cty.NumberIntVal(3), "max": cty.NumberIntVal(3), "rollout": rollout}
			app, _ := e.create(t, kinds.AutoscalingGroup, "app", e.groupConfig(t, three))
			old := map[string]bool{}
			for _, tg := range e.observe(t, app).Targets {
				old[tg.ID] = true
			}
			if len(old) != 3 {
				t.Fatalf("%d instances before the roll, want 3", len(old))
			}

			var (
				mu                    sync.Mutex
				maxStarting, polls    int
				minHealthy, sawNewIDs = 3, map[string]bool{}
			)
			stop := make(chan struct{})
			done := make(chan struct{})
			go func() {
				defer close(done)
				for {
					select {
					case <-stop:
						return
					case <-time.After(20 * time.Millisecond):
					}
					obs := e.observe(t, app)
					healthy, starting := 0, 0
					mu.Lock()
					for _, tg := range obs.Targets {
						if tg.Healthy {
							healthy++
						}
						if !old[tg.ID] {
							sawNewIDs[tg.ID] = true
							if !tg.Healthy {
								starting++
							}
						}
					}
					maxStarting = max(maxStarting, starting)
					minHealthy = min(minHealthy, healthy)
					polls++
					mu.Unlock()
				}
			}()
			next := cfgAttrs{"min": cty.NumberIntVal(3), "max": cty.NumberIntVal(3), "rollout": rollout, "env": e.env(map[string]string{"VERSION": "2"})}
			e.update(t, app, e.groupConfig(t, next))
			close(stop)
			<-done

			mu.Lock()
			defer mu.Unlock()
			for id := range healthyTargets(e.observe(t, app)) {
				if old[id] {
					t.Errorf("%s of the old configuration still serves after the roll", id)
				}
			}
			if len(sawNewIDs) < 3 {
				t.Errorf("saw %d new instances during the roll, want 3", len(sawNewIDs))
			}
			if maxStarting > tt.maxStarting {
				t.Errorf("up to %d new instances were starting at once; max_surge %d, max_unavailable %d allow %d", maxStarting, tt.surge, tt.unavailable, tt.maxStarting)
			}
			if minHealthy < tt.minHealthy {
				t.Errorf("healthy instances dropped to %d during the roll; max_unavailable %d allows no fewer than %d", minHealthy, tt.unavailable, tt.minHealthy)
			}
			t.Logf("%d polls: at most %d starting, at least %d healthy", polls, maxStarting, minHealthy)
		})
	}
}
