//go:build !unix

package state

// syncDir does nothing where a directory cannot be opened for fsync
// (Windows): a rename there is as durable as the file system makes it,
// which the file's own fsync before the rename does not change.
func syncDir(string) error { return nil }
