//go:build !windows

package state

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/gofrs/flock"

	"github.com/stagecraft/stagecraft/state/localfile"
)

// writeLockInfo fills the locked file held (at path) with content. A Unix
// file lock is advisory, so a second handle may write the file while the
// lock is held; it must be the locked file, not one that replaced it.
func writeLockInfo(path string, held fs.FileInfo, content []byte) error {
	f, err := localfile.Open(path, os.O_WRONLY)
	if err != nil {
		return err
	}
	fi, err := f.Stat()
	if err == nil && !os.SameFile(held, fi) {
		err = fmt.Errorf("%s was replaced while it was being locked", path)
	}
	if err == nil {
		err = f.Truncate(0)
	}
	if err == nil {
		_, err = f.WriteAt(content, 0)
	}
	if err == nil {
		err = f.Sync()
	}
	return errors.Join(err, f.Close())
}

// releaseLockFile removes the lock file while path still names the locked
// file, then releases the lock. Removing first means that nobody can take
// a lock on a file that is about to disappear.
func releaseLockFile(fl *flock.Flock, held fs.FileInfo, path string) error {
	same, err := stillNamed(path, held)
	if err == nil && same {
		if err = os.Remove(path); errors.Is(err, fs.ErrNotExist) {
			err = nil
		}
	}
	return errors.Join(err, fl.Unlock())
}
