//go:build unix

package local

import "syscall"

// errPlatform is nil: the local provider runs on this system.
var errPlatform error

// detachAttrs starts the supervisor in a session of its own, so Ctrl-C in
// the terminal that ran stagecraft does not reach it.
func detachAttrs() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setsid: true}
}

// signalGroup sends sig to every process of the group pgid.
func signalGroup(pgid int, sig syscall.Signal) error { return syscall.Kill(-pgid, sig) }

// signalProcess sends sig to one process.
func signalProcess(pid int, sig syscall.Signal) error { return syscall.Kill(pid, sig) }

// processAlive reports whether pid runs.
func processAlive(pid int) bool { return syscall.Kill(pid, 0) == nil }
