//go:build unix && !linux

package supervisor

import "syscall"

// childAttrs puts a child in its own process group. Outside Linux there is
// no parent-death signal: a supervisor killed with SIGKILL leaves its
// children running until the next supervisor's cleanup.
func childAttrs() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
