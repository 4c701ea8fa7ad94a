package sim

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/stagecraft/stagecraft/providers"
	"github.com/stagecraft/stagecraft/providers/kinds"
)

func TestLatency(t *testing.T) {
	t.Parallel()
	// synctest's clock makes the waits exact and instant.
	synctest.Test(t, func(t *testing.T) {
		p := newTestProvider(t, map[string]cty.Value{"latency": cty.StringVal("250ms")})
		k := mustKind(t, p, kinds.Cache)

		start := time.Now()
		r := mustCreate(t, k, ref(kinds.Cache, "sessions"), cacheConfig(t, p, nil))
		if got := time.Since(start); got != 250*time.Millisecond {
			t.Errorf("Create took %v, want the configured latency of 250ms", got)
		}

		ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
		defer cancel()
		start = time.Now()
		_, _, err := k.Read(ctx, r)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Read with a 100ms deadline and 250ms latency: %v, want a deadline error", err)
		}
		if err != nil && !strings.HasPrefix(err.Error(), "read cache.sessions: ") {
			t.Errorf("error %q does not name the address", err)
		}
		if got := time.Since(start); got != 100*time.Millisecond {
			t.Errorf("cancelled Read returned after %v, want 100ms (when the context ended)", got)
		}
	})
}

// TestChangeInFlightFinishes cancels a create and a delete after their
// calls went out: like a request a cloud has received, each finishes its
// round trip and takes effect; a call made after the cancel is not sent.
func TestChangeInFlightFinishes(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		p := newTestProvider(t, map[string]cty.Value{"latency": cty.StringVal("250ms")})
		k := mustKind(t, p, kinds.Cache)
		ctx, cancel := context.WithCancel(t.Context())
		time.AfterFunc(100*time.Millisecond, cancel)
		start := time.Now()
		v, err := k.Create(ctx, ref(kinds.Cache, "sessions"), cacheConfig(t, p, nil))
		if err != nil || time.Since(start) != 250*time.Millisecond {
			t.Fatalf("create cancelled in flight: %v after %v, want it done after the whole 250ms", err, time.Since(start))
		}
		r := ref(kinds.Cache, "sessions")
		r.ID = v.GetAttr("id").AsString()
		if _, ok, err := k.Read(t.Context(), r); !ok || err != nil {
			t.Fatalf("the create cancelled in flight did not take effect: %v", err)
		}
		if err := k.Delete(ctx, r, v); !errors.Is(err, context.Canceled) {
			t.Errorf("delete after the cancel: %v, want it not sent", err)
		}
		ctx, cancel = context.WithCancel(t.Context())
		time.AfterFunc(100*time.Millisecond, cancel)
		if err := k.Delete(ctx, r, v); err != nil {
			t.Fatalf("delete cancelled in flight: %v", err)
		}
		if _, ok, _ := k.Read(t.Context(), r); ok {
			t.Error("the delete cancelled in flight did not take effect")
		}
	})
}

func TestRateLimit(t *testing.T) {
	t.Parallel()
	config := map[string]cty.Value{"rate_limit": cty.NumberIntVal(5)}

	t.Run("throttled calls are retried until they succeed", func(t *testing.T) {
		t.Parallel()
		synctest.Test(t, func(t *testing.T) {
			p := newTestProvider(t, config)
			p.retry = providers.DefaultRetryPolicy()
			k := mustKind(t, p, kinds.Cache)
			start := time.Now()
			for i := range 20 {
				if _, _, err := k.Read(t.Context(), ref(kinds.Cache, "x")); err != nil {
					t.Fatalf("read %d: %v", i, err)
				}
			}
			s := p.session()
			if s.throttled.Load() == 0 {
				t.Errorf("20 calls at 5 calls/s were never throttled")
			}
			// A burst of 5, then 15 calls at 5/s.
			if got := time.Since(start); got < 3*time.Second {
				t.Errorf("20 calls at 5 calls/s took %v, want at least 3s", got)
			}
		})
	})

	t.Run("throttling fails the call when retries run out", func(t *testing.T) {
		t.Parallel()
		synctest.Test(t, func(t *testing.T) {
			p := newTestProvider(t, config)
			p.retry = providers.RetryPolicy{Attempts: 3, Base: time.Microsecond, Max: time.Microsecond}
			k := mustKind(t, p, kinds.Cache)
			var err error
			for i := 0; i < 6 && err == nil; i++ {
				_, _, err = k.Read(t.Context(), ref(kinds.Cache, "x"))
			}
			want := "read cache.x: sim: throttled (rate limit 5 calls/s) (gave up after 3 attempts)"
			if err == nil || err.Error() != want {
				t.Fatalf("the sixth call within a second: %v, want %q", err, want)
			}
			if providers.IsRetryable(err) {
				t.Errorf("error %q after the retries ran out is still marked retryable, so a caller would retry it again", err)
			}
			if got := p.session().attempts.Load(); got != 5+3 {
				t.Errorf("%d attempts, want 5 calls and 3 tries of the sixth", got)
			}
		})
	})
}

func TestErrorRate(t *testing.T) {
	t.Parallel()
	// pattern returns which of 64 calls fail, without retries.
	pattern := func(t *testing.T, seed int64) []bool {
		p := newTestProvider(t, map[string]cty.Value{"error_rate": cty.NumberFloatVal(0.5), "seed": cty.NumberIntVal(seed)})
		p.retry = providers.RetryPolicy{Attempts: 1}
		k := mustKind(t, p, kinds.Cache)
		out := make([]bool, 64)
		for i := range out {
			_, _, err := k.Read(t.Context(), ref(kinds.Cache, "x"))
			if err != nil {
				if want := "read cache.x: sim: transient error (injected)"; err.Error() != want {
					t.Fatalf("error %q, want %q", err, want)
				}
				out[i] = true
			}
		}
		return out
	}
	first, again, other := pattern(t, 42), pattern(t, 42), pattern(t, 43)
	if !slicesEqual(first, again) {
		t.Errorf("the same seed failed different calls:\n%v\n%v", first, again)
	}
	if slicesEqual(first, other) {
		t.Errorf("seeds 42 and 43 failed the same calls: %v", first)
	}
	failed := 0
	for _, f := range first {
		if f {
			failed++
		}
	}
	if failed < 16 || failed > 48 {
		t.Errorf("%d of 64 calls failed at error_rate 0.5", failed)
	}

	t.Run("every call failing exhausts the retries", func(t *testing.T) {
		p := newTestProvider(t, map[string]cty.Value{"error_rate": cty.NumberIntVal(1)})
		k := mustKind(t, p, kinds.Cache)
		_, err := k.Create(t.Context(), ref(kinds.Cache, "x"), cacheConfig(t, p, nil))
		if err == nil || !strings.Contains(err.Error(), "create cache.x: sim: transient error (injected)") {
			t.Errorf("Create at error_rate 1: %v", err)
		}
		if got, want := p.session().attempts.Load(), int64(fastRetry().Attempts); got != want {
			t.Errorf("%d attempts, want %d (the retry policy's)", got, want)
		}
		if n := len(p.session().cloud.resources); n != 0 {
			t.Errorf("a failed Create left %d resources", n)
		}
	})
}

func slicesEqual(a, b []bool) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestFail(t *testing.T) {
	t.Parallel()
	ops := []string{opCreate, opRead, opUpdate, opDelete}
	for _, op := range ops {
		t.Run(op, func(t *testing.T) {
			t.Parallel()
			path := cty.StringVal(filepath.Join(t.TempDir(), "cloud.jsonl"))
			failing := map[string]cty.Value{
				"path": path,
				"fail": cty.ObjectVal(map[string]cty.Value{"cache.bad": cty.StringVal(op)}),
			}
			p := newTestProvider(t, failing)
			k := mustKind(t, p, kinds.Cache)
			ctx := t.Context()
			desired := cacheConfig(t, p, nil)

			bad := ref(kinds.Cache, "bad")
			if op != opCreate {
				// Create the resource without the failure, then bring the
				// failure in by configuring again with the same cloud.
				configure(t, p, map[string]cty.Value{"path": path})
				bad = mustCreate(t, k, bad, desired)
				configure(t, p, failing)
			}
			before := p.session().attempts.Load()
			var err error
			switch op {
			case opCreate:
				_, err = k.Create(ctx, bad, desired)
			case opRead:
				_, _, err = k.Read(ctx, bad)
			case opUpdate:
				_, err = k.Update(ctx, bad, cty.NilVal, desired)
			case opDelete:
				err = k.Delete(ctx, bad, cty.NilVal)
			}
			want := op + " cache.bad: sim: injected failure for cache.bad on " + op
			if err == nil || err.Error() != want {
				t.Fatalf("%s: %v, want %q", op, err, want)
			}
			if providers.IsRetryable(err) {
				t.Errorf("injected failure %q is retryable; it must fail at once", err)
			}
			if n := p.session().attempts.Load() - before; n != 1 {
				t.Errorf("the injected failure took %d attempts, want 1", n)
			}

			// Other addresses and other operations are unaffected.
			good := mustCreate(t, k, ref(kinds.Cache, "good"), desired)
			if err := k.Delete(ctx, good, cty.NilVal); err != nil {
				t.Errorf("delete of another address: %v", err)
			}
			if op == opRead {
				res, err := k.ReadMany(ctx, []providers.Ref{good, bad})
				if err != nil {
					t.Fatalf("ReadMany: %v", err)
				}
				if res[0].Err != nil || res[1].Err == nil || res[1].Err.Error() != want {
					t.Errorf("ReadMany results %+v, want only the second to fail with %q", res, want)
				}
			}
		})
	}
}
