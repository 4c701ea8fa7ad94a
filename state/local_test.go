package state

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stagecraft/stagecraft/stacks/addrs"
)

// dirNames lists the names in dir, sorted.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	des, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, de := range des {
		names = append(names, de.Name())
	}
	slices.Sort(names)
	return names
}

// written returns a local backend in a fresh directory whose state has been
// written once (serial 1), as the planner does before its first journal.
func written(t *testing.T) (*Local, *State) {
	t.Helper()
	l := NewLocal(filepath.Join(t.TempDir(), ".stagecraft", "state"), "dev")
	s := New("shop", "dev")
	s.Set(testResource(t, "cache.sessions"))
	if err := l.Write(t.Context(), s); err != nil {
		t.Fatal(err)
	}
	return l, s
}

func TestLocalReadNothing(t *testing.T) {
	t.Parallel()
	l := NewLocal(filepath.Join(t.TempDir(), "missing"), "dev")
	s, err := l.Read(t.Context())
	if s != nil || err != nil {
		t.Errorf("Read of an empty backend = %v, %v; want nil, nil", s, err)
	}
	rec, err := l.Recover(t.Context())
	if rec != nil || err != nil {
		t.Errorf("Recover of an empty backend = %v, %v; want nil, nil", rec, err)
	}
}

func TestLocalWriteRead(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	dir := filepath.Join(t.TempDir(), ".stagecraft", "state")
	l := NewLocal(dir, "dev")
	s := goldenState(t)
	s.Serial = 0
	for want := uint64(1); want <= 3; want++ {
		if err := l.Write(ctx, s); err != nil {
			t.Fatal(err)
		}
		if s.Serial != want {
			t.Errorf("after write %d, s.Serial = %d", want, s.Serial)
		}
		got, err := l.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(s, got); diff != "" {
			t.Errorf("Read after write %d differs (-want +got):\n%s", want, diff)
		}
	}
	// The atomic write leaves no temporary files behind.
	if diff := cmp.Diff([]string{"dev.json"}, dirNames(t, dir)); diff != "" {
		t.Errorf("files in the state directory (-want +got):\n%s", diff)
	}
	fi, err := os.Stat(l.StatePath())
	if err != nil {
		t.Fatal(err)
	}
	if mode := fi.Mode().Perm(); mode != 0o600 {
		t.Errorf("state file mode %o, want 600", mode)
	}
	di, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if mode := di.Mode().Perm(); mode&^0o755 != 0 || mode&0o700 != 0o700 {
		t.Errorf("state directory mode %o, want 755 (less the umask)", mode)
	}
}

func TestLocalWriteRefuses(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		change func(s *State) *State
		want   string
	}{
		"another lineage": {
			change: func(*State) *State { return New("shop", "dev") },
			want:   "refusing to overwrite a different state",
		},
		"an older serial": {
			change: func(s *State) *State { c := s.Clone(); c.Serial--; return c },
			want:   "the stored state has serial 1, newer than serial 0 being written",
		},
		"another environment": {
			change: func(s *State) *State { c := s.Clone(); c.Environment = "prod"; return c },
			want:   `the state is for environment "prod"`,
		},
		"no lineage": {
			change: func(s *State) *State { c := s.Clone(); c.Lineage = ""; return c },
			want:   "the state has no lineage",
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			l, s := written(t)
			err := l.Write(t.Context(), tt.change(s))
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), l.StatePath()) {
				t.Errorf("Write error = %v, want one naming %s and saying %q", err, l.StatePath(), tt.want)
			}
			got, err := l.Read(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(s, got); diff != "" {
				t.Errorf("a refused write changed the state (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLocalReadNewerFormat(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	l := NewLocal(dir, "dev")
	if err := os.WriteFile(l.StatePath(), []byte(`{"format_version": 9, "lineage": "x"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := l.Read(t.Context())
	want := "read state " + l.StatePath() + ": state format version 9 is newer than this stagecraft understands (1); upgrade stagecraft"
	if err == nil || err.Error() != want {
		t.Errorf("Read error = %v\nwant %s", err, want)
	}
}

// TestLocalJournalCrash simulates an apply that dies after journaling: a
// new backend on the same directory (the next run) sees what was done.
func TestLocalJournalCrash(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	l, s := written(t)
	j := openJournal(t, ctx, l)
	mustAppend(t, ctx, j, IntentEntry(addrs.MustParse("queue.jobs"), "create", nil))
	if err := j.AppendBatch(ctx, []JournalEntry{
		IntentEntry(addrs.MustParse("db.main"), "create", nil),
		SetEntry(testResource(t, "db.main")),
		StageEntry("green"),
	}); err != nil {
		t.Fatal(err)
	}
	// The process dies here: no Write, no Close.

	next := NewLocal(l.dir, "dev")
	rec, err := next.Recover(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := replaySummary{
		Resources: []string{"cache.sessions=i-cache.sessions", "db.main=i-db.main"},
		Stage:     "green", Serial: s.Serial + 1, Replayed: 4,
		Pending: []string{"create queue.jobs"},
	}
	if diff := cmp.Diff(want, summarise(rec)); diff != "" {
		t.Errorf("recovered state (-want +got):\n%s", diff)
	}

	// A torn write at the end is ignored, and cut off when the next apply
	// reopens the journal; its resume marker makes the serial one higher.
	appendFile(t, l.JournalPath(), `{"seq":5,"op":"set","addr`)
	rec2, err := next.Recover(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, summarise(rec2)); diff != "" {
		t.Errorf("recovered state with a torn line (-want +got):\n%s", diff)
	}
	j2 := openJournal(t, ctx, next)
	mustAppend(t, ctx, j2, SetEntry(testResource(t, "queue.jobs")))
	rec3, err := next.Recover(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want3 := replaySummary{
		Resources: []string{"cache.sessions=i-cache.sessions", "db.main=i-db.main", "queue.jobs=i-queue.jobs"},
		Stage:     "green", Serial: s.Serial + 2, Replayed: 5,
	}
	if diff := cmp.Diff(want3, summarise(rec3)); diff != "" {
		t.Errorf("recovered state after a second apply (-want +got):\n%s", diff)
	}

	// Writing the recovered state clears the journal into a fresh one.
	final := rec3.State
	if err := next.Write(ctx, final); err != nil {
		t.Fatal(err)
	}
	if final.Serial != s.Serial+3 {
		t.Errorf("serial after write = %d, want %d", final.Serial, s.Serial+3)
	}
	got, err := next.Recover(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got.Replayed != 0 || got.State.Serial != final.Serial || len(got.PendingIntents) != 0 {
		t.Errorf("after Write, Recover = %+v; want the written state and an empty journal", summarise(got))
	}
	// The open journal keeps working against the new state.
	mustAppend(t, ctx, j2, RemoveEntry(addrs.MustParse("queue.jobs"), ""))
	after, err := next.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := after.Resource(addrs.MustParse("queue.jobs")); ok || after.Serial != final.Serial+1 {
		t.Errorf("after Write and one more entry: serial %d, queue.jobs present %v; want serial %d and queue.jobs removed", after.Serial, ok, final.Serial+1)
	}
}

// openJournal opens l's journal for the test, closed when it ends (a
// journal closed twice does not mind).
func openJournal(t *testing.T, ctx context.Context, l *Local) Journal {
	t.Helper()
	j, err := l.Journal(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	return j
}

// mustAppend appends e to j, failing the test when it cannot.
func mustAppend(t *testing.T, ctx context.Context, j Journal, e JournalEntry) {
	t.Helper()
	if err := j.Append(ctx, e); err != nil {
		t.Fatal(err)
	}
}

func appendFile(t *testing.T, path, text string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(text); err != nil {
		t.Fatal(err)
	}
}

func TestLocalJournalCorruptMiddleLine(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	l, _ := written(t)
	j := openJournal(t, ctx, l)
	mustAppend(t, ctx, j, StageEntry("green"))
	appendFile(t, l.JournalPath(), "{not json\n")
	mustAppend(t, ctx, j, StageEntry("blue"))
	j.Close()
	_, err := l.Read(ctx)
	want := "read journal " + l.JournalPath() + ": line 3: "
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("Read error = %v, want it to start with %q", err, want)
	}
}

func TestLocalWriteWithoutJournalRemovesIt(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	l, s := written(t)
	j := openJournal(t, ctx, l)
	mustAppend(t, ctx, j, StageEntry("green"))
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	if err := j.Append(ctx, StageEntry("blue")); err == nil {
		t.Error("Append after Close succeeded")
	}
	s.Stage = "green"
	s.Serial++ // as Read would have reported after replaying
	if err := l.Write(ctx, s); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(l.JournalPath()); !os.IsNotExist(err) {
		t.Errorf("journal still there after Write: %v", err)
	}
}

// TestLocalStaleJournalIgnored covers a crash between writing the state and
// clearing the journal: the journal names an older serial and must not be
// applied a second time.
func TestLocalStaleJournalIgnored(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	l, s := written(t)
	j := openJournal(t, ctx, l)
	mustAppend(t, ctx, j, RemoveEntry(addrs.MustParse("cache.sessions"), ""))
	j.Close()
	stale, err := os.ReadFile(l.JournalPath())
	if err != nil {
		t.Fatal(err)
	}
	// The apply re-adds the resource and writes; then the journal is put
	// back as if clearing it had not happened.
	if err := l.Write(ctx, s); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(l.JournalPath(), stale, 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := l.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := got.Resource(addrs.MustParse("cache.sessions")); !ok || got.Serial != s.Serial {
		t.Errorf("stale journal was replayed: serial %d (want %d), cache.sessions present %v", got.Serial, s.Serial, ok)
	}
}

func TestLocalJournalNeedsState(t *testing.T) {
	t.Parallel()
	l := NewLocal(t.TempDir(), "dev")
	_, err := l.Journal(t.Context())
	if err == nil || !strings.Contains(err.Error(), "write the state before journaling") {
		t.Errorf("Journal without a state: error = %v", err)
	}
}

func TestLocalJournalOnlyOne(t *testing.T) {
	t.Parallel()
	l, _ := written(t)
	openJournal(t, t.Context(), l)
	if _, err := l.Journal(t.Context()); err == nil || !strings.Contains(err.Error(), "already open") {
		t.Errorf("second Journal: error = %v, want already open", err)
	}
}

func TestLocalJournalRejectsBadEntries(t *testing.T) {
	t.Parallel()
	l, _ := written(t)
	j := openJournal(t, t.Context(), l)
	tests := map[string]JournalEntry{
		"base":            {Op: OpBase, Lineage: "x"},
		"resume":          {Op: OpResume},
		"set without res": {Op: OpSet, Address: addrs.MustParse("a.b")},
		"unknown op":      {Op: "explode"},
		"bad attributes":  SetEntry(&Resource{Address: addrs.MustParse("a.b"), Attributes: []byte("{oops")}),
	}
	for name, e := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if err := j.Append(t.Context(), e); err == nil {
				t.Errorf("Append(%+v) succeeded", e)
			}
		})
	}
	// Rejected entries leave the journal usable.
	if err := j.Append(t.Context(), StageEntry("ok")); err != nil {
		t.Errorf("Append after rejected entries: %v", err)
	}
}

func TestLocalInvalidEnvironment(t *testing.T) {
	t.Parallel()
	for _, env := range []string{"", "../prod", ".hidden", `a\b`} {
		t.Run(env, func(t *testing.T) {
			t.Parallel()
			l := NewLocal(t.TempDir(), env)
			if _, err := l.Read(context.Background()); err == nil || !strings.Contains(err.Error(), "invalid environment name") {
				t.Errorf("Read with environment %q: error = %v", env, err)
			}
		})
	}
}

// TestLocalPersistsAfterCancel covers Ctrl-C during an apply: the context
// is cancelled, but what finished must still be recorded.
func TestLocalPersistsAfterCancel(t *testing.T) {
	t.Parallel()
	l, s := written(t)
	ctx, cancel := context.WithCancel(t.Context())
	j := openJournal(t, ctx, l)
	cancel()
	if err := j.Append(ctx, SetEntry(testResource(t, "queue.jobs"))); err != nil {
		t.Errorf("Append after cancel: %v", err)
	}
	got, err := l.Read(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := got.Resource(addrs.MustParse("queue.jobs")); !ok {
		t.Error("the entry appended after cancel was lost")
	}
	if err := l.Write(ctx, got); err != nil {
		t.Errorf("Write after cancel: %v", err)
	}
	if got.Serial != s.Serial+2 {
		t.Errorf("serial after write = %d, want %d", got.Serial, s.Serial+2)
	}
}

// TestLocalJournalConcurrentAppends covers a parallel apply: goroutines
// appending at once lose nothing and get increasing sequence numbers.
func TestLocalJournalConcurrentAppends(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	l, _ := written(t)
	j := openJournal(t, ctx, l)
	const workers, each = 8, 25
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				r := res(fmt.Sprintf("cache.w%d_%02d", w, i), "id")
				var err error
				if i%5 == 0 {
					err = j.AppendBatch(ctx, []JournalEntry{IntentEntry(r.Address, "create", nil), SetEntry(r)})
				} else {
					err = j.Append(ctx, SetEntry(r))
				}
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	data, err := os.ReadFile(l.JournalPath())
	if err != nil {
		t.Fatal(err)
	}
	entries, _, err := DecodeJournal(data)
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range entries {
		if e.Seq != uint64(i+1) {
			t.Fatalf("entry %d has seq %d, want %d", i, e.Seq, i+1)
		}
	}
	rec, err := l.Recover(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(rec.State.Resources), 1+workers*each; got != want || len(rec.PendingIntents) != 0 {
		t.Errorf("recovered %d resources and %d pending intents, want %d and 0", got, len(rec.PendingIntents), want)
	}
}

func TestWriteFileAtomicFailureLeavesNoTemp(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	// Renaming a file over a non-empty directory fails.
	target := filepath.Join(dir, "dev.json")
	if err := os.MkdirAll(filepath.Join(target, "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := WriteFileAtomic(target, []byte("{}")); err == nil {
		t.Fatal("WriteFileAtomic over a directory succeeded")
	}
	if diff := cmp.Diff([]string{"dev.json"}, dirNames(t, dir)); diff != "" {
		t.Errorf("files left after a failed write (-want +got):\n%s", diff)
	}
}
