package local

import (
	"errors"
	"syscall"
)

// errPlatform says why the local provider does not run on Windows: it
// keeps its servers in process groups that it signals, which Windows does
// not have. Configure, the supervisor and every process start return it.
var errPlatform = errors.New("the local provider runs on Linux and macOS only; use the sim or aws provider on Windows")

// detachAttrs is never used: no supervisor starts on Windows.
func detachAttrs() *syscall.SysProcAttr { return nil }

// childAttrs is never used: no process starts on Windows.
func childAttrs() *syscall.SysProcAttr { return nil }

// signalGroup fails: there are no process groups to signal.
func signalGroup(int, syscall.Signal) error { return errPlatform }

// signalProcess fails: there are no signals to send.
func signalProcess(int, syscall.Signal) error { return errPlatform }

// processAlive reports false: no supervisor runs on Windows.
func processAlive(int) bool { return false }
