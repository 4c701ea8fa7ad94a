package local

import "syscall"

// childAttrs puts a child in its own process group and has the kernel kill
// it when the supervisor dies.
func childAttrs() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// detachAttrs starts the supervisor in a session of its own, so Ctrl-C in
// the terminal that ran stagecraft does not reach it.
func detachAttrs() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setsid: true}
}
