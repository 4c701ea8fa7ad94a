package mototest

import "syscall"

// dieWithParent has the kernel kill the server when the test binary dies,
// so a killed test run leaves no moto_server behind.
func dieWithParent(a *syscall.SysProcAttr) { a.Pdeathsig = syscall.SIGKILL }
