package state

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"sync"
	"time"

	"github.com/gofrs/flock"

	"github.com/stagecraft/stagecraft/state/localfile"
)

// lockAttempts bounds how often Lock starts over when the lock file it
// opened was removed before it could lock it (the previous holder unlocking
// at that moment, or a force-unlock).
const lockAttempts = 10

// maxLockInfo bounds what is read of a lock file: the LockInfo a holder
// writes is a few hundred bytes.
const maxLockInfo = 64 << 10

// Lock takes the environment's lock by holding an exclusive file lock on
// the lock file (flock on Unix, LockFileEx on Windows, both through
// github.com/gofrs/flock), which it fills with info as JSON so that others
// can say who holds it. It fails at once with *LockedError when another
// process, or another Lock in this process, holds it. Because the kernel
// drops the lock when its process exits, a lock file left behind by a
// killed process does not block anyone.
//
// The returned unlock removes the lock file and releases the lock; calling
// it again does nothing.
func (l *Local) Lock(ctx context.Context, info LockInfo) (func() error, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := l.checkEnvironment(); err != nil {
		return nil, err
	}
	path := l.LockPath()
	if err := localfile.MkdirAll(l.dir); err != nil {
		return nil, fmt.Errorf("lock state for environment %q: %w", l.env, err)
	}
	if err := localfile.Check(path); err != nil {
		// The lock library would open whatever is there, and wait on a
		// named pipe.
		return nil, fmt.Errorf("lock state for environment %q: %w", l.env, err)
	}
	info = completeLockInfo(info, path)
	content, err := json.MarshalIndent(info, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("lock state for environment %q: %w", l.env, err)
	}
	content = append(content, '\n')

	for range lockAttempts {
		fl := flock.New(path, flock.SetPermissions(0o600))
		locked, err := fl.TryLock()
		if err != nil {
			return nil, fmt.Errorf("lock state for environment %q: lock %s: %w", l.env, path, err)
		}
		if !locked {
			// The holder may be removing the file as it unlocks; then the
			// next attempt finds the lock free.
			if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
				continue
			}
			return nil, &LockedError{Environment: l.env, Info: l.readLockInfo(ctx, path)}
		}
		// The lock only counts if path still names the file it is on: a
		// holder unlocking (or a force-unlock) may have removed it since
		// it was opened.
		held, err := fl.Stat()
		var same bool
		if err == nil {
			same, err = stillNamed(path, held)
		}
		if err != nil {
			_ = fl.Unlock()
			return nil, fmt.Errorf("lock state for environment %q: %w", l.env, err)
		}
		if !same {
			_ = fl.Unlock()
			continue
		}
		if err := writeLockInfo(path, held, content); err != nil {
			_ = fl.Unlock()
			return nil, fmt.Errorf("lock state for environment %q: write %s: %w", l.env, path, err)
		}
		return l.unlockFunc(fl, held, path), nil
	}
	return nil, fmt.Errorf("lock state for environment %q: %s kept being removed while locking it; try again", l.env, path)
}

// completeLockInfo fills in what the caller left out.
func completeLockInfo(info LockInfo, path string) LockInfo {
	if info.ID == "" {
		info.ID = newID()
	}
	if info.Who == "" {
		if u, err := user.Current(); err == nil {
			info.Who = u.Username
		}
	}
	if info.Host == "" {
		if h, err := os.Hostname(); err == nil {
			info.Host = h
		}
	}
	if info.PID == 0 {
		info.PID = os.Getpid()
	}
	if info.Created.IsZero() {
		info.Created = time.Now().UTC().Truncate(time.Second)
	}
	info.Path = path
	return info
}

// readLockInfo reads what the holder wrote into the lock file. The holder
// writes it just after taking the flock, so an empty or half-written file is
// read again a few times before giving up with what is known.
func (l *Local) readLockInfo(ctx context.Context, path string) LockInfo {
	const attempts, pause = 20, 10 * time.Millisecond
	for i := 0; ; i++ {
		data, err := localfile.Read(path, maxLockInfo)
		var info LockInfo
		if err == nil && json.Unmarshal(data, &info) == nil && info.ID != "" {
			return info
		}
		if i == attempts-1 || ctx.Err() != nil {
			return LockInfo{Path: path}
		}
		select {
		case <-ctx.Done():
		case <-time.After(pause):
		}
	}
}

// stillNamed reports whether path still names the file held describes,
// which is false once an unlock or a force-unlock removed it.
func stillNamed(path string, held fs.FileInfo) (bool, error) {
	cur, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return os.SameFile(held, cur), nil
}

// unlockFunc returns the function that releases the lock held with fl on
// the file held describes. It removes the lock file only while path still
// names that file: after a force-unlock the path may belong to someone
// else's lock.
func (l *Local) unlockFunc(fl *flock.Flock, held fs.FileInfo, path string) func() error {
	var once sync.Once
	var err error
	return func() error {
		once.Do(func() {
			if e := releaseLockFile(fl, held, path); e != nil {
				err = fmt.Errorf("unlock state for environment %q: %w", l.env, e)
			}
		})
		return err
	}
}

// ForceUnlock removes the lock file when it holds the lock id, for when the
// holder is gone without unlocking (a killed CI job on a shared machine, a
// container that was stopped). It does not stop the holder: if that
// process is still alive, its flock is on the removed file and no longer
// keeps anyone out, which is what breaking a lock means.
func (l *Local) ForceUnlock(ctx context.Context, id string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := l.checkEnvironment(); err != nil {
		return err
	}
	path := l.LockPath()
	data, err := localfile.Read(path, maxLockInfo)
	if errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("unlock state for environment %q: it is not locked", l.env)
	}
	if err != nil {
		return fmt.Errorf("unlock state for environment %q: %w", l.env, err)
	}
	var info LockInfo
	if err := json.Unmarshal(data, &info); err != nil || info.ID == "" {
		return fmt.Errorf("unlock state for environment %q: lock file %s holds no lock ID; if no stagecraft is running, remove it", l.env, path)
	}
	if info.ID != id {
		return fmt.Errorf("unlock state for environment %q: lock ID %s does not match the current lock: %v", l.env, id, &LockedError{Environment: l.env, Info: info})
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("unlock state for environment %q: %w", l.env, err)
	}
	if err := syncDir(l.dir); err != nil {
		return fmt.Errorf("unlock state for environment %q: sync directory %s: %w", l.env, l.dir, err)
	}
	return nil
}
