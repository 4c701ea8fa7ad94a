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
)

// fileReader reads the files that file(), fileexists() and templatefile()
// name. Their paths are relative to baseDir, a directory inside fsys; fsys is
// the stack directory, and nothing outside it can be read, so that a stack
// plans the same on every machine.
type fileReader struct {
	fsys    fs.FS
	baseDir string
}

// resolve turns a path given in a stack expression into a path inside fsys.
// It refuses absolute paths and paths that climb out of fsys, which fs.FS
// could not open anyway, with an error that says why.
func (r fileReader) resolve(p string) (string, error) {
	if r.fsys == nil {
		// A bug in the caller, not in the stack, but still no reason to panic.
		return "", errors.New("this evaluation has no stack directory to read files from")
	}
	if p == "" {
		return "", errors.New("the file path is empty; give a path relative to the stack directory")
	}
	if path.IsAbs(p) || filepath.IsAbs(p) || filepath.VolumeName(p) != "" {
		return "", fmt.Errorf("file path %q leaves the stack directory; give a path relative to the directory of the stack file instead of an absolute one", p)
	}
	base := path.Clean(r.baseDir)
	if !fs.ValidPath(base) {
		// A bug in the caller, not in the stack, but still no reason to panic.
		return "", fmt.Errorf("the stack's base directory %q is not a valid slash-separated path inside the stack directory", r.baseDir)
	}
	full := path.Join(base, p)
	if !fs.ValidPath(full) {
		return "", fmt.Errorf("file path %q leaves the stack directory; file functions read only files inside it, so move the file into the stack directory or fix the path", p)
	}
	return full, nil
}

// read returns the contents of the file at p, a path from a stack
// expression.
func (r fileReader) read(p string) ([]byte, error) {
	full, err := r.resolve(p)
	if err != nil {
		return nil, err
	}
	info, err := fs.Stat(r.fsys, full)
	if err != nil {
		return nil, describeFileError(p, err)
	}
	if info.IsDir() {
		return nil, fmt.Errorf("%q is a directory, not a file", p)
	}
	src, err := fs.ReadFile(r.fsys, full)
	if err != nil {
		return nil, describeFileError(p, err)
	}
	return src, nil
}

// describeFileError words an error from reading the file at p.
func describeFileError(p string, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("no file exists at %q; the path is relative to the directory of the stack file", p)
	}
	var pathErr *fs.PathError
	if errors.As(err, &pathErr) {
		err = pathErr.Err // The operation and full path would only repeat p.
	}
	return fmt.Errorf("cannot read %q: %s", p, err)
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
			src, err := r.read(p)
			if err != nil {
				return cty.UnknownVal(cty.String), function.NewArgError(0, err)
			}
			if !utf8.Valid(src) {
				return cty.UnknownVal(cty.String), function.NewArgErrorf(0, "the contents of %q are not valid UTF-8 text; file reads only text files", p)
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
			full, err := r.resolve(p)
			if err != nil {
				return cty.UnknownVal(cty.Bool), function.NewArgError(0, err)
			}
			info, err := fs.Stat(r.fsys, full)
			switch {
			case errors.Is(err, fs.ErrNotExist):
				return cty.False, nil
			case err != nil:
				return cty.UnknownVal(cty.Bool), function.NewArgError(0, describeFileError(p, err))
			case info.IsDir():
				return cty.UnknownVal(cty.Bool), function.NewArgErrorf(0, "%q is a directory, not a file", p)
			case !info.Mode().IsRegular():
				return cty.UnknownVal(cty.Bool), function.NewArgErrorf(0, "%q is not a regular file", p)
			default:
				return cty.True, nil
			}
		},
	})
}
