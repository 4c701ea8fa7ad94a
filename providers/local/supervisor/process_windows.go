package supervisor

import (
	"errors"
	"os"
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

// groupExists reports false: there are no process groups.
func groupExists(int) bool { return false }

// groupKilledOnExit is false: no process starts on Windows.
const groupKilledOnExit = false

// waitExited reports false: no process starts on Windows.
func waitExited(int) bool { return false }

// processStart reports false: no process starts on Windows.
func processStart(int) (uint64, bool) { return 0, false }

// ownerOf does not know owners on Windows.
func ownerOf(os.FileInfo) (int, bool) { return 0, false }

// DirIdentity is "": no supervisor runs on Windows.
func DirIdentity(string) string { return "" }

// setPrivateUmask does nothing: no supervisor runs on Windows.
func setPrivateUmask() {}
