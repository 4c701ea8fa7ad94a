//go:build !unix

package stackfs

import "os"

// openFlags opens for reading; named pipes that block an open are a Unix
// matter.
const openFlags = os.O_RDONLY
