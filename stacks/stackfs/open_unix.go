//go:build unix

package stackfs

import (
	"os"
	"syscall"
)

// openFlags opens for reading without waiting for a named pipe's writer.
const openFlags = os.O_RDONLY | syscall.O_NONBLOCK
