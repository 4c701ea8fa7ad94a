package cmd

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stagecraft/stagecraft/planner"
	"github.com/stagecraft/stagecraft/planner/apply"
)

// lockedBuffer is a strings.Builder safe for the view's goroutine.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestPhaseView: a part that runs long is named with its count and its
// time once done; a short one prints nothing; applying is left to the
// progress view.
func TestPhaseView(t *testing.T) {
	t.Parallel()
	var out lockedBuffer
	v := newPhaseView(&out, false)
	v.after, v.every = 10*time.Millisecond, 20*time.Millisecond
	v.begin(planner.PhaseRefreshing, 1234)
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(out.String(), "still running") && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	v.begin(apply.PhaseApplying, 1234)
	v.end()
	got := out.String()
	for _, want := range []string{"Refreshing 1234 resources...\n", "Refreshing 1234 resources: still running after", "Refreshing 1234 resources: done in"} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "Applying") {
		t.Errorf("the view showed the apply itself:\n%s", got)
	}

	var quiet lockedBuffer
	q := newPhaseView(&quiet, true)
	q.begin(apply.PhaseWritingState, 3)
	q.end()
	if quiet.String() != "" {
		t.Errorf("a part shorter than two seconds printed %q", quiet.String())
	}
}
