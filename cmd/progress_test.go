package cmd

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stagecraft/stagecraft/planner/apply"
)

// escapes matches the terminal control sequences of the live view.
var escapes = regexp.MustCompile("\x1b\\[[0-9;]*[A-Za-z]")

// TestProgressFitsWidth: the live view's lines fit the terminal, since a
// line that wraps is not erased at the next redraw.
func TestProgressFitsWidth(t *testing.T) {
	t.Parallel()
	const addr = "autoscaling_group.a_group_with_a_rather_long_name[\"eu-west-1\"]"
	tests := map[string]struct {
		width int
		want  string // the live line, control sequences left out
	}{
		"wide":   {width: 120, want: "  " + addr + ": creating... 2.5s"},
		"narrow": {width: 40, want: "  autoscaling_group.a_group_with_a_rat…"},
		"tiny":   {width: 2, want: "…"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			p := newProgress(&buf, true, true, tc.width)
			p.mu.Lock()
			p.now = func() time.Time { return start }
			p.mu.Unlock()
			p.event(apply.Event{Address: addr, Operation: "creating", Phase: apply.PhaseStart})
			p.mu.Lock()
			p.now = func() time.Time { return start.Add(2500 * time.Millisecond) }
			p.redraw()
			p.mu.Unlock()
			p.stop()
			lines := strings.Split(strings.TrimSuffix(escapes.ReplaceAllString(buf.String(), ""), "\n"), "\n")
			for _, l := range lines {
				if n := utf8.RuneCountInString(l); n >= tc.width {
					t.Errorf("a line of %d columns on a terminal of %d: %q", n, tc.width, l)
				}
			}
			if last := lines[len(lines)-1]; last != tc.want {
				t.Errorf("live line %q, want %q", last, tc.want)
			}
		})
	}
}
