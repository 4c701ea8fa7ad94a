// Package localfiletest makes, for tests, what an attacker may put where
// Stagecraft keeps one of its files (package localfile): a link to
// /dev/zero, a named pipe, a directory. The tests of the state backends,
// saved plans, the sim provider and the commands share it.
package localfiletest

import "testing"

// Maker makes one thing that is not a regular file at path.
type Maker func(path string) error

// Makers returns, by name, every way a path can be something other than
// a regular file. Where the system has no named pipes or /dev/zero
// (Windows) it skips the test.
func Makers(t testing.TB) map[string]Maker {
	t.Helper()
	return makers(t)
}
