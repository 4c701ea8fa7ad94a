package cmd

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/stagecraft/stagecraft/planner/apply"
)

// progress shows apply as it happens on stderr: on a terminal, a live view
// of the operations in flight with their elapsed time and the provider's
// latest status under the lines of those finished; otherwise one line per
// event, for logs, and a heartbeat line for every operation still running
// each heartbeat interval, so a long wait is never silent.
type progress struct {
	w     io.Writer
	live  bool
	color bool
	width int // terminal columns: a live line must not wrap
	now   func() time.Time
	// heartbeat is how long an operation runs between two lines about
	// it in a log.
	heartbeat time.Duration

	mu       sync.Mutex
	inflight map[string]*flight
	drawn    int // lines of the live view on screen
	pending  int // deletes that ended pending
	stopTick chan struct{}
	stopped  chan struct{}
}

type flight struct {
	op    string
	start time.Time
	// status is what the provider last reported; said is when the log
	// last had a line about the operation.
	status string
	said   time.Time
}

// heartbeatEvery is the heartbeat interval of logs.
const heartbeatEvery = 10 * time.Second

func newProgress(w io.Writer, live, color bool, width int) *progress {
	p := &progress{w: w, live: live, color: color, width: width, now: time.Now, heartbeat: heartbeatEvery, inflight: map[string]*flight{}}
	p.stopTick = make(chan struct{})
	p.stopped = make(chan struct{})
	go p.tick()
	return p
}

// tick redraws the live view four times a second, or checks once a
// second whether a log is due a heartbeat.
func (p *progress) tick() {
	defer close(p.stopped)
	every := time.Second
	if p.live {
		every = 250 * time.Millisecond
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-p.stopTick:
			return
		case <-t.C:
			p.mu.Lock()
			if p.live {
				p.redraw()
			} else {
				p.beat()
			}
			p.mu.Unlock()
		}
	}
}

// beat writes a heartbeat line for every operation the log has said
// nothing about for the heartbeat interval (the caller holds mu):
// "cache.pages: still deleting [1m10s elapsed, ElastiCache status: deleting]".
func (p *progress) beat() {
	now := p.now()
	addrs := make([]string, 0, len(p.inflight))
	for a, f := range p.inflight {
		if now.Sub(f.said) >= p.heartbeat {
			addrs = append(addrs, a)
		}
	}
	sort.Strings(addrs)
	for _, a := range addrs {
		f := p.inflight[a]
		fmt.Fprintf(p.w, "%s: still %s [%s]\n", a, f.op, f.elapsed(now))
		f.said = now
	}
}

// elapsed is the time an operation has run and its latest status, as the
// heartbeat and the live view show them: "1m10s elapsed, ElastiCache
// status: deleting".
func (f *flight) elapsed(now time.Time) string {
	s := seconds(now.Sub(f.start)) + " elapsed"
	if f.status != "" {
		s += ", " + f.status
	}
	return s
}

// event takes one planner event.
func (p *progress) event(ev apply.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clear()
	switch ev.Phase {
	case apply.PhaseStart:
		now := p.now()
		p.inflight[ev.Address] = &flight{op: ev.Operation, start: now, said: now}
		if !p.live {
			fmt.Fprintf(p.w, "%s: %s...\n", ev.Address, ev.Operation)
		}
	case apply.PhaseStatus:
		if f, ok := p.inflight[ev.Address]; ok {
			f.status = ev.Status
		}
	case apply.PhasePending:
		delete(p.inflight, ev.Address)
		p.pending++
		fmt.Fprintf(p.w, "%s: %s... %s in %s: %s; nothing waits for it, and the next plan checks that it is gone\n", ev.Address, ev.Operation, p.paint("requested", "32"), seconds(ev.Elapsed), ev.Status)
	case apply.PhaseDone:
		delete(p.inflight, ev.Address)
		fmt.Fprintf(p.w, "%s: %s... %s in %s\n", ev.Address, ev.Operation, p.paint("done", "32"), seconds(ev.Elapsed))
	case apply.PhaseFailed:
		delete(p.inflight, ev.Address)
		fmt.Fprintf(p.w, "%s: %s... %s after %s: %s\n", ev.Address, ev.Operation, p.paint("failed", "31"), seconds(ev.Elapsed), ev.Err)
	case apply.PhaseInterrupted:
		delete(p.inflight, ev.Address)
		fmt.Fprintf(p.w, "%s: %s... %s after %s\n", ev.Address, ev.Operation, p.paint("interrupted", "33"), seconds(ev.Elapsed))
	}
	p.redraw()
}

// inFlight lists what is running, for the second Ctrl-C.
func (p *progress) inFlight() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for addr, f := range p.inflight {
		out = append(out, fmt.Sprintf("%s (%s, %s)", addr, f.op, seconds(p.now().Sub(f.start))))
	}
	sort.Strings(out)
	return out
}

// pendingDeletions counts the deletes that ended pending at the provider.
func (p *progress) pendingDeletions() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.pending
}

// message prints a line above the live view.
func (p *progress) message(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clear()
	fmt.Fprintf(p.w, format+"\n", args...)
	p.redraw()
}

func (p *progress) stop() {
	close(p.stopTick)
	<-p.stopped
	p.mu.Lock()
	p.clear()
	p.mu.Unlock()
}

// clear erases the live view (the caller holds mu).
func (p *progress) clear() {
	if !p.live || p.drawn == 0 {
		return
	}
	fmt.Fprintf(p.w, "\x1b[%dA\x1b[J", p.drawn)
	p.drawn = 0
}

// redraw draws the live view (the caller holds mu and has cleared it).
func (p *progress) redraw() {
	if !p.live {
		return
	}
	p.clear()
	addrs := make([]string, 0, len(p.inflight))
	for a := range p.inflight {
		addrs = append(addrs, a)
	}
	sort.Strings(addrs)
	const maxLines = 20
	var b strings.Builder
	n := 0
	for i, a := range addrs {
		if i == maxLines {
			fmt.Fprintf(&b, "  ... and %d more\n", len(addrs)-maxLines)
			n++
			break
		}
		f := p.inflight[a]
		elapsed := seconds(p.now().Sub(f.start))
		if f.status != "" {
			elapsed = "[" + f.elapsed(p.now()) + "]"
		}
		b.WriteString(p.fit(fmt.Sprintf("  %s: %s... ", a, f.op), elapsed) + "\n")
		n++
	}
	fmt.Fprint(p.w, b.String())
	p.drawn = n
}

// fit makes a live line of text and the elapsed time after it that fits
// the terminal's width (less one column, where some terminals wrap): the
// view moves the cursor up one row per line, so a wrapped line would be
// left on screen at every redraw. A long address is cut with an ellipsis.
func (p *progress) fit(text, elapsed string) string {
	room := p.width - 1
	if utf8.RuneCountInString(text+elapsed) <= room {
		return text + p.paint(elapsed, "2")
	}
	r := []rune(text + elapsed)
	return string(r[:max(room-1, 0)]) + "…"
}

func (p *progress) paint(s, code string) string {
	if !p.color {
		return s
	}
	return "\x1b[" + code + "m" + s + "\x1b[0m"
}

// seconds renders a duration the way people read it: 2.3s, 1m4s.
func seconds(d time.Duration) string {
	if d < time.Minute {
		return fmt.Sprintf("%.1fs", d.Seconds())
	}
	return d.Round(time.Second).String()
}
