package cmd

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/stagecraft/stagecraft/planner"
	"github.com/stagecraft/stagecraft/planner/apply"
)

// phaseView shows on stderr which part of a command is running when that
// part takes long (evaluating, refreshing and planning a large stack,
// preparing an apply, writing its state): nothing for a part shorter than
// two seconds, then its name, count and elapsed time; on a terminal as one
// line redrawn in place, otherwise a line when it shows and one every ten
// seconds after, for logs. The apply's own progress view takes over while
// operations run.
type phaseView struct {
	w    io.Writer
	live bool
	// after is how long a part runs before it is shown, every how often a
	// log gets another line about it.
	after, every time.Duration

	mu      sync.Mutex
	label   string
	start   time.Time
	shown   bool
	stopped chan struct{} // closed to stop the current part's goroutine
	exited  chan struct{} // closed when it has stopped
}

func newPhaseView(w io.Writer, live bool) *phaseView {
	return &phaseView{w: w, live: live, after: 2 * time.Second, every: 10 * time.Second}
}

// phaseLabels word the parts the planner and the executor report.
var phaseLabels = map[string]string{
	phaseEvaluating:         "Evaluating the stack",
	planner.PhaseRefreshing: "Refreshing %d resources",
	planner.PhasePlanning:   "Planning",
	apply.PhasePreparing:    "Preparing %d changes",
	apply.PhaseWritingState: "Writing the state of %d resources",
	apply.PhaseApplying:     "Applying",
}

// The command's own parts before planning: evaluating the provider's
// settings, configuring the provider (the sim provider loads its cloud
// file), reading the state.
const (
	phaseEvaluating   = "evaluating"
	phaseConfiguring  = "configuring"
	phaseReadingState = "reading the state"
)

// begin ends the part before and starts timing the part called name.
func (v *phaseView) begin(name string, count int) {
	v.end()
	if name == apply.PhaseApplying {
		return // the progress view shows the operations
	}
	label := phaseLabels[name]
	if label == "" {
		label = strings.ToUpper(name[:1]) + name[1:]
	}
	if strings.Contains(label, "%d") {
		if count < 0 {
			label = strings.ReplaceAll(label, " %d", "")
		} else {
			label = fmt.Sprintf(label, count)
		}
	}
	v.mu.Lock()
	v.label, v.start, v.shown = label, time.Now(), false
	v.stopped, v.exited = make(chan struct{}), make(chan struct{})
	stopped, exited := v.stopped, v.exited
	v.mu.Unlock()
	go v.watch(stopped, exited)
}

// watch shows the current part once it has run for v.after.
func (v *phaseView) watch(stopped, exited chan struct{}) {
	defer close(exited)
	select {
	case <-stopped:
		return
	case <-time.After(v.after):
	}
	interval := v.every
	if v.live {
		interval = 250 * time.Millisecond
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		v.mu.Lock()
		elapsed := seconds(time.Since(v.start))
		switch {
		case v.live:
			fmt.Fprintf(v.w, "\r\x1b[K%s... %s", v.label, elapsed)
		case !v.shown:
			fmt.Fprintf(v.w, "%s...\n", v.label)
		default:
			fmt.Fprintf(v.w, "%s: still running after %s\n", v.label, elapsed)
		}
		v.shown = true
		v.mu.Unlock()
		select {
		case <-stopped:
			return
		case <-t.C:
		}
	}
}

// end finishes the current part, saying how long it took when it was
// shown.
func (v *phaseView) end() {
	v.mu.Lock()
	stopped, exited := v.stopped, v.exited
	v.stopped, v.exited = nil, nil
	v.mu.Unlock()
	if stopped == nil {
		return
	}
	close(stopped)
	<-exited
	v.mu.Lock()
	defer v.mu.Unlock()
	if !v.shown {
		return
	}
	if v.live {
		fmt.Fprint(v.w, "\r\x1b[K")
	}
	fmt.Fprintf(v.w, "%s: done in %s\n", v.label, seconds(time.Since(v.start)))
}
