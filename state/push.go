package state

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/stagecraft/stagecraft/state/localfile"
)

// CheckPush says whether next may replace cur (`state push`, `migrate-state`):
// not a state of another lineage, since that is another environment's
// history, and not an older serial, since that would undo applies made
// since. force skips both checks; the environment must always match.
func CheckPush(cur, next *State, force bool) error {
	if next.Lineage == "" {
		return errors.New("the state to push has no lineage; it is not a stagecraft state")
	}
	if cur == nil || force {
		return nil
	}
	switch {
	case cur.Lineage != next.Lineage:
		return fmt.Errorf("the stored state has lineage %s and the pushed one %s: they are different states; use --force to replace it anyway", cur.Lineage, next.Lineage)
	case next.Serial < cur.Serial:
		return fmt.Errorf("the pushed state has serial %d, lower than the stored serial %d: it would undo the applies since; pull the current state, or use --force", next.Serial, cur.Serial)
	}
	return nil
}

// Replace stores s exactly as it is (lineage and serial kept) in place of
// the backend's state, and clears any journal. It is what `state push`
// (with a serial one above the stored one) and `migrate-state` (with the
// source's serial) write. The caller holds the lock and has checked the
// replacement with CheckPush; Replace still refuses, unless force, a state
// of another lineage or one whose serial is not above the stored one. With
// force it also overwrites a stored state it cannot read (damaged, or
// encrypted with another key: how a key is changed).
func Replace(ctx context.Context, b Backend, s *State, force bool) error {
	switch b := b.(type) {
	case *ObjectBackend:
		if s.Environment != b.env {
			return fmt.Errorf("write state %s: the state is for environment %q, not %q", b.StateLocation(), s.Environment, b.env)
		}
		ctx, cancel := detach(ctx)
		defer cancel()
		b.mu.Lock()
		defer b.mu.Unlock()
		if b.journal != nil {
			return fmt.Errorf("write state %s: a journal is open", b.StateLocation())
		}
		if err := b.putState(ctx, s, force); err != nil {
			return err
		}
		return b.removeJournal(ctx, "")
	case *Local:
		return b.replace(s, force)
	}
	return fmt.Errorf("the %T backend cannot replace its state", b)
}

// replace is Replace for the local backend.
func (l *Local) replace(s *State, force bool) error {
	if err := l.checkEnvironment(); err != nil {
		return err
	}
	path := l.StatePath()
	if s.Environment != l.env {
		return fmt.Errorf("write state %s: the state is for environment %q, not %q", path, s.Environment, l.env)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.journal != nil {
		return fmt.Errorf("write state %s: a journal is open", path)
	}
	if err := localfile.MkdirAll(l.dir); err != nil {
		return fmt.Errorf("write state %s: %w", path, err)
	}
	cur, err := l.readBase()
	if err != nil && !force {
		return fmt.Errorf("write state: check the stored state: %w", err)
	}
	if cur != nil && !force {
		if cur.Lineage != s.Lineage || cur.Serial >= s.Serial {
			return fmt.Errorf("write state %s: the stored state (lineage %s, serial %d) may not be replaced by lineage %s serial %d", path, cur.Lineage, cur.Serial, s.Lineage, s.Serial)
		}
	}
	data, err := Encode(s)
	if err != nil {
		return fmt.Errorf("write state %s: %w", path, err)
	}
	if err := WriteFileAtomic(path, data); err != nil {
		return fmt.Errorf("write state %s: %w", path, err)
	}
	if err := os.Remove(l.JournalPath()); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("write state %s: remove journal: %w", path, err)
	}
	return nil
}

// StateVersion is one stored version of an environment's state, as
// `state history` lists it.
type StateVersion struct {
	ObjectVersion
	// Serial and Lineage are read from the version; zero when it could not
	// be read (Err says why) or it is a delete marker.
	Serial  uint64
	Lineage string
	// Resources is how many resources the version tracks.
	Resources int
	// Err is why the version could not be read.
	Err error
}

// ErrNoHistory is returned by History for a backend that keeps only the
// current state.
var ErrNoHistory = errors.New("this backend keeps only the current state; the s3 backend on a bucket with versioning enabled keeps every version")

// History lists the stored versions of the state, newest first, at most
// limit of them (0: all), each with the serial it holds.
func History(ctx context.Context, b Backend, limit int) ([]StateVersion, error) {
	ob, ok := b.(*ObjectBackend)
	if !ok {
		return nil, ErrNoHistory
	}
	vs, ok := ob.store.(VersionedStore)
	if !ok {
		return nil, ErrNoHistory
	}
	list, err := vs.Versions(ctx, ob.stateKey)
	if err != nil {
		return nil, err
	}
	if len(list) == 1 && list[0].ID == "null" {
		return nil, fmt.Errorf("bucket versioning is not enabled for %s, so only the current state is kept; enable it (aws s3api put-bucket-versioning --versioning-configuration Status=Enabled)", ob.StateLocation())
	}
	if limit > 0 && len(list) > limit {
		list = list[:limit]
	}
	out := make([]StateVersion, 0, len(list))
	for _, v := range list {
		sv := StateVersion{ObjectVersion: v}
		if !v.Deleted {
			s, err := ob.Version(ctx, v.ID)
			if err != nil {
				sv.Err = err
			} else {
				sv.Serial, sv.Lineage, sv.Resources = s.Serial, s.Lineage, len(s.Resources)
			}
		}
		out = append(out, sv)
	}
	return out, nil
}

// Version reads one stored version of the state (`state pull --version`).
func (b *ObjectBackend) Version(ctx context.Context, id string) (*State, error) {
	vs, ok := b.store.(VersionedStore)
	if !ok {
		return nil, ErrNoHistory
	}
	data, err := vs.GetVersion(ctx, b.stateKey, id)
	if err != nil {
		return nil, err
	}
	plain, err := b.open(data, b.stateKey+"?versionId="+id)
	if err != nil {
		return nil, err
	}
	s, err := Decode(plain)
	if err != nil {
		return nil, fmt.Errorf("read %s version %s: %w", b.StateLocation(), id, err)
	}
	return s, nil
}
