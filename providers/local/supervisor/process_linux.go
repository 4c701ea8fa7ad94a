package supervisor

import (
	"errors"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"
)

// childAttrs puts a child in its own process group and has the kernel kill
// it when the supervisor dies.
func childAttrs() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// groupKilledOnExit is true: StartProc kills a child's group when the
// child ends, before it is reaped.
const groupKilledOnExit = true

// waitExited waits until pid has ended without reaping it, and reports
// whether it could.
func waitExited(pid int) bool {
	var info unix.Siginfo
	for {
		err := unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WNOWAIT, nil)
		if !errors.Is(err, unix.EINTR) {
			return err == nil
		}
	}
}

// processStart is pid's start time in clock ticks since boot (field 22 of
// /proc/PID/stat), and whether pid runs (a zombie does not).
func processStart(pid int) (uint64, bool) {
	f, err := ProcStat(pid)
	// The start time is field 22.
	if err != nil || len(f) < 20 || f[0] == "Z" {
		return 0, false
	}
	start, err := strconv.ParseUint(f[19], 10, 64)
	if err != nil {
		return 0, true
	}
	return start, true
}
