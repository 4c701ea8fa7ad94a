// Package stackfs opens the files a stack reads and nothing else.
//
// A stack file may come from a pull request, so the paths in it are
// untrusted: Open confines every path to the stack directory with
// os.Root, so that neither "..", nor an absolute path, nor a symbolic link
// leads out of it, and ReadFile reads only regular files up to
// limits.MaxFileSize, refusing a named pipe (which would block the reader
// forever), a device (/dev/zero never ends) or a directory before reading
// a byte. Module directories are confined the same way through fs.Sub.
package stackfs

import (
	"errors"
	"io"
	"io/fs"
	"os"

	"github.com/stagecraft/stagecraft/stacks/limits"
)

// Open confines the directory dir: the file system returned reads only
// files inside it. Its Open never blocks on a named pipe, and fs.Sub on
// it confines a subdirectory the same way.
func Open(dir string) (fs.FS, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	return rootFS{root: root}, nil
}

// rootFS is a directory opened with os.Root.
type rootFS struct {
	root *os.Root
}

// Open opens a file for reading without blocking: a named pipe with no
// writer would otherwise stop the open, and the run, until one comes.
func (r rootFS) Open(name string) (fs.File, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	f, err := r.root.OpenFile(name, openFlags, 0)
	if err != nil {
		return nil, err
	}
	return f, nil
}

// Stat follows symbolic links inside the root, as Open does.
func (r rootFS) Stat(name string) (fs.FileInfo, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "stat", Path: name, Err: fs.ErrInvalid}
	}
	return r.root.Stat(name)
}

// ReadDir lists a directory inside the root.
func (r rootFS) ReadDir(name string) ([]fs.DirEntry, error) {
	return fs.ReadDir(r.root.FS(), name)
}

// Sub confines a subdirectory: a module's files and the files its
// functions read stay inside the module's directory.
func (r rootFS) Sub(dir string) (fs.FS, error) {
	if !fs.ValidPath(dir) {
		return nil, &fs.PathError{Op: "sub", Path: dir, Err: fs.ErrInvalid}
	}
	if dir == "." {
		return r, nil
	}
	sub, err := r.root.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	return rootFS{root: sub}, nil
}

// ErrNotRegular is the error ReadFile returns (wrapped in words that say
// what the file is) for a path that names a directory, named pipe, device
// or socket.
var ErrNotRegular = errors.New("not a regular file")

// ErrTooLarge is the error ReadFile returns (wrapped in words that state
// the limit) for a file larger than limits.MaxFileSize.
var ErrTooLarge = errors.New("file too large")

// refusal is a file refused by a rule: its text is a clause about the
// file ("it is a named pipe, not a regular file").
type refusal struct {
	rule   error
	clause string
}

func (r *refusal) Error() string { return r.clause }
func (r *refusal) Unwrap() error { return r.rule }

// Escapes reports whether err is os.Root's refusal of a path that leads
// out of the root, through ".." or a symbolic link. os has no exported
// error for it, so its text is compared.
func Escapes(err error) bool {
	var pe *fs.PathError
	return errors.As(err, &pe) && pe.Err != nil && pe.Err.Error() == "path escapes from parent"
}

// Describe words an error from this package's file systems as a clause
// about the file: "it does not exist", "it is a device, not a regular
// file", "it leads out of the directory through a symbolic link or ..".
func Describe(err error) string {
	var r *refusal
	var pe *fs.PathError
	switch {
	case errors.As(err, &r):
		return r.clause
	case errors.Is(err, fs.ErrNotExist):
		return "it does not exist"
	case Escapes(err):
		return "it leads out of the directory (through .. or a symbolic link)"
	case errors.As(err, &pe):
		return pe.Err.Error()
	}
	return err.Error()
}

// ReadFile reads the regular file name in fsys, up to limits.MaxFileSize.
// What name is checked before it is opened, and again on the open file
// (the path may have been replaced in between); a file that grows past
// the limit while it is read is refused too.
func ReadFile(fsys fs.FS, name string) ([]byte, error) {
	info, err := fs.Stat(fsys, name)
	if err != nil {
		return nil, err
	}
	if err := checkInfo(info); err != nil {
		return nil, err
	}
	f, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readOpen(f)
}

// ReadPath reads the regular file at path on the machine, up to
// limits.MaxFileSize, with ReadFile's checks. It is for paths the user
// gives on the command line (-var-file), which may lie outside the stack
// directory.
func ReadPath(path string) ([]byte, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if err := checkInfo(info); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, openFlags, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readOpen(f)
}

func readOpen(f fs.File) ([]byte, error) {
	info, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if err := checkInfo(info); err != nil {
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(f, limits.MaxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > limits.MaxFileSize {
		return nil, tooLarge()
	}
	return data, nil
}

// checkInfo refuses what is not a regular file or is over the limit.
func checkInfo(info fs.FileInfo) error {
	if what := Kind(info.Mode()); what != "" {
		return &refusal{rule: ErrNotRegular, clause: "it is " + what + ", not a regular file"}
	}
	if info.Size() > limits.MaxFileSize {
		return tooLarge()
	}
	return nil
}

func tooLarge() error {
	return &refusal{rule: ErrTooLarge, clause: "it is larger than " + limits.Size(limits.MaxFileSize) + ", the limit for one file a stack reads"}
}

// Kind says in words what a file that is not a regular file is ("a
// directory", "a named pipe"), or "" for a regular file.
func Kind(mode fs.FileMode) string {
	switch {
	case mode.IsRegular():
		return ""
	case mode.IsDir():
		return "a directory"
	case mode&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case mode&fs.ModeDevice != 0, mode&fs.ModeCharDevice != 0:
		return "a device"
	case mode&fs.ModeSocket != 0:
		return "a socket"
	case mode&fs.ModeSymlink != 0:
		return "a symbolic link"
	}
	return "an irregular file"
}
