package apply

import (
	"context"
	"sync"

	"github.com/stagecraft/stagecraft/state"
)

// journalWriter makes entries durable with group commit: while one batch is
// being written and synced, entries from other goroutines queue up and go
// out together in the next write. A parallel apply then pays for far fewer
// fsyncs than it records entries, and every caller still returns only once
// its own entries are durable.
type journalWriter struct {
	j state.Journal

	mu      sync.Mutex
	queue   []state.JournalEntry
	waiters []chan error
	busy    bool
}

func newJournalWriter(j state.Journal) *journalWriter { return &journalWriter{j: j} }

// append records entries and returns when they are durable.
func (w *journalWriter) append(ctx context.Context, es ...state.JournalEntry) error {
	done := make(chan error, 1)
	w.mu.Lock()
	w.queue = append(w.queue, es...)
	w.waiters = append(w.waiters, done)
	if w.busy {
		w.mu.Unlock()
		return <-done
	}
	w.busy = true
	for len(w.queue) > 0 {
		batch, waiters := w.queue, w.waiters
		w.queue, w.waiters = nil, nil
		w.mu.Unlock()
		err := w.j.AppendBatch(ctx, batch)
		for _, wt := range waiters {
			wt <- err
		}
		w.mu.Lock()
	}
	w.busy = false
	w.mu.Unlock()
	return <-done
}
