//go:build !(linux || freebsd || netbsd || openbsd || dragonfly || darwin)

package main

import (
	"fmt"
	"runtime"
)

// peakRSS says that this system has no getrusage to read the peak
// resident memory from; the field is then left empty.
func peakRSS() (int64, error) {
	return 0, fmt.Errorf("peak memory is not measured on %s, so maxrss_mb is left empty", runtime.GOOS)
}
