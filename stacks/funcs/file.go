package funcs

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"unicode/utf8"

	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"

	"github.com/stagecraft/stagecraft/stacks/stackfs"
)

// fileReader reads the files that file(), fileexists() and templatefile()
// name. Their paths are relative to baseDir, a directory inside fsys; fsys is
// the stack directory (or a module's), and nothing outside it can be read,
// so that a stack plans the same on every machine and a stack from a pull
// request cannot read the secrets of the machine planning it. Only regular
// files up to limits.MaxFileSize are read (see stackfs.ReadFile).
type fileReader struct {
	fsys    fs.FS
	baseDir string
}

// resolve turns a path given to the function fn in a stack expression into
// a path inside fsys. It refuses absolute paths and paths that climb out
// of fsys with an error that names the function and the rule.
func (r fileReader) resolve(fn, p string) (string, error) {
	if r.fsys == nil {
		// A bug in the caller, not in the stack, but still no reason to panic.
		return "", fmt.Errorf("%s: this evaluation has no stack directory to read files from", fn)
	}
	if p == "" {
		return "", fmt.Errorf("%s: the file path is empty; give a path relative to the stack directory", fn)
	}
	if path.IsAbs(p) || filepath.IsAbs(p) || filepath.VolumeName(p) != "" {
		return "", fmt.Errorf("%s: path %q leaves the stack directory; functions read only files inside it, so give a path relative to the directory of the stack file", fn, p)
	}
	base := path.Clean(r.baseDir)
	if !fs.ValidPath(base) {
		// A bug in the caller, not in the stack, but still no reason to panic.
		return "", fmt.Errorf("%s: the stack's base directory %q is not a valid slash-separated path inside the stack directory", fn, r.baseDir)
	}
	full := path.Join(base, p)
	if !fs.ValidPath(full) {
		return "", fmt.Errorf("%s: path %q leaves the stack directory; functions read only files inside it, so move the file into the stack directory or fix the path", fn, p)
	}
	return full, nil
}

// read returns the contents of the file at p, a path given to the
// function fn.
func (r fileReader) read(fn, p string) ([]byte, error) {
	full, err := r.resolve(fn, p)
	if err != nil {
		return nil, err
	}
	src, err := stackfs.ReadFile(r.fsys, full)
	if err != nil {
		return nil, describeFileError(fn, p, err)
	}
	return src, nil
}

// describeFileError words an error from reading the file at p for the
// function fn.
func describeFileError(fn, p string, err error) error {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%s: no file exists at %q; the path is relative to the directory of the stack file", fn, p)
	case stackfs.Escapes(err):
		return fmt.Errorf("%s: path %q leads out of the stack directory through a symbolic link; functions read only files inside it", fn, p)
	case errors.Is(err, stackfs.ErrNotRegular):
		return fmt.Errorf("%s: cannot read %q: %s; functions read only regular files", fn, p, stackfs.Describe(err))
	}
	return fmt.Errorf("%s: cannot read %q: %s", fn, p, stackfs.Describe(err))
}

// fileFunc builds file(path): the contents of a text file as a string.
func (r fileReader) fileFunc() function.Function {
	return function.New(&function.Spec{
		Description: "Returns the contents of a UTF-8 text file, whose path is relative to the directory of the stack file.",
		Params: []function.Parameter{
			{Name: "path", Type: cty.String},
		},
		Type:         function.StaticReturnType(cty.String),
		RefineResult: refineNotNull,
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			p := args[0].AsString()
			src, err := r.read("file", p)
			if err != nil {
				return cty.UnknownVal(cty.String), function.NewArgError(0, err)
			}
			if !utf8.Valid(src) {
				return cty.UnknownVal(cty.String), function.NewArgErrorf(0, "file: the contents of %q are not valid UTF-8 text; file reads only text files", p)
			}
			return cty.StringVal(string(src)), nil
		},
	})
}

// fileExistsFunc builds fileexists(path): whether a regular file exists at
// the path. A directory there is an error, as in Terraform, since a stack
// that asks is about to read a file.
func (r fileReader) fileExistsFunc() function.Function {
	return function.New(&function.Spec{
		Description: "Reports whether a file exists at a path relative to the directory of the stack file.",
		Params: []function.Parameter{
			{Name: "path", Type: cty.String},
		},
		Type:         function.StaticReturnType(cty.Bool),
		RefineResult: refineNotNull,
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			p := args[0].AsString()
			full, err := r.resolve("fileexists", p)
			if err != nil {
				return cty.UnknownVal(cty.Bool), function.NewArgError(0, err)
			}
			info, err := fs.Stat(r.fsys, full)
			switch {
			case errors.Is(err, fs.ErrNotExist):
				return cty.False, nil
			case err != nil:
				return cty.UnknownVal(cty.Bool), function.NewArgError(0, describeFileError("fileexists", p, err))
			case !info.Mode().IsRegular():
				return cty.UnknownVal(cty.Bool), function.NewArgErrorf(0, "fileexists: %q is %s, not a regular file; functions read only regular files", p, stackfs.Kind(info.Mode()))
			default:
				return cty.True, nil
			}
		},
	})
}
