//go:build !(darwin || dragonfly || freebsd || linux || netbsd || openbsd)

package state

import (
	"fmt"
	"os"
	"runtime"
)

// tryLockFile fails on systems without flock: the local backend would
// rather refuse to lock than pretend to.
func tryLockFile(*os.File) (bool, error) {
	return false, fmt.Errorf("the local state backend cannot lock files on %s", runtime.GOOS)
}

// sameFile reports whether path still names the file f has open.
func sameFile(f *os.File, path string) (bool, error) {
	fi, err := f.Stat()
	if err != nil {
		return false, err
	}
	pi, err := os.Stat(path)
	if err != nil {
		return false, nil
	}
	return os.SameFile(fi, pi), nil
}

// syncDir is a no-op where directories cannot be opened for fsync.
func syncDir(string) error { return nil }
