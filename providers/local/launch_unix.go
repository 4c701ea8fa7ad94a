//go:build unix

package local

import (
	"os"
	"syscall"
)

// detachAttrs starts the supervisor in a session of its own, so Ctrl-C in
// the terminal that ran stagecraft does not reach it.
func detachAttrs() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setsid: true}
}

// signalProcess sends sig to one process.
func signalProcess(pid int, sig syscall.Signal) error { return syscall.Kill(pid, sig) }

// processAlive reports whether pid runs.
func processAlive(pid int) bool { return syscall.Kill(pid, 0) == nil }

// ownedByMe reports whether a file belongs to this user.
func ownedByMe(info os.FileInfo) bool {
	st, ok := info.Sys().(*syscall.Stat_t)
	return ok && int(st.Uid) == os.Getuid()
}
