package state

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"

	"github.com/stagecraft/stagecraft/state/localfile"
)

// Journal opens the journal file for an apply. A journal that a crashed
// apply left behind for the current state is kept: its torn last line, if
// any, is cut off and a resume marker is appended, so that the entries of
// both applies replay in order. A journal for an older state is started
// over.
//
// The state must have been written before (Journal anchors the journal to
// its lineage and serial), and only one journal may be open at a time.
func (l *Local) Journal(ctx context.Context) (Journal, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := l.checkEnvironment(); err != nil {
		return nil, err
	}
	path := l.JournalPath()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.journal != nil {
		return nil, fmt.Errorf("open journal %s: it is already open; close it first", path)
	}
	base, err := l.readBase()
	if err != nil {
		return nil, fmt.Errorf("open journal: %w", err)
	}
	if base == nil {
		return nil, fmt.Errorf("open journal %s: no state has been written for environment %q yet; write the state before journaling", path, l.env)
	}
	entries, data, valid, err := l.readJournal()
	if err != nil {
		return nil, fmt.Errorf("open journal: %w", err)
	}
	if _, err := l.replay(base, entries); err != nil {
		return nil, fmt.Errorf("open journal: %w", err)
	}

	f, err := localfile.Open(path, os.O_RDWR|os.O_CREATE|os.O_APPEND)
	if err != nil {
		return nil, fmt.Errorf("open journal %s: %w", path, err)
	}
	j := &localJournal{local: l, path: path, f: f}
	if len(entries) == 0 || entries[0].Serial < base.Serial {
		err = j.restart(base.Lineage, base.Serial)
		if err == nil {
			// The file may be new: make its directory entry durable.
			err = syncDir(l.dir)
		}
	} else {
		err = j.resume(entries, data, valid)
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("open journal %s: %w", path, err)
	}
	l.journal = j
	return j, nil
}

// errJournalClosed is the sticky error of a closed journal.
var errJournalClosed = errors.New("journal is closed")

// localJournal is the Journal of a Local backend: an append-only file of
// JSON lines, fsynced after every append or batch.
type localJournal struct {
	local *Local
	path  string

	mu  sync.Mutex
	f   *os.File
	seq uint64 // the last Seq written
	buf []byte // reused encoding buffer
	// err is set when the file can no longer be trusted to end with a
	// whole line (a failed write or fsync) or was closed; appends fail
	// with it from then on.
	err error
}

// restart truncates the journal and writes its base entry.
func (j *localJournal) restart(lineage string, serial uint64) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.err == errJournalClosed {
		return j.err
	}
	if err := j.f.Truncate(0); err != nil {
		j.err = fmt.Errorf("truncate journal %s: %w", j.path, err)
		return j.err
	}
	j.seq = 0
	return j.writeLocked([]JournalEntry{{Op: OpBase, Lineage: lineage, Serial: serial}})
}

// resume prepares a crashed apply's journal for more entries: it cuts off a
// torn last line and, when the crashed apply recorded anything, appends a
// resume marker so that Replay counts one more serial.
func (j *localJournal) resume(entries []JournalEntry, data []byte, valid int) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if valid < len(data) {
		if err := j.f.Truncate(int64(valid)); err != nil {
			return fmt.Errorf("cut torn line: %w", err)
		}
	}
	j.seq = entries[len(entries)-1].Seq
	var prefix []byte
	if valid > 0 && data[valid-1] != '\n' {
		prefix = []byte{'\n'} // the last entry is whole but unterminated
	}
	if len(entries) == 1 {
		if prefix == nil {
			return nil
		}
		if _, err := j.f.Write(prefix); err != nil {
			return err
		}
		return j.f.Sync()
	}
	j.buf = append(j.buf[:0], prefix...)
	return j.writeLocked([]JournalEntry{{Op: OpResume}})
}

// Append durably records one entry.
func (j *localJournal) Append(ctx context.Context, e JournalEntry) error {
	return j.AppendBatch(ctx, []JournalEntry{e})
}

// AppendBatch durably records es with one write and one fsync. It assigns
// Seq, and Time where it is zero. It records the entries even when ctx is
// cancelled: an interrupted apply must still record what it finished.
func (j *localJournal) AppendBatch(_ context.Context, es []JournalEntry) error {
	if len(es) == 0 {
		return nil
	}
	if err := checkAppendable(es); err != nil {
		return fmt.Errorf("append to journal %s: %w", j.path, err)
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.err != nil {
		return fmt.Errorf("append to journal %s: %w", j.path, j.err)
	}
	j.buf = j.buf[:0]
	return j.writeLocked(es)
}

// writeLocked encodes es after whatever j.buf holds, numbering them from
// j.seq, and writes and fsyncs them. j.mu must be held.
func (j *localJournal) writeLocked(es []JournalEntry) error {
	buf, seq, err := appendEntries(j.buf, es, j.seq)
	j.buf = buf[:0]
	if err != nil {
		return fmt.Errorf("append to journal %s: %w", j.path, err)
	}
	if _, err := j.f.Write(buf); err != nil {
		j.err = fmt.Errorf("write journal %s: %w", j.path, err)
		return j.err
	}
	if err := j.f.Sync(); err != nil {
		j.err = fmt.Errorf("sync journal %s: %w", j.path, err)
		return j.err
	}
	j.seq = seq
	return nil
}

// Close closes the journal file. The entries stay on disk until the next
// Write. Closing twice is not an error.
func (j *localJournal) Close() error {
	j.local.mu.Lock()
	if j.local.journal == j {
		j.local.journal = nil
	}
	j.local.mu.Unlock()

	j.mu.Lock()
	defer j.mu.Unlock()
	if j.err == errJournalClosed {
		return nil
	}
	j.err = errJournalClosed
	if err := j.f.Close(); err != nil {
		return fmt.Errorf("close journal %s: %w", j.path, err)
	}
	return nil
}
