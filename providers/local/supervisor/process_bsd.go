//go:build unix && !linux

package supervisor

import "syscall"

// childAttrs puts a child in its own process group. Outside Linux there is
// no parent-death signal: a supervisor killed with SIGKILL leaves its
// children running until the next supervisor stops them (the registry).
func childAttrs() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}

// groupKilledOnExit is false: there is no waiting without reaping here,
// so Stop kills the group after the child is reaped.
const groupKilledOnExit = false

// waitExited cannot wait without reaping here.
func waitExited(int) bool { return false }
