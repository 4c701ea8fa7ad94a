package state

import "context"

// Backend stores one environment's state. Every backend (a local file, an S3
// object) gives the same guarantees: one holder of the lock at a time, whole
// states written atomically, and a journal that survives a crash at any
// point of an apply.
//
// Read, Recover, Write and Journal expect the caller to hold the lock; the
// backend does not check.
//
// Write and Journal.Append/AppendBatch persist even when their context is
// already cancelled: after Ctrl-C the planner still has to record the
// operations that finished. A backend that needs the network detaches from
// the cancellation (context.WithoutCancel) and applies its own timeout.
type Backend interface {
	// Lock takes the environment's lock or fails fast with *LockedError
	// naming the holder. It fills in info.ID (when empty), Who, Host, PID,
	// Created and Path, and returns a function that releases the lock.
	Lock(ctx context.Context, info LockInfo) (unlock func() error, err error)
	// ForceUnlock removes a lock by its id (`stagecraft state unlock ID`).
	// It fails when there is no lock or the id does not match the current
	// lock, so that a mistyped id never breaks someone else's lock.
	ForceUnlock(ctx context.Context, id string) error
	// Read returns the state with any journal entries replayed on top, and
	// nil, nil when nothing has been written yet. It is Recover without the
	// pending intents and notes.
	Read(ctx context.Context) (*State, error)
	// Recover is Read plus what a crashed apply left unfinished: the intents
	// without a later matching set or remove, and the notes. The planner
	// calls it before planning so that it can adopt half-done creations and
	// resume migrations. It returns nil, nil when nothing has been written.
	Recover(ctx context.Context) (*Recovery, error)
	// Write persists the whole state atomically and clears the journal.
	// It increments s.Serial (the caller's state then matches what is
	// stored) and refuses to overwrite a state with another lineage or a
	// higher serial than s, since that would lose someone else's apply.
	Write(ctx context.Context, s *State) error
	// Journal opens the append-only journal for an apply in progress. The
	// state must have been written at least once. Only one journal may be
	// open at a time per backend.
	Journal(ctx context.Context) (Journal, error)
}

// Journal is the append-only record of an apply in progress. Each entry is
// durable when Append returns, so that after a crash Recover rebuilds the
// state exactly as far as the apply got. Journals are safe for concurrent
// use by the goroutines of a parallel apply.
type Journal interface {
	// Append durably records one entry (one write and one fsync). Call it
	// after each completed provider operation, and with an "intent" entry
	// before a create or delete.
	Append(ctx context.Context, e JournalEntry) error
	// AppendBatch durably records several entries with one write and one
	// fsync, for parallel applies that finish several resources at once.
	// After a crash a prefix of the batch may have been kept.
	AppendBatch(ctx context.Context, es []JournalEntry) error
	// Close releases the journal's file; the entries stay until the next
	// Write.
	Close() error
}
