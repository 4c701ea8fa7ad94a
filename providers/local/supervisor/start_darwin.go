package supervisor

import "golang.org/x/sys/unix"

// processStart is pid's start time in microseconds since the epoch, and
// whether pid runs.
func processStart(pid int) (uint64, bool) {
	kp, err := unix.SysctlKinfoProc("kern.proc.pid", pid)
	if err != nil || kp.Proc.P_pid != int32(pid) {
		return 0, false
	}
	if kp.Proc.P_stat == darwinZombie {
		return 0, false
	}
	tv := kp.Proc.P_starttime
	return uint64(tv.Sec)*1e6 + uint64(tv.Usec), true
}

// darwinZombie is SZOMB of <sys/proc.h>: a process that ended and is not
// yet reaped.
const darwinZombie = 5
