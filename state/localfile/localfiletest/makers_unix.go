//go:build unix

package localfiletest

import (
	"os"
	"syscall"
	"testing"
)

func makers(testing.TB) map[string]Maker {
	return map[string]Maker{
		"symlink to /dev/zero": func(p string) error { return os.Symlink("/dev/zero", p) },
		"fifo":                 func(p string) error { return syscall.Mkfifo(p, 0o600) },
		"directory":            func(p string) error { return os.Mkdir(p, 0o700) },
	}
}
