//go:build unix

package local

import "syscall"

// detachAttrs starts the supervisor in a session of its own, so Ctrl-C in
// the terminal that ran stagecraft does not reach it.
func detachAttrs() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setsid: true}
}

// signalProcess sends sig to one process.
func signalProcess(pid int, sig syscall.Signal) error { return syscall.Kill(pid, sig) }

// processAlive reports whether pid runs.
func processAlive(pid int) bool { return syscall.Kill(pid, 0) == nil }
