package cmd

import (
	"os"
	"strings"
	"testing"
	"time"
)

// TestInterruptWhilePlanning interrupts apply while it still refreshes
// (each read takes 2s): the refresh stops, apply exits 1 saying nothing
// was changed, and the state is as it was.
func TestInterruptWhilePlanning(t *testing.T) {
	t.Parallel()
	s := newSession(t, simFiles("2s", "one", `
stage "one" {
  autoscaling_group "app" {}
}
stage "two" {
  autoscaling_group "app" {
    min = 2
    max = 2
  }
}
`))
	s.mustRun("apply", "--auto-approve")
	s.signal = make(chan os.Signal, 1)
	go func() {
		time.Sleep(500 * time.Millisecond)
		s.signal <- os.Interrupt
	}()
	r := s.run("apply", "--auto-approve", "--stage", "two")
	if r.code != 1 || !strings.Contains(r.err, "interrupted while planning; nothing was changed") {
		t.Fatalf("apply interrupted while planning: exit %d\n%s%s", r.code, r.out, r.err)
	}
	s.signal = nil
	if p := s.run("plan", "--stage", "two", "--detailed-exitcode"); p.code != 2 || !strings.Contains(p.out, "1 to update") {
		t.Errorf("after the interrupt the plan still changes the group: exit %d\n%s", p.code, p.out)
	}
}
