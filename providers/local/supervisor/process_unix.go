//go:build unix

package supervisor

import "syscall"

// ErrPlatform is nil: the local provider runs on this system.
var ErrPlatform error

// signalGroup sends sig to every process of the group pgid.
func signalGroup(pgid int, sig syscall.Signal) error { return syscall.Kill(-pgid, sig) }
