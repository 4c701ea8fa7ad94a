package state

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestPlanFileRoundTrip(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "tfplan")
	pf := &PlanFile{
		Lineage: "L", Serial: 4, StackHash: "sha256:abc",
		Environment: "dev", Stage: "green",
		CreatedAt: time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC),
		Plan:      json.RawMessage(`{"changes":[{"address":"cache.sessions","action":"create"}]}`),
	}
	if err := WritePlanFile(path, pf); err != nil {
		t.Fatal(err)
	}
	got, err := ReadPlanFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := *pf
	want.FormatVersion = PlanFormatVersion
	if diff := cmp.Diff(&want, got); diff != "" {
		t.Errorf("plan file round trip (-want +got):\n%s", diff)
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
	if diff := cmp.Diff([]string{"tfplan"}, dirNames(t, dir)); diff != "" {
		t.Errorf("files next to the plan (-want +got):\n%s", diff)
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
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "plan")
			if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := ReadPlanFile(path)
			want := strings.ReplaceAll(tt.want, "%s", path)
			if err == nil || err.Error() != want {
				t.Errorf("ReadPlanFile error = %v\nwant %s", err, want)
			}
		})
	}
	missing := filepath.Join(t.TempDir(), "missing")
	_, err := ReadPlanFile(missing)
	if !errors.Is(err, os.ErrNotExist) || err.Error() != "there is no plan file "+missing+"; save one with `stagecraft plan -out "+missing+"`" {
		t.Errorf("ReadPlanFile(missing) error = %v, want not exist, saying how to make one", err)
	}
}

func TestCheckFresh(t *testing.T) {
	t.Parallel()
	current := &State{Lineage: "L1", Serial: 4}
	tests := map[string]struct {
		plan      PlanFile
		current   *State
		stackHash string
		reason    StaleReason
		want      string
	}{
		"fresh": {
			plan: PlanFile{Lineage: "L1", Serial: 4, StackHash: "h1"}, current: current, stackHash: "h1",
		},
		"fresh with no state": {
			plan: PlanFile{StackHash: "h1"}, stackHash: "h1",
		},
		"state written since": {
			plan: PlanFile{Lineage: "L1", Serial: 3, StackHash: "h1"}, current: current, stackHash: "h1",
			reason: StaleSerial,
			want:   "stale plan: the state has changed since the plan was made (serial 4, plan made at serial 3); run plan again",
		},
		"stack files changed": {
			plan: PlanFile{Lineage: "L1", Serial: 4, StackHash: "h1"}, current: current, stackHash: "h2",
			reason: StaleStack,
			want:   "stale plan: the stack files have changed since the plan was made; run plan again",
		},
		"another state": {
			plan: PlanFile{Lineage: "L0", Serial: 4, StackHash: "h1"}, current: current, stackHash: "h1",
			reason: StaleLineage,
			want:   "stale plan: the plan was made for a different state (lineage L0, the current state has lineage L1); run plan again",
		},
		"made before the first apply, applied since": {
			plan: PlanFile{StackHash: "h1"}, current: current, stackHash: "h1",
			reason: StaleSerial,
			want:   "stale plan: the state has changed since the plan was made (there was no state then, now it is at serial 4); run plan again",
		},
		"state gone": {
			plan: PlanFile{Lineage: "L1", Serial: 4, StackHash: "h1"}, stackHash: "h1",
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
