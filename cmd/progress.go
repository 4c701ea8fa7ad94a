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
// of the operations in flight with their elapsed time under the lines of
// those finished; otherwise one line per event, for logs.
type progress struct {
	w     io.Writer
	live  bool
	color bool
	width int // terminal columns: a live line must not wrap
	now   func() time.Time

	mu       sync.Mutex
	inflight map[string]*flight
	drawn    int // lines of the live view on screen
	stopTick chan struct{}
	stopped  chan struct{}
}

type flight struct {
	op    string
	start time.Time
}

func newProgress(w io.Writer, live, color bool, width int) *progress {
	p := &progress{w: w, live: live, color: color, width: width, now: time.Now, inflight: map[string]*flight{}}
	if live {
		p.stopTick = make(chan struct{})
		p.stopped = make(chan struct{})
		go p.tick()
	}
	return p
}

func (p *progress) tick() {
	defer close(p.stopped)
	t := time.NewTicker(250 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-p.stopTick:
			return
		case <-t.C:
			p.mu.Lock()
			p.redraw()
			p.mu.Unlock()
		}
	}
}

// event takes one planner event.
func (p *progress) event(ev apply.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clear()
	switch ev.Phase {
	case apply.PhaseStart:
		p.inflight[ev.Address] = &flight{op: ev.Operation, start: p.now()}
		if !p.live {
			fmt.Fprintf(p.w, "%s: %s...\n", ev.Address, ev.Operation)
		}
	case apply.PhaseDone:
		delete(p.inflight, ev.Address)
		fmt.Fprintf(p.w, "%s: %s... %s in %s\n", ev.Address, ev.Operation, p.paint("done", "32"), seconds(ev.Elapsed))
	case apply.PhaseFailed:
		delete(p.inflight, ev.Address)
		fmt.Fprintf(p.w, "%s: %s... %s after %s: %s\n", ev.Address, ev.Operation, p.paint("failed", "31"), seconds(ev.Elapsed), ev.Err)
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

// message prints a line above the live view.
func (p *progress) message(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clear()
	fmt.Fprintf(p.w, format+"\n", args...)
	p.redraw()
}

func (p *progress) stop() {
	if p.live {
		close(p.stopTick)
		<-p.stopped
	}
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
		b.WriteString(p.fit(fmt.Sprintf("  %s: %s... ", a, f.op), seconds(p.now().Sub(f.start))) + "\n")
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
