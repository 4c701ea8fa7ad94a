package planfile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stagecraft/stagecraft/planner/plan"
	"github.com/stagecraft/stagecraft/stacks"
	"github.com/stagecraft/stagecraft/stacks/addrs"
	"github.com/stagecraft/stagecraft/state"
	"github.com/zclconf/go-cty/cty"
)

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "tfplan")
	p := &plan.Plan{Lineage: "L", Serial: 4, StackHash: "sha256:abc", Environment: "dev", TargetStage: "green",
		Changes: []*plan.Change{{Address: addrs.MustParse("cache.sessions"), Kind: "cache", Action: plan.ActionCreate,
			After: cty.ObjectVal(map[string]cty.Value{"engine": cty.StringVal("redis")})}}}
	f := New(p, "dev", []stacks.VarInput{{Name: "port", Value: "8080"}}, time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC))
	if err := Write(path, f, nil); err != nil {
		t.Fatal(err)
	}
	got, err := Read(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.Lineage != "L" || got.Serial != 4 || got.StackHash != "sha256:abc" || got.Environment != "dev" || got.Stage != "green" || !got.CreatedAt.Equal(f.CreatedAt) {
		t.Errorf("envelope read back = %+v, want %+v", got, f)
	}
	if diff := cmp.Diff(f.Inputs, got.Inputs); diff != "" {
		t.Errorf("inputs (-want +got):\n%s", diff)
	}
	if len(got.Plan.Changes) != 1 || !got.Plan.Changes[0].After.RawEquals(p.Changes[0].After) {
		t.Errorf("plan read back = %+v, want the change to cache.sessions", got.Plan.Changes)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(data), "stagecraft-plan v1\n{") {
		t.Errorf("plan file starts %q, want the header line then JSON", data[:min(len(data), 30)])
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("plan file mode %o, want 600", fi.Mode().Perm())
	}
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) != 1 {
		t.Errorf("files next to the plan: %v (%v), want only tfplan", entries, err)
	}
}

// TestReadsSavedFile: a plan file saved by `plan -out` before the format
// moved here (testdata/v1.plan) still loads, and writing it back gives
// the same bytes: the format did not change.
func TestReadsSavedFile(t *testing.T) {
	t.Parallel()
	saved := filepath.Join("testdata", "v1.plan")
	f, err := Read(saved, nil)
	if err != nil {
		t.Fatal(err)
	}
	if f.Environment != "dev" || f.Plan == nil || len(f.Plan.Changes) == 0 {
		t.Fatalf("Read(%s) = %+v, want a plan for dev with changes", saved, f)
	}
	path := filepath.Join(t.TempDir(), "again.plan")
	if err := Write(path, f, nil); err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(saved)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("the plan file written back differs (-saved +written):\n%s", diff)
	}
}

func TestReadPlanFileErrors(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		content string
		want    string // %s is the file's path
	}{
		"a stack file":     {content: "cache \"sessions\" {\n}\n", want: "%s is not a stagecraft plan file"},
		"a state file":     {content: `{"format_version": 1, "lineage": "x"}`, want: "%s is not a stagecraft plan file"},
		"empty":            {content: "", want: "%s is not a stagecraft plan file"},
		"header only":      {content: "stagecraft-plan v1", want: "%s is not a stagecraft plan file"},
		"bad version":      {content: "stagecraft-plan vX\n{}", want: "%s is not a stagecraft plan file"},
		"newer version":    {content: "stagecraft-plan v2\n{\"format_version\":2}\n", want: "read plan file %s: plan format version 2 is newer than this stagecraft understands (1); upgrade stagecraft"},
		"damaged JSON":     {content: "stagecraft-plan v1\n{\"format_version\":1,", want: "read plan file %s: the file is damaged: unexpected end of JSON input"},
		"version mismatch": {content: "stagecraft-plan v1\n{\"format_version\":0}", want: "read plan file %s: the file is damaged: header says format version 1, content says 0"},
		"damaged plan":     {content: "stagecraft-plan v1\n{\"format_version\":1,\"plan\":{\"changes\":7}}", want: "%s is damaged: decode plan: json: cannot unmarshal number into Go struct field jsonPlan.changes of type []*plan.jsonChange"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "plan")
			if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := Read(path, nil)
			want := strings.ReplaceAll(tt.want, "%s", path)
			if err == nil || err.Error() != want {
				t.Errorf("Read error = %v\nwant %s", err, want)
			}
		})
	}
	missing := filepath.Join(t.TempDir(), "missing")
	_, err := Read(missing, nil)
	if !errors.Is(err, os.ErrNotExist) || err.Error() != "there is no plan file "+missing+"; save one with `stagecraft plan -out "+missing+"`" {
		t.Errorf("Read(missing) error = %v, want not exist, saying how to make one", err)
	}
}

func TestCheckFresh(t *testing.T) {
	t.Parallel()
	current := &state.State{Lineage: "L1", Serial: 4}
	tests := map[string]struct {
		plan      File
		current   *state.State
		stackHash string
		reason    StaleReason
		want      string
	}{
		"fresh": {
			plan: File{Lineage: "L1", Serial: 4, StackHash: "h1"}, current: current, stackHash: "h1",
		},
		"fresh with no state": {
			plan: File{StackHash: "h1"}, stackHash: "h1",
		},
		"state written since": {
			plan: File{Lineage: "L1", Serial: 3, StackHash: "h1"}, current: current, stackHash: "h1",
			reason: StaleSerial,
			want:   "stale plan: the state has changed since the plan was made (serial 4, plan made at serial 3); run plan again",
		},
		"stack files changed": {
			plan: File{Lineage: "L1", Serial: 4, StackHash: "h1"}, current: current, stackHash: "h2",
			reason: StaleStack,
			want:   "stale plan: the stack files have changed since the plan was made; run plan again",
		},
		"another state": {
			plan: File{Lineage: "L0", Serial: 4, StackHash: "h1"}, current: current, stackHash: "h1",
			reason: StaleLineage,
			want:   "stale plan: the plan was made for a different state (lineage L0, the current state has lineage L1); run plan again",
		},
		"made before the first apply, applied since": {
			plan: File{StackHash: "h1"}, current: current, stackHash: "h1",
			reason: StaleSerial,
			want:   "stale plan: the state has changed since the plan was made (there was no state then, now it is at serial 4); run plan again",
		},
		"state gone": {
			plan: File{Lineage: "L1", Serial: 4, StackHash: "h1"}, stackHash: "h1",
			reason: StaleLineage,
			want:   "stale plan: the plan was made for a different state (lineage L1, the current state has lineage none); run plan again",
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			err := tt.plan.CheckFresh(tt.current, tt.stackHash)
			if tt.reason == 0 {
				if err != nil {
					t.Errorf("CheckFresh = %v, want fresh", err)
				}
				return
			}
			var stale *StalePlanError
			if !errors.As(err, &stale) {
				t.Fatalf("CheckFresh = %v, want *StalePlanError", err)
			}
			if stale.Reason != tt.reason || err.Error() != tt.want {
				t.Errorf("CheckFresh = reason %d %q\nwant reason %d %q", stale.Reason, err, tt.reason, tt.want)
			}
		})
	}
}
