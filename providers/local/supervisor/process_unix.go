//go:build unix

package supervisor

import (
	"fmt"
	"os"
	"syscall"
)

// ErrPlatform is nil: the local provider runs on this system.
var ErrPlatform error

// signalGroup sends sig to every process of the group pgid.
func signalGroup(pgid int, sig syscall.Signal) error { return syscall.Kill(-pgid, sig) }

// groupExists reports whether any process is in the group pgid.
func groupExists(pgid int) bool { return syscall.Kill(-pgid, 0) == nil }

// ownerOf is the uid owning a file.
func ownerOf(info os.FileInfo) (int, bool) {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return int(st.Uid), true
}

// DirIdentity names the directory at path as the file system knows it
// (device and inode), so a directory removed and made again is told
// apart from the one a supervisor started in; "" when it does not exist.
func DirIdentity(path string) string {
	info, err := os.Stat(path)
	if err != nil {
		return ""
	}
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return ""
	}
	return fmt.Sprintf("%d:%d", st.Dev, st.Ino)
}

// setPrivateUmask makes everything the supervisor and its children
// create private to the user unless they ask otherwise: files 0600,
// directories 0700 (redis dumps, ZooKeeper and etcd data, logs).
func setPrivateUmask() { syscall.Umask(0o077) }
