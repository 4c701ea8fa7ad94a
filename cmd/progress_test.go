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

// TestProgressHeartbeat: in a log, an operation that runs long gets a
// line every heartbeat interval with its elapsed time and the provider's
// latest status, and none before; on a terminal the live line shows the
// same. The clock is a fake one, moved by hand.
func TestProgressHeartbeat(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	clock := start
	setClock := func(p *progress, d time.Duration) {
		p.mu.Lock()
		clock = start.Add(d)
		p.now = func() time.Time { return clock }
		p.mu.Unlock()
	}
	beat := func(p *progress) {
		p.mu.Lock()
		p.beat()
		p.mu.Unlock()
	}
	// startDeleting starts cache.pages's delete, whose provider reports
	// ElastiCache's status.
	startDeleting := func(p *progress) {
		setClock(p, 0)
		p.event(apply.Event{Address: "cache.pages", Operation: "deleting", Phase: apply.PhaseStart})
		p.event(apply.Event{Address: "cache.pages", Operation: "deleting", Phase: apply.PhaseStatus, Status: "ElastiCache status: deleting"})
	}

	var log bytes.Buffer
	p := newProgress(&log, false, false, 80)
	startDeleting(p)
	setClock(p, 9*time.Second)
	beat(p)
	if strings.Contains(log.String(), "still") {
		t.Errorf("a heartbeat before the interval passed:\n%s", log.String())
	}
	setClock(p, 70*time.Second)
	beat(p)
	setClock(p, 75*time.Second)
	beat(p)
	p.event(apply.Event{Address: "cache.pages", Operation: "deleting", Phase: apply.PhasePending, Elapsed: 76 * time.Second, Status: "deletion pending at AWS (status: deleting)"})
	setClock(p, 200*time.Second)
	beat(p)
	p.stop()
	want := "cache.pages: deleting...\n" +
		"cache.pages: still deleting [1m10s elapsed, ElastiCache status: deleting]\n" +
		"cache.pages: deleting... requested in 1m16s: deletion pending at AWS (status: deleting); nothing waits for it, and the next plan checks that it is gone\n"
	if got := log.String(); got != want {
		t.Errorf("the log reads\n%s\nwant\n%s", got, want)
	}

	var term bytes.Buffer
	live := newProgress(&term, true, false, 120)
	startDeleting(live)
	setClock(live, 70*time.Second)
	live.mu.Lock()
	live.redraw()
	live.mu.Unlock()
	live.stop()
	lines := strings.Split(strings.TrimSuffix(escapes.ReplaceAllString(term.String(), ""), "\n"), "\n")
	if got, want := lines[len(lines)-1], "  cache.pages: deleting... [1m10s elapsed, ElastiCache status: deleting]"; got != want {
		t.Errorf("live line %q, want %q", got, want)
	}
}
