package main

import "syscall"

// peakRSS returns the most memory this process has held resident, in
// bytes. macOS reports ru_maxrss in bytes already.
func peakRSS() (int64, error) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, err
	}
	return int64(ru.Maxrss), nil
}
