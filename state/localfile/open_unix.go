//go:build unix

package localfile

import "syscall"

// openFlags keep Open from following a symbolic link that replaced the
// file after Check, and from waiting for a writer on a named pipe.
const openFlags = syscall.O_NOFOLLOW | syscall.O_NONBLOCK
