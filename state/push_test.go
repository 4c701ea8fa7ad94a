package state

import (
	"strings"
	"testing"
)

// TestCheckPush: state push and migrate-state refuse a state of another
// lineage or an older serial unless forced.
func TestCheckPush(t *testing.T) {
	t.Parallel()
	cur := New("shop", "dev")
	cur.Serial = 3
	other := New("shop", "dev")
	older := cur.Clone()
	older.Serial = 1
	tests := map[string]struct {
		next  *State
		force bool
		want  string
	}{
		"same lineage, same serial": {next: cur.Clone()},
		"another lineage":           {next: other, want: "different states"},
		"another lineage, forced":   {next: other, force: true},
		"lower serial":              {next: older, want: "lower than the stored serial 3"},
		"lower serial, forced":      {next: older, force: true},
		"no lineage":                {next: &State{Environment: "dev"}, force: true, want: "no lineage"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			err := CheckPush(cur, tc.next, tc.force)
			if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
				t.Errorf("CheckPush = %v, want %q", err, tc.want)
			}
		})
	}
}
