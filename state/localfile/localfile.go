// Package localfile opens, reads and creates the files Stagecraft keeps on
// this machine (states, journals, locks, saved plans, the sim provider's
// cloud), which hold secrets. Only regular files are read or written: a
// symbolic link, named pipe, device or directory where one of these files
// belongs is refused with one sentence instead of being followed, hanging
// on an open or being read for ever. Reads are bounded, new files are 0600
// and new directories 0700, and a file or directory found with a looser
// mode is tightened when Stagecraft writes it.
//
// It imports only the standard library, so the state backends, saved plans
// and the providers that keep files share one set of rules.
package localfile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

const (
	// FileMode is the mode of every file Stagecraft creates for itself.
	FileMode fs.FileMode = 0o600
	// DirMode is the mode of every directory Stagecraft creates for
	// itself.
	DirMode fs.FileMode = 0o700
)

// MaxSize is the largest file Read accepts unless told otherwise: far
// above any state, journal, plan or sim cloud Stagecraft writes, and a
// bound on what a file that keeps growing can make it read.
const MaxSize int64 = 1 << 30

// NotRegularError is a path that names something other than a regular
// file where Stagecraft keeps one of its files.
type NotRegularError struct {
	// Path is the path as given.
	Path string
	// What says what the path names instead ("a symbolic link", "a
	// directory", ...).
	What string
}

// Error says what the path is and what to do.
func (e *NotRegularError) Error() string {
	return fmt.Sprintf("%s is %s, not a regular file; Stagecraft reads and writes its files only as regular files, so remove it or choose another path", e.Path, e.What)
}

// TooLargeError is a file larger than a read allows.
type TooLargeError struct {
	// Path is the file.
	Path string
	// Limit is the size allowed, in bytes.
	Limit int64
}

// Error says which file and what the limit is.
func (e *TooLargeError) Error() string {
	return fmt.Sprintf("%s is larger than %s, more than Stagecraft reads of one of its files; check that it is the file you mean", e.Path, sizeText(e.Limit))
}

// sizeText writes a byte count in the largest whole binary unit.
func sizeText(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// describe names a file mode for NotRegularError; "" for a regular file.
func describe(m fs.FileMode) string {
	switch {
	case m.IsRegular():
		return ""
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return "not a regular file"
}

// Check reports a path that exists and is not a regular file (without
// following a symbolic link) as a *NotRegularError. A path that does not
// exist passes: it is where a new file goes.
func Check(path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if what := describe(fi.Mode()); what != "" {
		return &NotRegularError{Path: path, What: what}
	}
	return nil
}

// Open opens path with flag (os.O_RDONLY, os.O_RDWR|os.O_CREATE, ...) when
// it is a regular file, creating it with FileMode where flag says so. It
// neither follows a symbolic link at path nor waits on a named pipe: both,
// and devices and directories, are a *NotRegularError. A file opened for
// writing whose mode is looser than FileMode is tightened to it. A missing
// file without os.O_CREATE is an error that errors.Is fs.ErrNotExist.
func Open(path string, flag int) (*os.File, error) {
	if err := Check(path); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, flag|openFlags, FileMode)
	if err != nil {
		if cerr := Check(path); cerr != nil {
			return nil, cerr // replaced between the check and the open
		}
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if what := describe(fi.Mode()); what != "" {
		f.Close()
		return nil, &NotRegularError{Path: path, What: what}
	}
	if flag&(os.O_WRONLY|os.O_RDWR) != 0 && fi.Mode().Perm()&^FileMode != 0 {
		if err := f.Chmod(FileMode); err != nil {
			f.Close()
			return nil, fmt.Errorf("make %s private: %w", path, err)
		}
	}
	return f, nil
}

// Read returns the content of the regular file at path, refusing what Open
// refuses and a file larger than limit bytes (*TooLargeError). A missing
// file is an error that errors.Is fs.ErrNotExist.
func Read(path string, limit int64) ([]byte, error) {
	f, err := Open(path, os.O_RDONLY)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	size := int64(512)
	if fi, err := f.Stat(); err == nil && fi.Size() > 0 {
		size = min(fi.Size(), limit) + 1
	}
	buf := bytes.NewBuffer(make([]byte, 0, size))
	n, err := buf.ReadFrom(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if n > limit {
		return nil, &TooLargeError{Path: path, Limit: limit}
	}
	return buf.Bytes(), nil
}

// MkdirAll creates dir and its missing parents with DirMode, and tightens
// dir itself to DirMode when it exists with a looser mode. dir must be a
// directory, not a symbolic link to one.
func MkdirAll(dir string) error {
	if err := os.MkdirAll(dir, DirMode); err != nil {
		return err
	}
	return TightenDir(dir)
}

// TightenDir sets dir to DirMode when it exists with a looser mode; a
// missing dir is left missing. Something other than a directory at dir is
// an error.
func TightenDir(dir string) error {
	fi, err := os.Lstat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		what := describe(fi.Mode())
		if what == "" {
			what = "a file"
		}
		return fmt.Errorf("%s is %s, not a directory; Stagecraft keeps its files in a directory there, so remove it", dir, what)
	}
	if fi.Mode().Perm()&^DirMode != 0 {
		if err := os.Chmod(dir, DirMode); err != nil {
			return fmt.Errorf("make %s private: %w", dir, err)
		}
	}
	return nil
}
