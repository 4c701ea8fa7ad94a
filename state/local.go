package state

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/stagecraft/stagecraft/state/localfile"
)

// Local is the backend that keeps an environment's state in files on this
// machine, under a directory such as .stagecraft/state:
//
//	ENV.json     the state, replaced atomically by Write
//	ENV.journal  the journal of the apply in progress, one JSON entry a line
//	ENV.lock     the lock, held with flock; it holds the LockInfo as JSON
//
// The directory is created (0o700) on the first Lock, Write or Journal; the
// files are 0o600 because states hold secrets, and each must be a regular
// file (see package localfile), so a state or journal replaced by a link to
// a device or a named pipe is refused instead of read for ever.
type Local struct {
	dir string
	env string

	// mu serialises Write and Journal within this process, so that a Write
	// can reset the journal that is open.
	mu      sync.Mutex
	journal *localJournal // the open journal, nil when none
}

// NewLocal returns the local backend for environment's state in dir. It
// touches nothing on disk until it is used.
func NewLocal(dir, environment string) *Local {
	return &Local{dir: dir, env: environment}
}

var _ Backend = (*Local)(nil)

// StatePath is the file that holds the state.
func (l *Local) StatePath() string { return filepath.Join(l.dir, l.env+".json") }

// JournalPath is the file that holds the journal of an apply in progress.
func (l *Local) JournalPath() string { return filepath.Join(l.dir, l.env+".journal") }

// LockPath is the lock file.
func (l *Local) LockPath() string { return filepath.Join(l.dir, l.env+".lock") }

// checkEnvironment rejects environment names that would put the files
// outside the directory or make them hidden.
func (l *Local) checkEnvironment() error {
	if l.env == "" || strings.HasPrefix(l.env, ".") || strings.ContainsAny(l.env, `/\`+"\x00") {
		return fmt.Errorf("invalid environment name %q for the local state backend", l.env)
	}
	return nil
}

// Read returns the state with the journal replayed on top, or nil, nil when
// nothing has been written yet.
func (l *Local) Read(ctx context.Context) (*State, error) {
	return recoveredState(l.Recover(ctx))
}

// Recover returns the state with the journal replayed on top, the pending
// intents and the notes; nil, nil when nothing has been written yet.
func (l *Local) Recover(ctx context.Context) (*Recovery, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := l.checkEnvironment(); err != nil {
		return nil, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	base, err := l.readBase()
	if err != nil {
		return nil, err
	}
	entries, _, _, err := l.readJournal()
	if err != nil {
		return nil, err
	}
	if base == nil && len(entries) == 0 {
		return nil, nil
	}
	return l.replay(base, entries)
}

// replay wraps Replay with the file names and what to do about a journal
// that does not belong to the state.
func (l *Local) replay(base *State, entries []JournalEntry) (*Recovery, error) {
	rec, err := Replay(base, entries)
	if err != nil {
		return nil, fmt.Errorf("replay journal %s onto %s: %w; if the state file was restored on purpose, delete the journal", l.JournalPath(), l.StatePath(), err)
	}
	return rec, nil
}

// readBase reads the persisted state without the journal; nil, nil when
// there is none.
func (l *Local) readBase() (*State, error) {
	path := l.StatePath()
	data, err := localfile.Read(path, localfile.MaxSize)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read state %s: %w", path, err)
	}
	s, err := Decode(data)
	if err != nil {
		return nil, fmt.Errorf("read state %s: %w", path, err)
	}
	return s, nil
}

// readJournal reads and decodes the journal file; no file is no entries.
// It also returns the file's content and the length of its valid prefix
// (see DecodeJournal).
func (l *Local) readJournal() (entries []JournalEntry, data []byte, valid int, err error) {
	path := l.JournalPath()
	data, err = localfile.Read(path, localfile.MaxSize)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil, 0, nil
	}
	if err != nil {
		return nil, nil, 0, fmt.Errorf("read journal %s: %w", path, err)
	}
	entries, valid, err = DecodeJournal(data)
	if err != nil {
		return nil, nil, 0, fmt.Errorf("read journal %s: %w", path, err)
	}
	return entries, data, valid, nil
}

// Write persists s atomically with its serial incremented, sets s.Serial to
// the stored serial and clears the journal: an open journal starts over
// from the new state, and without one the journal file is removed.
//
// It refuses a state for another environment, a state whose lineage differs
// from the stored one, and a state older (lower serial) than the stored one.
// It writes even when ctx is cancelled, so that an interrupted apply still
// saves what it did.
func (l *Local) Write(_ context.Context, s *State) error {
	if err := l.checkEnvironment(); err != nil {
		return err
	}
	path := l.StatePath()
	switch {
	case s == nil:
		return fmt.Errorf("write state %s: no state given", path)
	case s.Lineage == "":
		return fmt.Errorf("write state %s: the state has no lineage; create states with state.New", path)
	case s.Environment != l.env:
		return fmt.Errorf("write state %s: the state is for environment %q", path, s.Environment)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := localfile.MkdirAll(l.dir); err != nil {
		return fmt.Errorf("write state %s: %w", path, err)
	}
	cur, err := l.readBase()
	if err != nil {
		return fmt.Errorf("write state: check the stored state: %w", err)
	}
	if cur != nil {
		switch {
		case cur.Lineage != s.Lineage:
			return fmt.Errorf("write state %s: the stored state has lineage %s, not %s; refusing to overwrite a different state", path, cur.Lineage, s.Lineage)
		case cur.Serial > s.Serial:
			return fmt.Errorf("write state %s: the stored state has serial %d, newer than serial %d being written; another apply wrote it since this one read it", path, cur.Serial, s.Serial)
		}
	}
	next := *s
	next.Serial = s.Serial + 1
	data, err := Encode(&next)
	if err != nil {
		return fmt.Errorf("write state %s: %w", path, err)
	}
	if err := WriteFileAtomic(path, data); err != nil {
		return fmt.Errorf("write state %s: %w", path, err)
	}
	s.Serial = next.Serial

	// The state is durable; a journal left behind from here on names an
	// older serial and Replay ignores it, so clearing it can fail safely.
	if l.journal != nil {
		if err := l.journal.restart(s.Lineage, s.Serial); err != nil {
			return fmt.Errorf("write state %s: clear journal: %w", path, err)
		}
		return nil
	}
	jpath := l.JournalPath()
	if err := os.Remove(jpath); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("write state %s: remove journal %s: %w", path, jpath, err)
	}
	return nil
}
