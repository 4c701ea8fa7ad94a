package state

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
)

// persistTimeout bounds a write that goes on after its context was
// cancelled (see Backend): long enough for a slow network, short enough
// that Ctrl-C still ends the process.
const persistTimeout = 60 * time.Second

// ObjectBackend keeps an environment's state in an object store: the S3
// backend (package state/s3), and the encrypted local backend
// (NewEncryptedLocal). The objects are
//
//	KEY                          the state, replaced whole by Write
//	KEY.lock                     the lock, created only if absent (If-None-Match: *)
//	KEY.journal/SERIAL/SEQ       the journal of an apply in progress, one object per batch
//
// Every write of the state is conditional on the ETag the backend last
// read (If-Match), or on there being no state when it read none, so two
// writers can never silently overwrite each other: the second one is
// refused with an error that says so. The journal lives beside the state,
// so an apply that crashed on one machine is finished from another.
type ObjectBackend struct {
	store         ObjectStore
	env           string
	stateKey      string
	lockKey       string
	journalPrefix string
	enc           *Encryption
	// lockVia, when set, holds the lock instead of a lock object (the
	// encrypted local backend shares the plain one's flock).
	lockVia *Local

	mu      sync.Mutex
	etag    string // the state's ETag as last read or written, "" for none
	known   bool   // whether etag has been read
	journal *objectJournal
}

var _ Backend = (*ObjectBackend)(nil)

// NewObjectBackend returns the backend that keeps environment's state in
// store under stateKey, with the lock and the journal beside it. enc, when
// not nil, encrypts the state and the journal before they reach the store.
func NewObjectBackend(store ObjectStore, environment, stateKey string, enc *Encryption) *ObjectBackend {
	return &ObjectBackend{
		store: store, env: environment, enc: enc,
		stateKey: stateKey, lockKey: stateKey + ".lock", journalPrefix: stateKey + ".journal/",
	}
}

// StateLocation names the state object ("s3://bucket/key").
func (b *ObjectBackend) StateLocation() string { return b.store.Where(b.stateKey) }

// detach keeps a write going after ctx is cancelled, within persistTimeout.
func detach(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), persistTimeout)
}

// open decrypts an object's content (or refuses an encrypted one when
// there is no key).
func (b *ObjectBackend) open(data []byte, key string) ([]byte, error) {
	if b.enc != nil {
		return b.enc.open(data, b.store.Where(key))
	}
	if IsEncrypted(data) {
		return nil, errNeedsKey(b.store.Where(key))
	}
	return data, nil
}

// seal encrypts content when the backend encrypts.
func (b *ObjectBackend) seal(data []byte) ([]byte, error) {
	if b.enc == nil {
		return data, nil
	}
	return b.enc.seal(data)
}

// readBase reads the stored state without the journal and its ETag; nil
// and "" when there is none.
func (b *ObjectBackend) readBase(ctx context.Context) (*State, string, error) {
	data, etag, err := b.store.Get(ctx, b.stateKey)
	if errors.Is(err, ErrNoObject) {
		return nil, "", nil
	}
	if err != nil {
		return nil, "", fmt.Errorf("read state: %w", err)
	}
	// The ETag goes with the errors below: a forced replace overwrites a
	// state it cannot read, on condition that it is still that state.
	plain, err := b.open(data, b.stateKey)
	if err != nil {
		return nil, etag, err
	}
	s, err := Decode(plain)
	if err != nil {
		return nil, etag, fmt.Errorf("read state %s: %w", b.store.Where(b.stateKey), err)
	}
	return s, etag, nil
}

// journalGroup is the journal objects written for one state serial.
type journalGroup struct {
	serial uint64
	keys   []string
}

// readJournalGroups lists the journal objects by the serial they belong
// to, in serial order.
func (b *ObjectBackend) readJournalGroups(ctx context.Context) ([]journalGroup, error) {
	keys, err := b.store.List(ctx, b.journalPrefix)
	if err != nil {
		return nil, fmt.Errorf("read journal: %w", err)
	}
	var groups []journalGroup
	for _, k := range keys {
		serialText, _, ok := strings.Cut(strings.TrimPrefix(k, b.journalPrefix), "/")
		serial, err := strconv.ParseUint(serialText, 10, 64)
		if !ok || err != nil {
			continue // not ours
		}
		if n := len(groups); n == 0 || groups[n-1].serial != serial {
			groups = append(groups, journalGroup{serial: serial})
		}
		groups[len(groups)-1].keys = append(groups[len(groups)-1].keys, k)
	}
	return groups, nil
}

// journalFor picks the group that applies to base: the one for its serial,
// or one for a newer serial (which Replay refuses); older ones were left
// by a write that replaced them and do not apply.
func journalFor(base *State, groups []journalGroup) *journalGroup {
	for i := len(groups) - 1; i >= 0; i-- {
		g := &groups[i]
		if base == nil || g.serial >= base.Serial {
			return g
		}
	}
	return nil
}

// readEntries reads and decodes the objects of a journal group.
func (b *ObjectBackend) readEntries(ctx context.Context, g *journalGroup) ([]JournalEntry, error) {
	if g == nil {
		return nil, nil
	}
	var all []byte
	for _, k := range g.keys {
		data, _, err := b.store.Get(ctx, k)
		if errors.Is(err, ErrNoObject) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read journal: %w", err)
		}
		plain, err := b.open(data, k)
		if err != nil {
			return nil, err
		}
		all = append(all, plain...)
	}
	entries, _, err := DecodeJournal(all)
	if err != nil {
		return nil, fmt.Errorf("read journal %s%d/: %w", b.store.Where(b.journalPrefix), g.serial, err)
	}
	return entries, nil
}

// Read returns the state with the journal replayed on top, or nil, nil
// when nothing has been written yet.
func (b *ObjectBackend) Read(ctx context.Context) (*State, error) {
	return recoveredState(b.Recover(ctx))
}

// Recover returns the state with the journal replayed on top, the pending
// intents and the notes; nil, nil when nothing has been written yet. It
// records the state's ETag: the next Write is refused if the state
// changes in between.
func (b *ObjectBackend) Recover(ctx context.Context) (*Recovery, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	base, etag, err := b.readBase(ctx)
	if err != nil {
		return nil, err
	}
	b.etag, b.known = etag, true
	groups, err := b.readJournalGroups(ctx)
	if err != nil {
		return nil, err
	}
	entries, err := b.readEntries(ctx, journalFor(base, groups))
	if err != nil {
		return nil, err
	}
	if base == nil && len(entries) <= 1 {
		// A journal holding only its base entry recorded nothing: with the
		// state gone (deleted on purpose, as before state recover) it is
		// no state at all.
		return nil, nil
	}
	return b.replay(base, entries)
}

func (b *ObjectBackend) replay(base *State, entries []JournalEntry) (*Recovery, error) {
	rec, err := Replay(base, entries)
	if err != nil {
		return nil, fmt.Errorf("replay journal %s onto %s: %w; if the state was restored on purpose, delete the journal objects", b.store.Where(b.journalPrefix), b.store.Where(b.stateKey), err)
	}
	return rec, nil
}

// staleError is the refusal of a write whose state changed since it was
// read.
func (b *ObjectBackend) staleError() error {
	return fmt.Errorf("write state %s: the state changed since this run read it: another writer got there first, so nothing was written; run the command again to start from the current state", b.store.Where(b.stateKey))
}

// Write persists s with its serial incremented, on condition that the
// stored state is still the one this backend last read, sets s.Serial to
// the stored serial and clears the journal (an open journal starts over
// from the new state).
//
// Like the local backend it refuses a state for another environment or
// lineage, or older than the stored one. It writes even when ctx is
// cancelled.
func (b *ObjectBackend) Write(ctx context.Context, s *State) error {
	where := b.store.Where(b.stateKey)
	switch {
	case s == nil:
		return fmt.Errorf("write state %s: no state given", where)
	case s.Lineage == "":
		return fmt.Errorf("write state %s: the state has no lineage; create states with state.New", where)
	case s.Environment != b.env:
		return fmt.Errorf("write state %s: the state is for environment %q", where, s.Environment)
	}
	ctx, cancel := detach(ctx)
	defer cancel()
	b.mu.Lock()
	defer b.mu.Unlock()
	next := *s
	next.Serial = s.Serial + 1
	if err := b.putState(ctx, &next, false); err != nil {
		return err
	}
	s.Serial = next.Serial
	return b.clearJournal(ctx, s)
}

// putState writes s as it is (serial included) on condition that the
// stored state is what was last read. Unless force, it refuses another
// lineage or a lower serial than stored. b.mu must be held.
func (b *ObjectBackend) putState(ctx context.Context, s *State, force bool) error {
	where := b.store.Where(b.stateKey)
	cur, etag, err := b.readBase(ctx)
	if err != nil && (!force || etag == "") {
		return fmt.Errorf("write state: check the stored state: %w", err)
	}
	if b.known && etag != b.etag {
		return b.staleError()
	}
	if cur != nil && !force {
		switch {
		case cur.Lineage != s.Lineage:
			return fmt.Errorf("write state %s: the stored state has lineage %s, not %s; refusing to overwrite a different state", where, cur.Lineage, s.Lineage)
		case cur.Serial >= s.Serial:
			return fmt.Errorf("write state %s: the stored state has serial %d, not older than serial %d being written; another apply wrote it since this one read it", where, cur.Serial, s.Serial)
		}
	}
	data, err := Encode(s)
	if err != nil {
		return fmt.Errorf("write state %s: %w", where, err)
	}
	if data, err = b.seal(data); err != nil {
		return fmt.Errorf("write state %s: %w", where, err)
	}
	newETag, err := b.store.Put(ctx, b.stateKey, data, conditionOn(etag))
	if errors.Is(err, ErrPrecondition) {
		return b.staleError()
	}
	if err != nil {
		return fmt.Errorf("write state: %w", err)
	}
	b.etag, b.known = newETag, true
	return nil
}

// clearJournal starts the open journal over from s, or removes the
// journal. The state is durable by now: a journal left behind names an
// older serial and is ignored, so this can fail safely. b.mu must be held.
func (b *ObjectBackend) clearJournal(ctx context.Context, s *State) error {
	keep := ""
	if b.journal != nil {
		if err := b.journal.restart(ctx, s.Lineage, s.Serial); err != nil {
			return fmt.Errorf("write state %s: restart journal: %w", b.store.Where(b.stateKey), err)
		}
		keep = b.journal.groupPrefix()
	}
	return b.removeJournal(ctx, keep)
}

// removeJournal deletes the journal objects outside the prefix keep.
func (b *ObjectBackend) removeJournal(ctx context.Context, keep string) error {
	keys, err := b.store.List(ctx, b.journalPrefix)
	if err != nil {
		return fmt.Errorf("clear journal: %w", err)
	}
	for _, k := range keys {
		if keep != "" && strings.HasPrefix(k, keep) {
			continue
		}
		if err := b.store.Remove(ctx, k); err != nil {
			return fmt.Errorf("clear journal: %w", err)
		}
	}
	return nil
}

// Journal opens the journal for an apply. A journal that a crashed apply
// left for the current state (on any machine) is continued after a resume
// marker, so that the entries of both applies replay in order; a journal
// for an older state is started over.
func (b *ObjectBackend) Journal(ctx context.Context) (Journal, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.journal != nil {
		return nil, fmt.Errorf("open journal %s: it is already open; close it first", b.store.Where(b.journalPrefix))
	}
	base, etag, err := b.readBase(ctx)
	if err != nil {
		return nil, fmt.Errorf("open journal: %w", err)
	}
	if base == nil {
		return nil, fmt.Errorf("open journal %s: no state has been written for environment %q yet; write the state before journaling", b.store.Where(b.journalPrefix), b.env)
	}
	if b.known && etag != b.etag {
		return nil, fmt.Errorf("open journal: %w", b.staleError())
	}
	groups, err := b.readJournalGroups(ctx)
	if err != nil {
		return nil, fmt.Errorf("open journal: %w", err)
	}
	g := journalFor(base, groups)
	entries, err := b.readEntries(ctx, g)
	if err != nil {
		return nil, fmt.Errorf("open journal: %w", err)
	}
	if _, err := b.replay(base, entries); err != nil {
		return nil, fmt.Errorf("open journal: %w", err)
	}
	j := &objectJournal{b: b, lineage: base.Lineage, serial: base.Serial}
	if len(entries) == 0 || g.serial < base.Serial {
		err = j.restart(ctx, base.Lineage, base.Serial)
		if err == nil {
			err = b.removeJournal(ctx, j.groupPrefix())
		}
	} else {
		j.seq = entries[len(entries)-1].Seq
		if len(entries) > 1 {
			err = j.write(ctx, []JournalEntry{{Op: OpResume}})
		}
	}
	if err != nil {
		return nil, fmt.Errorf("open journal: %w", err)
	}
	b.journal = j
	return j, nil
}

// objectJournal is the Journal of an ObjectBackend: each batch of entries
// is one new object, created only if absent, so an entry is durable once
// its put returns and two writers can never interleave inside one.
type objectJournal struct {
	b *ObjectBackend

	mu      sync.Mutex
	lineage string
	serial  uint64
	seq     uint64
	err     error // sticky: the journal was closed
}

// groupPrefix is where this journal's objects go.
func (j *objectJournal) groupPrefix() string {
	return fmt.Sprintf("%s%020d/", j.b.journalPrefix, j.serial)
}

// restart begins a new journal for the state lineage/serial.
func (j *objectJournal) restart(ctx context.Context, lineage string, serial uint64) error {
	j.mu.Lock()
	j.lineage, j.serial, j.seq = lineage, serial, 0
	j.mu.Unlock()
	return j.write(ctx, []JournalEntry{{Op: OpBase, Lineage: lineage, Serial: serial}})
}

// Append durably records one entry.
func (j *objectJournal) Append(ctx context.Context, e JournalEntry) error {
	return j.AppendBatch(ctx, []JournalEntry{e})
}

// AppendBatch durably records es in one object. It assigns Seq, and Time
// where it is zero, and records the entries even when ctx is cancelled.
func (j *objectJournal) AppendBatch(ctx context.Context, es []JournalEntry) error {
	if len(es) == 0 {
		return nil
	}
	if err := checkAppendable(es); err != nil {
		return fmt.Errorf("append to journal %s: %w", j.b.store.Where(j.b.journalPrefix), err)
	}
	return j.write(ctx, es)
}

// write numbers es and stores them as one object.
func (j *objectJournal) write(ctx context.Context, es []JournalEntry) error {
	ctx, cancel := detach(ctx)
	defer cancel()
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.err != nil {
		return fmt.Errorf("append to journal %s: %w", j.b.store.Where(j.b.journalPrefix), j.err)
	}
	buf, seq, err := appendEntries(nil, es, j.seq)
	if err != nil {
		return fmt.Errorf("append to journal: %w", err)
	}
	data, err := j.b.seal(buf)
	if err != nil {
		return fmt.Errorf("append to journal: %w", err)
	}
	key := fmt.Sprintf("%s%020d", j.groupPrefix(), j.seq+1)
	if _, err := j.b.store.Put(ctx, key, data, PutCondition{IfNoneMatch: true}); err != nil {
		if errors.Is(err, ErrPrecondition) {
			return fmt.Errorf("append to journal %s: another apply is writing the same journal; is the lock held?", j.b.store.Where(key))
		}
		return fmt.Errorf("append to journal: %w", err)
	}
	j.seq = seq
	return nil
}

// Close ends the journal; its entries stay until the next Write.
func (j *objectJournal) Close() error {
	j.b.mu.Lock()
	if j.b.journal == j {
		j.b.journal = nil
	}
	j.b.mu.Unlock()
	j.mu.Lock()
	defer j.mu.Unlock()
	j.err = errJournalClosed
	return nil
}

// lockAttemptsObject bounds how often Lock starts over when the lock it
// found is gone before it can read who holds it.
const lockAttemptsObject = 5

// Lock creates the lock object, only if it does not exist, holding info as
// JSON. When it exists, Lock fails at once with *LockedError naming the
// holder. A killed process leaves its lock behind: `stagecraft state
// unlock ID` removes it.
func (b *ObjectBackend) Lock(ctx context.Context, info LockInfo) (func() error, error) {
	if b.lockVia != nil {
		return b.lockVia.Lock(ctx, info)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	info = completeLockInfo(info, b.store.Where(b.lockKey))
	content, err := json.MarshalIndent(info, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("lock state for environment %q: %w", b.env, err)
	}
	for range lockAttemptsObject {
		_, err := b.store.Put(ctx, b.lockKey, append(content, '\n'), PutCondition{IfNoneMatch: true})
		if err == nil {
			return b.unlockFunc(info.ID), nil
		}
		if !errors.Is(err, ErrPrecondition) {
			return nil, fmt.Errorf("lock state for environment %q: %w", b.env, err)
		}
		held, ok, err := b.readLock(ctx)
		if err != nil {
			return nil, fmt.Errorf("lock state for environment %q: %w", b.env, err)
		}
		if ok {
			return nil, &LockedError{Environment: b.env, Info: held}
		}
	}
	return nil, fmt.Errorf("lock state for environment %q: %s kept being removed while locking it; try again", b.env, b.store.Where(b.lockKey))
}

// readLock reads the lock object; false when there is none.
func (b *ObjectBackend) readLock(ctx context.Context) (LockInfo, bool, error) {
	data, _, err := b.store.Get(ctx, b.lockKey)
	if errors.Is(err, ErrNoObject) {
		return LockInfo{}, false, nil
	}
	if err != nil {
		return LockInfo{}, false, err
	}
	var info LockInfo
	if err := json.Unmarshal(data, &info); err != nil {
		info = LockInfo{}
	}
	info.Path = b.store.Where(b.lockKey)
	return info, true, nil
}

// unlockFunc removes the lock object while it is still the lock id; after
// a force-unlock it may be someone else's. Calling it again does nothing.
func (b *ObjectBackend) unlockFunc(id string) func() error {
	var once sync.Once
	var err error
	return func() error {
		once.Do(func() {
			ctx, cancel := detach(context.Background())
			defer cancel()
			held, ok, rerr := b.readLock(ctx)
			switch {
			case rerr != nil:
				err = fmt.Errorf("unlock state for environment %q: %w", b.env, rerr)
			case !ok:
				err = fmt.Errorf("unlock state for environment %q: the lock was removed by someone else (state unlock) while this run held it", b.env)
			case held.ID != id:
				err = fmt.Errorf("unlock state for environment %q: the lock was broken and is now held by %s", b.env, held.holder())
			default:
				if rerr := b.store.Remove(ctx, b.lockKey); rerr != nil {
					err = fmt.Errorf("unlock state for environment %q: %w", b.env, rerr)
				}
			}
		})
		return err
	}
}

// ForceUnlock removes the lock object when it holds the lock id.
func (b *ObjectBackend) ForceUnlock(ctx context.Context, id string) error {
	if b.lockVia != nil {
		return b.lockVia.ForceUnlock(ctx, id)
	}
	held, ok, err := b.readLock(ctx)
	if err != nil {
		return fmt.Errorf("unlock state for environment %q: %w", b.env, err)
	}
	if !ok {
		return fmt.Errorf("unlock state for environment %q: it is not locked", b.env)
	}
	if held.ID == "" {
		return fmt.Errorf("unlock state for environment %q: %s holds no lock ID; if no stagecraft is running, delete it", b.env, held.Path)
	}
	if held.ID != id {
		return fmt.Errorf("unlock state for environment %q: lock ID %s does not match the current lock: %v", b.env, id, &LockedError{Environment: b.env, Info: held})
	}
	if err := b.store.Remove(ctx, b.lockKey); err != nil {
		return fmt.Errorf("unlock state for environment %q: %w", b.env, err)
	}
	return nil
}
