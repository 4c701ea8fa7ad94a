package local

import (
	"os"
	"syscall"

	"github.com/stagecraft/stagecraft/providers/local/supervisor"
)

// detachAttrs is never used: no supervisor starts on Windows.
func detachAttrs() *syscall.SysProcAttr { return nil }

// signalProcess fails: there are no signals to send.
func signalProcess(int, syscall.Signal) error { return supervisor.ErrPlatform }

// processAlive reports false: no supervisor runs on Windows.
func processAlive(int) bool { return false }

// ownedByMe reports false: no supervisor runs on Windows.
func ownedByMe(os.FileInfo) bool { return false }
