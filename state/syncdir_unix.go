//go:build unix

package state

import "os"

// syncDir fsyncs a directory so that renames and new entries in it survive
// a crash.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
