package supervisor

import (
	"errors"
	"syscall"
)

// ErrPlatform says why the local provider does not run on Windows: it
// keeps its servers in process groups that it signals, which Windows does
// not have. The provider's Configure, the supervisor and every process
// start return it.
var ErrPlatform = errors.New("the local provider runs on Linux and macOS only; use the sim or aws provider on Windows")

// childAttrs is never used: no process starts on Windows.
func childAttrs() *syscall.SysProcAttr { return nil }

// signalGroup fails: there are no process groups to signal.
func signalGroup(int, syscall.Signal) error { return ErrPlatform }
