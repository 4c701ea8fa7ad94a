package state

import (
	"errors"
	"io/fs"
	"os"

	"github.com/gofrs/flock"
	"golang.org/x/sys/windows"
)

// writeLockInfo leaves the lock file empty on Windows: a LockFileEx lock
// is mandatory, so no other handle may write the locked file, and the
// lock library keeps its own handle. A LockedError then says that
// another process holds the lock without naming it.
func writeLockInfo(string, fs.FileInfo, []byte) error { return nil }

// releaseLockFile releases the lock, then removes the lock file while
// path still names it: Windows cannot remove a file that is open. A file
// that another process opened in between is its lock now, and Windows
// refuses to remove it (a sharing violation), which is what should
// happen.
func releaseLockFile(fl *flock.Flock, held fs.FileInfo, path string) error {
	err := fl.Unlock()
	same, serr := stillNamed(path, held)
	if serr == nil && same {
		serr = os.Remove(path)
		if errors.Is(serr, fs.ErrNotExist) || errors.Is(serr, windows.ERROR_SHARING_VIOLATION) {
			serr = nil
		}
	}
	return errors.Join(err, serr)
}
