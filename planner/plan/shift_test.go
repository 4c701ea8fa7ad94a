package plan

import (
	"testing"
	"time"
)

// TestShiftGateNamesWhatIsMeasured: a shift's description promises the
// checks its provider measures and no others.
func TestShiftGateNamesWhatIsMeasured(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		signals []string
		want    string
	}{
		"health and 5xx": {[]string{"health", "5xx"}, "gate: healthy, 5xx < 1% for 30s each"},
		"health only":    {[]string{"health"}, "gate: healthy for 30s each"},
		"5xx only":       {[]string{"5xx"}, "gate: 5xx < 1% for 30s each"},
		"nothing":        {[]string{}, "no gate: the provider measures neither health nor errors"},
		"saved before":   {nil, "gate: healthy, 5xx < 1% for 30s each"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			sp := &ShiftPath{Bake: 30 * time.Second, MaxErrorRate: 0.01, Signals: tc.signals}
			if got := sp.Gate(); got != tc.want {
				t.Errorf("Gate() = %q, want %q", got, tc.want)
			}
		})
	}
}
