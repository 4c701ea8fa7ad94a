package state

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stagecraft/stagecraft/stacks/addrs"
)

// replayBase is the persisted state the replay tests start from.
func replayBase() *State {
	s := &State{FormatVersion: FormatVersion, Lineage: "L", Serial: 3, Stack: "shop", Environment: "dev", Stage: "blue"}
	s.Set(&Resource{Address: addrs.MustParse("cache.sessions"), ID: "i-old", Attributes: json.RawMessage(`{}`)})
	s.Set(&Resource{Address: addrs.MustParse("service.web"), ID: "i-web", Attributes: json.RawMessage(`{}`)})
	s.Outputs = map[string]*Output{"url": {Value: json.RawMessage(`"a"`), Type: json.RawMessage(`"string"`)}}
	return s
}

func res(addr, id string) *Resource {
	return &Resource{Address: addrs.MustParse(addr), ID: id, Attributes: json.RawMessage(`{}`)}
}

func mustEntry(t *testing.T) func(JournalEntry, error) JournalEntry {
	return func(e JournalEntry, err error) JournalEntry {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
}

// replaySummary is what the replay tests compare: resources as address=id,
// the stage, the serial, output names, pending intents as
// "action address id" and note keys.
type replaySummary struct {
	Resources []string
	Deposed   []string
	Stage     string
	Serial    uint64
	Outputs   []string
	Pending   []string
	Notes     []string
	Replayed  int
}

func summarise(rec *Recovery) replaySummary {
	var sum replaySummary
	for _, r := range rec.State.Resources {
		sum.Resources = append(sum.Resources, r.Address.String()+"="+r.ID)
	}
	for _, r := range rec.State.Deposed {
		sum.Deposed = append(sum.Deposed, r.Address.String()+"="+r.ID)
	}
	sum.Stage, sum.Serial = rec.State.Stage, rec.State.Serial
	sum.Outputs = slices.Sorted(maps.Keys(rec.State.Outputs))
	for _, p := range rec.PendingIntents {
		sum.Pending = append(sum.Pending, strings.TrimSpace(p.Action+" "+p.Address.String()+" "+p.ID))
	}
	for _, n := range rec.Notes {
		sum.Notes = append(sum.Notes, n.Key)
	}
	sum.Replayed = rec.Replayed
	return sum
}

func TestReplay(t *testing.T) {
	t.Parallel()
	must := mustEntry(t)
	base := baseEntry("L", 3)
	unchanged := replaySummary{
		Resources: []string{"cache.sessions=i-old", "service.web=i-web"},
		Stage:     "blue", Serial: 3, Outputs: []string{"url"},
	}
	tests := map[string]struct {
		entries []JournalEntry
		want    replaySummary
		wantErr string
	}{
		"no journal": {
			want: unchanged,
		},
		"only the base entry": {
			entries: []JournalEntry{base},
			want:    unchanged,
		},
		"journal of an older serial is ignored": {
			entries: []JournalEntry{baseEntry("L", 2), RemoveEntry(addrs.MustParse("service.web"), "")},
			want:    unchanged,
		},
		"journal of another lineage is an error": {
			entries: []JournalEntry{baseEntry("OTHER", 3), RemoveEntry(addrs.MustParse("service.web"), "")},
			wantErr: "journal was written for state lineage OTHER serial 3, but the state has lineage L serial 3",
		},
		"journal of a newer serial is an error": {
			entries: []JournalEntry{baseEntry("L", 4)},
			wantErr: "journal was written for state lineage L serial 4, but the state has lineage L serial 3",
		},
		"create finished": {
			entries: []JournalEntry{base, IntentEntry(addrs.MustParse("queue.jobs"), "create", nil), SetEntry(res("queue.jobs", "i-q"))},
			want: replaySummary{
				Resources: []string{"cache.sessions=i-old", "queue.jobs=i-q", "service.web=i-web"},
				Stage:     "blue", Serial: 4, Outputs: []string{"url"}, Replayed: 2,
			},
		},
		"create interrupted leaves a pending intent": {
			entries: []JournalEntry{base, IntentEntry(addrs.MustParse("queue.jobs"), "create", nil), IntentEntry(addrs.MustParse("db.main"), "create", nil), SetEntry(res("db.main", "i-db"))},
			want: replaySummary{
				Resources: []string{"cache.sessions=i-old", "db.main=i-db", "service.web=i-web"},
				Stage:     "blue", Serial: 4, Outputs: []string{"url"}, Replayed: 3,
				Pending: []string{"create queue.jobs"},
			},
		},
		"delete finished": {
			entries: []JournalEntry{base, IntentEntry(addrs.MustParse("service.web"), ActionDelete, res("service.web", "i-web")), RemoveEntry(addrs.MustParse("service.web"), "")},
			want: replaySummary{
				Resources: []string{"cache.sessions=i-old"},
				Stage:     "blue", Serial: 4, Outputs: []string{"url"}, Replayed: 2,
			},
		},
		"delete interrupted leaves a pending intent": {
			entries: []JournalEntry{base, IntentEntry(addrs.MustParse("service.web"), ActionDelete, res("service.web", "i-web"))},
			want: replaySummary{
				Resources: []string{"cache.sessions=i-old", "service.web=i-web"},
				Stage:     "blue", Serial: 4, Outputs: []string{"url"}, Replayed: 1,
				Pending: []string{"delete service.web i-web"},
			},
		},
		"delete that failed and kept the object resolves": {
			entries: []JournalEntry{base, IntentEntry(addrs.MustParse("service.web"), ActionDelete, res("service.web", "i-web")), SetEntry(res("service.web", "i-web"))},
			want: replaySummary{
				Resources: []string{"cache.sessions=i-old", "service.web=i-web"},
				Stage:     "blue", Serial: 4, Outputs: []string{"url"}, Replayed: 2,
			},
		},
		"create-before-destroy interrupted before the old object went": {
			entries: []JournalEntry{base,
				IntentEntry(addrs.MustParse("cache.sessions"), "create", nil),
				IntentEntry(addrs.MustParse("cache.sessions"), ActionDelete, res("cache.sessions", "i-old")),
				SetEntry(res("cache.sessions", "i-new")),
			},
			want: replaySummary{
				Resources: []string{"cache.sessions=i-new", "service.web=i-web"},
				Stage:     "blue", Serial: 4, Outputs: []string{"url"}, Replayed: 3,
				Pending: []string{"delete cache.sessions i-old"},
			},
		},
		"depose keeps the old copy on record until it is removed": {
			entries: []JournalEntry{base,
				DeposeEntry(addrs.MustParse("cache.sessions"), "i-old"),
				IntentEntry(addrs.MustParse("cache.sessions"), "create", nil),
				SetEntry(res("cache.sessions", "i-new")),
			},
			want: replaySummary{
				Resources: []string{"cache.sessions=i-new", "service.web=i-web"},
				Deposed:   []string{"cache.sessions=i-old"},
				Stage:     "blue", Serial: 4, Outputs: []string{"url"}, Replayed: 3,
			},
		},
		"removing a deposed copy by id keeps the new object": {
			entries: []JournalEntry{base,
				DeposeEntry(addrs.MustParse("cache.sessions"), "i-old"),
				IntentEntry(addrs.MustParse("cache.sessions"), "create", nil),
				SetEntry(res("cache.sessions", "i-new")),
				RemoveEntry(addrs.MustParse("cache.sessions"), "i-old"),
			},
			want: replaySummary{
				Resources: []string{"cache.sessions=i-new", "service.web=i-web"},
				Stage:     "blue", Serial: 4, Outputs: []string{"url"}, Replayed: 4,
			},
		},
		"depose of another id changes nothing": {
			entries: []JournalEntry{base, DeposeEntry(addrs.MustParse("cache.sessions"), "i-other")},
			want: replaySummary{
				Resources: []string{"cache.sessions=i-old", "service.web=i-web"},
				Stage:     "blue", Serial: 4, Outputs: []string{"url"}, Replayed: 1,
			},
		},
		"create-before-destroy finished keeps the new object": {
			entries: []JournalEntry{base,
				IntentEntry(addrs.MustParse("cache.sessions"), "create", nil),
				IntentEntry(addrs.MustParse("cache.sessions"), ActionDelete, res("cache.sessions", "i-old")),
				SetEntry(res("cache.sessions", "i-new")),
				RemoveEntry(addrs.MustParse("cache.sessions"), "i-old"),
			},
			want: replaySummary{
				Resources: []string{"cache.sessions=i-new", "service.web=i-web"},
				Stage:     "blue", Serial: 4, Outputs: []string{"url"}, Replayed: 4,
			},
		},
		"remove by id leaves other intents at the address": {
			entries: []JournalEntry{base,
				IntentEntry(addrs.MustParse("cache.sessions"), ActionDelete, res("cache.sessions", "i-old")),
				IntentEntry(addrs.MustParse("cache.sessions"), "create", nil),
				RemoveEntry(addrs.MustParse("cache.sessions"), "i-old"),
			},
			want: replaySummary{
				Resources: []string{"service.web=i-web"},
				Stage:     "blue", Serial: 4, Outputs: []string{"url"}, Replayed: 3,
				Pending: []string{"create cache.sessions"},
			},
		},
		"stage, outputs and notes": {
			entries: []JournalEntry{base,
				StageEntry("green"),
				must(NoteEntry("migration.web", map[string]int{"step": 1})),
				must(OutputEntry("url", nil)),
				must(OutputEntry("admin", &Output{Value: json.RawMessage(`"b"`), Type: json.RawMessage(`"string"`)})),
				must(NoteEntry("migration.web", map[string]int{"step": 2})),
			},
			want: replaySummary{
				Resources: []string{"cache.sessions=i-old", "service.web=i-web"},
				Stage:     "green", Serial: 4, Outputs: []string{"admin"}, Replayed: 5,
				Notes: []string{"migration.web", "migration.web"},
			},
		},
		"every resume marker counts one more serial": {
			entries: []JournalEntry{base,
				SetEntry(res("queue.jobs", "i-q")),
				{Op: OpResume},
				RemoveEntry(addrs.MustParse("queue.jobs"), ""),
				{Op: OpResume},
			},
			want: replaySummary{
				Resources: []string{"cache.sessions=i-old", "service.web=i-web"},
				Stage:     "blue", Serial: 6, Outputs: []string{"url"}, Replayed: 2,
			},
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			b := replayBase()
			rec, err := Replay(b, tt.entries)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Replay error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, summarise(rec)); diff != "" {
				t.Errorf("replayed state (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(replayBase(), b); diff != "" {
				t.Errorf("Replay changed the base state (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReplayWithoutState(t *testing.T) {
	t.Parallel()
	_, err := Replay(nil, []JournalEntry{baseEntry("L", 1)})
	if err == nil || !strings.Contains(err.Error(), "but there is no state") {
		t.Errorf("Replay(nil, journal) error = %v, want one saying there is no state", err)
	}
	rec, err := Replay(nil, nil)
	if err != nil || rec.State != nil {
		t.Errorf("Replay(nil, nil) = %+v, %v; want a nil state", rec, err)
	}
}
