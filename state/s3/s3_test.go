package s3

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/google/go-cmp/cmp"

	"github.com/stagecraft/stagecraft/stacks/addrs"
	"github.com/stagecraft/stagecraft/state"
)

// TestMotoConditionalWrites checks the ground the s3 backend stands on:
// the S3 service refuses a put with If-None-Match: * on an existing object
// and a put with a stale If-Match, server side.
func TestMotoConditionalWrites(t *testing.T) {
	t.Parallel()
	cfg := newBucket(t, true)
	store, err := openBucket(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	first, err := store.Put(ctx, "k", []byte("one"), state.PutCondition{IfNoneMatch: true})
	if err != nil {
		t.Fatalf("create if absent: %v", err)
	}
	if _, err := store.Put(ctx, "k", []byte("two"), state.PutCondition{IfNoneMatch: true}); !errors.Is(err, state.ErrPrecondition) {
		t.Fatalf("second create if absent = %v, want errPrecondition", err)
	}
	second, err := store.Put(ctx, "k", []byte("three"), state.PutCondition{IfMatch: first})
	if err != nil {
		t.Fatalf("put if match: %v", err)
	}
	if _, err := store.Put(ctx, "k", []byte("four"), state.PutCondition{IfMatch: first}); !errors.Is(err, state.ErrPrecondition) {
		t.Fatalf("put with a stale If-Match = %v, want errPrecondition", err)
	}
	if _, err := store.Put(ctx, "gone", []byte("five"), state.PutCondition{IfMatch: second}); !errors.Is(err, state.ErrPrecondition) {
		t.Fatalf("put If-Match on a missing object = %v, want errPrecondition", err)
	}
	data, etag, err := store.Get(ctx, "k")
	if err != nil || string(data) != "three" || etag != second {
		t.Fatalf("get = %q, %s, %v; want three, %s", data, etag, err, second)
	}
}

func TestS3WriteRecoverAcrossRunners(t *testing.T) {
	t.Parallel()
	cfg := newBucket(t, true)
	ctx := t.Context()
	a := newS3(t, cfg, nil)
	if s, err := a.Read(ctx); s != nil || err != nil {
		t.Fatalf("Read of an empty bucket = %v, %v; want nil, nil", s, err)
	}
	s := state.New("shop", "dev")
	s.Set(testResource(t, "cache.sessions"))
	if err := a.Write(ctx, s); err != nil {
		t.Fatal(err)
	}
	j, err := a.Journal(ctx)
	if err != nil {
		t.Fatal(err)
	}
	entries := []state.JournalEntry{state.IntentEntry(addrs.MustParse("cache.b"), "create", nil), state.SetEntry(testResource(t, "cache.a"))}
	if err := j.AppendBatch(ctx, entries); err != nil {
		t.Fatal(err)
	}
	if err := j.Append(ctx, state.RemoveEntry(addrs.MustParse("cache.sessions"), "")); err != nil {
		t.Fatal(err)
	}
	// The runner dies here, without closing the journal or writing the state.

	b := newS3(t, cfg, nil)
	rec, err := b.Recover(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := addresses(rec.State); !cmp.Equal(got, []string{"cache.a"}) {
		t.Errorf("recovered resources = %v, want [cache.a]", got)
	}
	if len(rec.PendingIntents) != 1 || rec.PendingIntents[0].Address != addrs.MustParse("cache.b") {
		t.Errorf("pending intents = %+v, want the create of cache.b", rec.PendingIntents)
	}
	if rec.State.Serial != 2 {
		t.Errorf("recovered serial = %d, want 2 (stored 1 plus the replayed journal)", rec.State.Serial)
	}
	// The second runner continues the journal, then writes.
	j2, err := b.Journal(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := j2.Append(ctx, state.SetEntry(testResource(t, "cache.b"))); err != nil {
		t.Fatal(err)
	}
	rec2, err := newS3(t, cfg, nil).Recover(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := addresses(rec2.State); !cmp.Equal(got, []string{"cache.a", "cache.b"}) || len(rec2.PendingIntents) != 0 || rec2.State.Serial != 3 {
		t.Errorf("after resuming: resources %v, intents %v, serial %d; want [cache.a cache.b], none, 3 (one more for the resume)", got, rec2.PendingIntents, rec2.State.Serial)
	}
	final := rec2.State
	if err := b.Write(ctx, final); err != nil {
		t.Fatal(err)
	}
	if err := j2.Close(); err != nil {
		t.Fatal(err)
	}
	if keys := journalKeys(t, cfg); len(keys) != 1 || !strings.Contains(keys[0], "/00000000000000000004/") {
		t.Errorf("journal objects after the write = %v, want only the restarted journal's base for serial 4", keys)
	}
	got, err := newS3(t, cfg, nil).Read(ctx)
	if err != nil || got.Serial != 4 || !cmp.Equal(addresses(got), []string{"cache.a", "cache.b"}) {
		t.Errorf("final state = %v (serial %d), %v", addresses(got), got.Serial, err)
	}
}

func addresses(s *state.State) []string {
	var out []string
	for _, r := range s.Resources {
		out = append(out, r.Address.String())
	}
	return out
}

// TestS3StaleWriterRefused: two runners read the same state; the first to
// write wins, the second is refused and the state is the first one's.
func TestS3StaleWriterRefused(t *testing.T) {
	t.Parallel()
	cfg := newBucket(t, true)
	ctx := t.Context()
	seed := state.New("shop", "dev")
	if err := newS3(t, cfg, nil).Write(ctx, seed); err != nil {
		t.Fatal(err)
	}
	a, b := newS3(t, cfg, nil), newS3(t, cfg, nil)
	sa, err := a.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sb, err := b.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sb.Set(testResource(t, "cache.b"))
	if err := b.Write(ctx, sb); err != nil {
		t.Fatal(err)
	}
	sa.Set(testResource(t, "cache.a"))
	err = a.Write(ctx, sa)
	if err == nil || !strings.Contains(err.Error(), "changed since this run read it") {
		t.Fatalf("stale write = %v, want a refusal", err)
	}
	if _, err := a.Journal(ctx); err == nil {
		t.Error("Journal after the state changed underneath: no error")
	}
	got, err := newS3(t, cfg, nil).Read(ctx)
	if err != nil || !cmp.Equal(addresses(got), []string{"cache.b"}) || got.Serial != 2 {
		t.Errorf("stored state = %v serial %d (%v), want the first writer's [cache.b] serial 2", addresses(got), got.Serial, err)
	}
}

// TestS3StaleWriterRace: writers that all read the same state write at
// once; exactly one succeeds.
func TestS3StaleWriterRace(t *testing.T) {
	t.Parallel()
	cfg := newBucket(t, false)
	ctx := t.Context()
	if err := newS3(t, cfg, nil).Write(ctx, state.New("shop", "dev")); err != nil {
		t.Fatal(err)
	}
	const n = 8
	var backends [n]*state.ObjectBackend
	var states [n]*state.State
	for i := range n {
		backends[i] = newS3(t, cfg, nil)
		s, err := backends[i].Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		states[i] = s
	}
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() { errs[i] = backends[i].Write(ctx, states[i]) })
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		if err == nil {
			won++
		}
	}
	if won != 1 {
		t.Errorf("%d of %d concurrent writers of the same read succeeded, want exactly 1: %v", won, n, errs)
	}
}

func TestS3Lock(t *testing.T) {
	t.Parallel()
	cfg := newBucket(t, true)
	ctx := t.Context()
	a, b := newS3(t, cfg, nil), newS3(t, cfg, nil)
	unlock, err := a.Lock(ctx, state.LockInfo{Operation: "apply", Who: "alice", Host: "ci-1"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = b.Lock(ctx, state.LockInfo{Operation: "plan"})
	var le *state.LockedError
	if !errors.As(err, &le) {
		t.Fatalf("second Lock = %v, want *state.LockedError", err)
	}
	msg := err.Error()
	for _, want := range []string{"alice@ci-1", "for apply", "stagecraft state unlock " + le.Info.ID, "s3://" + cfg.Bucket} {
		if want == "s3://"+cfg.Bucket {
			if !strings.HasPrefix(le.Info.Path, want) {
				t.Errorf("lock path %q, want under %s", le.Info.Path, want)
			}
			continue
		}
		if !strings.Contains(msg, want) {
			t.Errorf("lock error %q lacks %q", msg, want)
		}
	}
	if err := b.ForceUnlock(ctx, "not-the-id"); err == nil || !strings.Contains(err.Error(), "does not match") {
		t.Errorf("ForceUnlock with a wrong id = %v", err)
	}
	if err := unlock(); err != nil {
		t.Fatal(err)
	}
	if err := b.ForceUnlock(ctx, le.Info.ID); err == nil || !strings.Contains(err.Error(), "not locked") {
		t.Errorf("ForceUnlock of a free lock = %v", err)
	}
	// A lock left behind by a killed holder is broken by its id.
	if _, err := a.Lock(ctx, state.LockInfo{Operation: "apply"}); err != nil {
		t.Fatal(err)
	}
	_, err = b.Lock(ctx, state.LockInfo{Operation: "apply"})
	if !errors.As(err, &le) {
		t.Fatalf("Lock of a held lock = %v", err)
	}
	if err := b.ForceUnlock(ctx, le.Info.ID); err != nil {
		t.Fatal(err)
	}
	unlockB, err := b.Lock(ctx, state.LockInfo{Operation: "apply"})
	if err != nil {
		t.Fatalf("Lock after the force-unlock: %v", err)
	}
	if err := unlockB(); err != nil {
		t.Fatal(err)
	}
}

// TestS3LockRace: many runners lock at once; exactly one gets it and the
// others are told who holds it.
func TestS3LockRace(t *testing.T) {
	t.Parallel()
	cfg := newBucket(t, false)
	ctx := t.Context()
	const n = 10
	var wg sync.WaitGroup
	var mu sync.Mutex
	var unlocks []func() error
	locked := 0
	for i := range n {
		wg.Go(func() {
			unlock, err := newS3(t, cfg, nil).Lock(ctx, state.LockInfo{Operation: "apply", Who: "runner", PID: i + 1})
			mu.Lock()
			defer mu.Unlock()
			var le *state.LockedError
			switch {
			case err == nil:
				unlocks = append(unlocks, unlock)
			case errors.As(err, &le):
				if le.Info.Who != "runner" {
					t.Errorf("lock error names %+v, want a runner", le.Info)
				}
				locked++
			default:
				t.Errorf("Lock: %v", err)
			}
		})
	}
	wg.Wait()
	if len(unlocks) != 1 || locked != n-1 {
		t.Errorf("%d runners got the lock and %d were refused; want 1 and %d", len(unlocks), locked, n-1)
	}
	for _, u := range unlocks {
		if err := u(); err != nil {
			t.Error(err)
		}
	}
}

func TestS3History(t *testing.T) {
	t.Parallel()
	cfg := newBucket(t, true)
	ctx := t.Context()
	b := newS3(t, cfg, nil)
	s := state.New("shop", "dev")
	for _, addr := range []string{"cache.a", "cache.b", "cache.c"} {
		s.Set(testResource(t, addr))
		if err := b.Write(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	vs, err := state.History(ctx, b, 0)
	if err != nil {
		t.Fatal(err)
	}
	var serials []uint64
	for _, v := range vs {
		if v.Err != nil {
			t.Errorf("version %s: %v", v.ID, v.Err)
		}
		serials = append(serials, v.Serial)
	}
	if !cmp.Equal(serials, []uint64{3, 2, 1}) || !vs[0].Latest {
		t.Fatalf("history serials = %v (latest first: %v), want [3 2 1]", serials, vs[0].Latest)
	}
	old, err := b.Version(ctx, vs[2].ID)
	if err != nil || old.Serial != 1 || !cmp.Equal(addresses(old), []string{"cache.a"}) {
		t.Errorf("version %s = %v, %v", vs[2].ID, old, err)
	}
	if _, err := b.Version(ctx, "no-such-version"); err == nil || !strings.Contains(err.Error(), "state history") {
		t.Errorf("unknown version: %v", err)
	}
	if vs, err := state.History(ctx, b, 2); err != nil || len(vs) != 2 {
		t.Errorf("state.History limited to 2 = %d versions, %v", len(vs), err)
	}

	plain := newBucket(t, false)
	pb := newS3(t, plain, nil)
	if err := pb.Write(ctx, state.New("shop", "dev")); err != nil {
		t.Fatal(err)
	}
	if _, err := state.History(ctx, pb, 0); err == nil || !strings.Contains(err.Error(), "versioning is not enabled") {
		t.Errorf("state.History without bucket versioning = %v", err)
	}
}

// TestS3Replace: Replace (state push, migrate-state) keeps the serial it
// is given and refuses another lineage unless forced.
func TestS3Replace(t *testing.T) {
	t.Parallel()
	cfg := newBucket(t, true)
	ctx := context.Background()
	b := newS3(t, cfg, nil)
	cur := state.New("shop", "dev")
	cur.Set(testResource(t, "cache.a"))
	for range 3 {
		if err := b.Write(ctx, cur); err != nil {
			t.Fatal(err)
		}
	}
	other := state.New("shop", "dev")
	// Replace keeps the serial given.
	if _, err := b.Read(ctx); err != nil {
		t.Fatal(err)
	}
	pushed := cur.Clone()
	pushed.Serial = 10
	if err := state.Replace(ctx, b, pushed, false); err != nil {
		t.Fatal(err)
	}
	got, err := newS3(t, cfg, nil).Read(ctx)
	if err != nil || got.Serial != 10 || got.Lineage != cur.Lineage {
		t.Fatalf("after state.Replace: %v, %v", got, err)
	}
	if err := state.Replace(ctx, b, other, false); err == nil {
		t.Error("state.Replace with another lineage, not forced: no error")
	}
	if err := state.Replace(ctx, b, other, true); err != nil {
		t.Fatalf("forced state.Replace: %v", err)
	}
	if got, _ := newS3(t, cfg, nil).Read(ctx); got.Lineage != other.Lineage {
		t.Errorf("after a forced state.Replace the lineage is %s, want %s", got.Lineage, other.Lineage)
	}
}

func TestS3MissingBucket(t *testing.T) {
	t.Parallel()
	cfg := Config{Bucket: "no-such-bucket", Key: "shop/dev.json", Region: "us-east-1", EndpointURL: motoURL(t)}
	b := newS3(t, cfg, nil)
	ctx := t.Context()
	if _, err := b.Read(ctx); err == nil || !strings.Contains(err.Error(), "the bucket no-such-bucket does not exist") {
		t.Errorf("Read = %v", err)
	}
	if _, err := b.Lock(ctx, state.LockInfo{}); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("Lock = %v", err)
	}
}

// TestS3NoCredentials: without credentials the backend says so, and where
// they come from, before any request.
func TestS3NoCredentials(t *testing.T) {
	t.Parallel()
	none := aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{}, errors.New("no credentials in this test")
	})
	cfg := Config{Bucket: "b", Key: "shop/dev.json", Region: "us-east-1", EndpointURL: "http://127.0.0.1:1", Credentials: none}
	_, err := New(t.Context(), cfg, "dev", nil)
	if err == nil || !strings.Contains(err.Error(), "no AWS credentials; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY") {
		t.Errorf("New without credentials = %v", err)
	}
}
