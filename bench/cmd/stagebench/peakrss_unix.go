//go:build linux || freebsd || netbsd || openbsd || dragonfly

package main

import "syscall"

// peakRSS returns the most memory this process has held resident, in
// bytes. These kernels report ru_maxrss in kibibytes.
func peakRSS() (int64, error) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, err
	}
	return int64(ru.Maxrss) * 1024, nil
}
