//go:build unix && !linux

package mototest

import "syscall"

// dieWithParent does nothing where the kernel has no parent-death signal:
// a server whose test binary was killed runs on until it is stopped by
// hand, which Stop in a test's cleanup normally does first.
func dieWithParent(*syscall.SysProcAttr) {}
