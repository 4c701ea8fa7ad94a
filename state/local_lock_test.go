package state

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// helperLockDir is the environment variable that turns TestHelperProcess
// into a process that holds the lock of environment "dev" in that directory.
const helperLockDir = "STAGECRAFT_STATE_TEST_HELPER_LOCK_DIR"

// TestHelperProcess is not a test: the lock tests run the test binary again
// with only this function selected, to hold a lock from another process.
// It prints "locked" once it holds the lock and keeps it until its stdin
// closes or it is killed.
func TestHelperProcess(t *testing.T) {
	dir := os.Getenv(helperLockDir)
	if dir == "" {
		t.Skip("helper process for the cross-process lock tests")
	}
	_, err := NewLocal(dir, "dev").Lock(context.Background(), LockInfo{Operation: "apply", Who: "helper"})
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(2)
	}
	fmt.Println("locked")
	_, _ = io.Copy(io.Discard, os.Stdin)
	os.Exit(0)
}

// startLockHolder starts a process that holds the lock in dir and returns
// its PID and a function that kills it and waits for it to exit.
func startLockHolder(t *testing.T, dir string) (pid int, kill func()) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestHelperProcess$")
	cmd.Env = append(os.Environ(), helperLockDir+"="+dir)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid = cmd.Process.Pid
	var once bool
	kill = func() {
		if once {
			return
		}
		once = true
		stdin.Close()
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		cancel()
	}
	t.Cleanup(kill)
	// The context's deadline kills the child if it never answers, which
	// ends this read.
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if line != "locked\n" {
		t.Fatalf("lock holder process %d said %q (%v), want \"locked\"", pid, line, err)
	}
	return pid, kill
}

func TestLockAcrossProcesses(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	dir := t.TempDir()
	pid, kill := startLockHolder(t, dir)

	l := NewLocal(dir, "dev")
	_, err := l.Lock(ctx, LockInfo{Operation: "plan"})
	var locked *LockedError
	if !errors.As(err, &locked) {
		t.Fatalf("Lock while another process holds it: error = %v, want *LockedError", err)
	}
	if locked.Info.PID != pid || locked.Info.Who != "helper" || locked.Info.Operation != "apply" || locked.Info.ID == "" {
		t.Errorf("LockedError.Info = %+v, want the helper's (PID %d, apply, with an ID)", locked.Info, pid)
	}
	for _, want := range []string{`environment "dev"`, fmt.Sprintf("(PID %d)", pid), "for apply", "stagecraft state unlock " + locked.Info.ID} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}

	// When the holder dies, the kernel drops its flock: the lock file it
	// left behind does not block the next run.
	kill()
	if _, err := os.Stat(l.LockPath()); err != nil {
		t.Fatalf("the killed holder's lock file should still be there: %v", err)
	}
	unlock, err := l.Lock(ctx, LockInfo{Operation: "plan"})
	if err != nil {
		t.Fatalf("Lock after the holder died: %v", err)
	}
	if err := unlock(); err != nil {
		t.Fatal(err)
	}
}

func TestLockWithinProcess(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	dir := t.TempDir()
	l := NewLocal(dir, "dev")
	unlock, err := l.Lock(ctx, LockInfo{Operation: "apply", Who: "alice", Host: "ci-7"})
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string]*Local{"same backend": l, "another backend": NewLocal(dir, "dev")} {
		_, err := b.Lock(ctx, LockInfo{Operation: "plan"})
		var locked *LockedError
		if !errors.As(err, &locked) {
			t.Fatalf("%s: second Lock: error = %v, want *LockedError", name, err)
		}
		if locked.Info.PID != os.Getpid() || locked.Info.Who != "alice" || locked.Info.Host != "ci-7" {
			t.Errorf("%s: LockedError.Info = %+v, want alice@ci-7 in this process", name, locked.Info)
		}
	}
	// Another environment in the same directory has its own lock.
	unlockProd, err := NewLocal(dir, "prod").Lock(ctx, LockInfo{})
	if err != nil {
		t.Fatalf("locking prod while dev is locked: %v", err)
	}
	if err := unlockProd(); err != nil {
		t.Fatal(err)
	}

	if err := unlock(); err != nil {
		t.Fatal(err)
	}
	if err := unlock(); err != nil {
		t.Errorf("second unlock: %v", err)
	}
	if _, err := os.Stat(l.LockPath()); !os.IsNotExist(err) {
		t.Errorf("lock file still there after unlock: %v", err)
	}
	unlock2, err := l.Lock(ctx, LockInfo{})
	if err != nil {
		t.Fatalf("Lock after unlock: %v", err)
	}
	if err := unlock2(); err != nil {
		t.Fatal(err)
	}
}

func TestForceUnlock(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	dir := t.TempDir()
	l := NewLocal(dir, "dev")

	err := l.ForceUnlock(ctx, "whatever")
	if err == nil || !strings.Contains(err.Error(), "it is not locked") {
		t.Errorf("ForceUnlock without a lock: error = %v", err)
	}

	unlockStuck, err := l.Lock(ctx, LockInfo{ID: "3f2a-stuck", Operation: "apply"})
	if err != nil {
		t.Fatal(err)
	}
	err = l.ForceUnlock(ctx, "3f2a-wrong")
	if err == nil || !strings.Contains(err.Error(), "lock ID 3f2a-wrong does not match the current lock") || !strings.Contains(err.Error(), "3f2a-stuck") {
		t.Errorf("ForceUnlock with the wrong ID: error = %v, want a mismatch naming the current ID", err)
	}
	if _, err := l.Lock(ctx, LockInfo{}); err == nil {
		t.Fatal("a wrong ID broke the lock")
	}

	if err := l.ForceUnlock(ctx, "3f2a-stuck"); err != nil {
		t.Fatalf("ForceUnlock with the right ID: %v", err)
	}
	unlockNew, err := l.Lock(ctx, LockInfo{ID: "new"})
	if err != nil {
		t.Fatalf("Lock after ForceUnlock: %v", err)
	}
	// The broken lock's holder unlocking late must not remove the new lock.
	if err := unlockStuck(); err != nil {
		t.Fatal(err)
	}
	_, err = l.Lock(ctx, LockInfo{})
	var locked *LockedError
	if !errors.As(err, &locked) || locked.Info.ID != "new" {
		t.Errorf("after the old holder unlocked: Lock error = %v, want locked by \"new\"", err)
	}
	if err := unlockNew(); err != nil {
		t.Fatal(err)
	}
}

func TestLockedErrorMessage(t *testing.T) {
	t.Parallel()
	created := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	tests := map[string]struct {
		info LockInfo
		want string
	}{
		"everything known": {
			info: LockInfo{ID: "3f2a9c", Operation: "apply", Who: "root", Host: "host", PID: 123, Created: created},
			want: "state for environment \"dev\" is locked by root@host (PID 123) since 2026-11-23T10:00:00Z for apply (lock ID 3f2a9c); wait for it to finish, or run `stagecraft state unlock 3f2a9c` if that process is gone",
		},
		"created in another zone": {
			info: LockInfo{ID: "x", Operation: "plan", Who: "root", PID: 1, Created: created.In(time.FixedZone("CET", 3600))},
			want: "state for environment \"dev\" is locked by root (PID 1) since 2026-11-23T10:00:00Z for plan (lock ID x); wait for it to finish, or run `stagecraft state unlock x` if that process is gone",
		},
		"holder has not written its info yet": {
			info: LockInfo{Path: ".stagecraft/state/dev.lock"},
			want: "state for environment \"dev\" is locked by another process; wait for it to finish, or remove .stagecraft/state/dev.lock if that process is gone",
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got := (&LockedError{Environment: "dev", Info: tt.info}).Error()
			if got != tt.want {
				t.Errorf("Error() =\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}
