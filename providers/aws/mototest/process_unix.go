//go:build unix

package mototest

import (
	"os/exec"
	"syscall"
)

// isolate starts cmd in a process group of its own, so that stopping the
// group reaches any worker moto forks; on Linux it also dies with the test
// binary should that be killed (see isolate_linux.go).
func isolate(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	dieWithParent(cmd.SysProcAttr)
}

// terminate asks the process group led by pid to stop (SIGTERM), or
// forces it (SIGKILL).
func terminate(pid int, force bool) {
	sig := syscall.SIGTERM
	if force {
		sig = syscall.SIGKILL
	}
	_ = syscall.Kill(-pid, sig)
}
