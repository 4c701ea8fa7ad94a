package cmd

import (
	"context"
	"os"
	"sync"
)

// interrupts gives the interrupts main delivers (Ctrl-C, SIGTERM) the
// meaning Terraform users know, for the commands that change things
// (apply, destroy, ci apply). The first cancels the command's context:
// planning stops, the confirmation prompt gives up, an apply starts
// nothing new and stops its waits (calls already sent finish and are
// recorded; a traffic shift stops at the step it is on). The second
// closes hard: the command stops at once, leaving the journal, which is
// true at every moment.
type interrupts struct {
	hard chan struct{}
	done chan struct{}

	mu  sync.Mutex
	say func()
}

// watchInterrupts reads signals (nil: none ever arrive) until close, and
// returns the context the first interrupt cancels.
func watchInterrupts(ctx context.Context, signals <-chan os.Signal) (context.Context, *interrupts) {
	ctx, cancel := context.WithCancel(ctx)
	in := &interrupts{hard: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer cancel()
		for n := 1; ; n++ {
			select {
			case <-in.done:
				return
			case <-signals:
			}
			if n > 1 {
				close(in.hard)
				<-in.done
				return
			}
			cancel()
			in.mu.Lock()
			say := in.say
			in.mu.Unlock()
			if say != nil {
				say()
			}
		}
	}()
	return ctx, in
}

// onFirst sets what to tell the user when the first interrupt arrives.
func (in *interrupts) onFirst(say func()) {
	in.mu.Lock()
	in.say = say
	in.mu.Unlock()
}

// close stops reading signals.
func (in *interrupts) close() { close(in.done) }
