package cmd

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/stagecraft/stagecraft/state"
)

// defaultLockWait is how long a ci command waits for the state lock. In a
// workflow nobody is watching a prompt: two pull requests planning the same
// environment should queue, not fail.
const defaultLockWait = 5 * time.Minute

// lockPoll is how often a waiting ci command tries the lock again.
const lockPoll = 2 * time.Second

// addLockWaitFlag adds --lock-wait to a ci command.
func addLockWaitFlag(c *cobra.Command, p *time.Duration) {
	c.Flags().DurationVar(p, "lock-wait", defaultLockWait, "how long to wait for the state lock another run holds (0 fails at once)")
}

// lockWaiting takes the state lock like workspace.lock, but while another
// process holds it, it says so once and tries again until wait has
// passed.
func (w *workspace) lockWaiting(ctx context.Context, b state.Backend, operation string, wait time.Duration) (func(), error) {
	deadline := time.Now().Add(wait)
	said := false
	for {
		unlock, err := b.Lock(ctx, state.LockInfo{Operation: operation})
		if err == nil {
			return func() {
				if err := unlock(); err != nil {
					fmt.Fprintf(w.deps.IO.ErrOut, "Warning: releasing the state lock failed: %s\n", err)
				}
			}, nil
		}
		var locked *state.LockedError
		if !errors.As(err, &locked) || !time.Now().Before(deadline) {
			return nil, userError("%s", strings.TrimSuffix(err.Error(), "."))
		}
		if !said {
			fmt.Fprintf(w.deps.IO.ErrOut, "Waiting up to %s for the state lock: %s.\n", wait, strings.TrimSuffix(err.Error(), "."))
			said = true
		}
		select {
		case <-ctx.Done():
			return nil, userError("stopped waiting for the state lock: %s", ctx.Err())
		case <-time.After(lockPoll):
		}
	}
}
