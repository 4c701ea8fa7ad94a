package cmd

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestCIWaitsForTheStateLock holds the state lock as another run would:
// a ci command with --lock-wait=0 fails at once naming the holder, one
// with a wait says it is waiting and plans once the lock is released.
func TestCIWaitsForTheStateLock(t *testing.T) {
	t.Parallel()
	gh := newFakeGitHub(t)
	s := newSession(t, nil)
	s.mustRun("init")
	ciWorkdir(t, s, gh, "pull_request", prEvent(2))
	w, err := openWorkspace(&Deps{IO: &IOStreams{Out: &syncBuffer{}, ErrOut: &syncBuffer{}}, Registry: testRegistry()}, &GlobalOptions{Dir: s.dir, Output: "text"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := w.backend()
	if err != nil {
		t.Fatal(err)
	}
	unlock, err := w.lock(context.Background(), b, "apply")
	if err != nil {
		t.Fatal(err)
	}
	released := false
	t.Cleanup(func() {
		if !released {
			unlock()
		}
	})
	if r := s.run("ci", "plan", "--lock-wait=0"); r.code != 1 || !strings.Contains(r.err, "is locked by") {
		t.Fatalf("--lock-wait=0 with the lock held: exit %d\n%s", r.code, r.err)
	}

	var out, errOut syncBuffer
	deps := &Deps{
		IO:       &IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut},
		Registry: testRegistry(),
		Getenv:   func(k string) string { return s.env[k] },
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	done := make(chan int, 1)
	go func() { done <- Execute(ctx, deps, []string{"-C", s.dir, "ci", "plan", "--lock-wait=1m"}) }()
	for !strings.Contains(errOut.String(), "Waiting up to 1m0s for the state lock: state for environment \"dev\" is locked by") {
		select {
		case code := <-done:
			t.Fatalf("ci plan ended (exit %d) instead of waiting:\n%s", code, errOut.String())
		case <-ctx.Done():
			t.Fatalf("ci plan never said it waits:\n%s", errOut.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	unlock()
	released = true
	select {
	case code := <-done:
		if code != 0 || len(gh.prComments(2)) != 1 {
			t.Fatalf("after the lock was released: exit %d, %d comments\n%s", code, len(gh.prComments(2)), errOut.String())
		}
	case <-ctx.Done():
		t.Fatal("ci plan did not finish after the lock was released")
	}
}
