package cmd

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/aymanbagabas/go-udiff"
	"github.com/spf13/cobra"

	"github.com/stagecraft/stagecraft/stacks"
)

// FmtOptions are the inputs of fmt.
type FmtOptions struct {
	Deps      *Deps
	Global    *GlobalOptions
	Check     bool
	Diff      bool
	Recursive bool
	// Paths are files or directories; default the stack directory.
	Paths []string
}

func newFmtCmd(deps *Deps, g *GlobalOptions, runF func(context.Context, *FmtOptions) error) *cobra.Command {
	opts := &FmtOptions{Deps: deps, Global: g}
	c := &cobra.Command{
		Use:   "fmt [PATH...]",
		Short: "Rewrite stack files in the canonical layout",
		Long: `Rewrite .hcl files (stack, module and variable files) in the canonical layout:
indentation, aligned equals signs, spacing. Without a path, the stack
directory (-C). Files with syntax errors are reported and left alone.

With -diff, nothing is rewritten: the changes are printed as a unified diff
with a/ and b/ file names relative to the working directory, so
"stagecraft fmt -diff | patch -p1" applies them. With -check, nothing is
rewritten either; the files that need formatting are listed.

Exit codes: 0 formatted (or already formatted), 1 error, 3 with -check when
files need formatting.`,
		RunE: func(c *cobra.Command, args []string) error {
			opts.Paths = args
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runFmt(c.Context(), opts)
		},
	}
	c.Flags().BoolVar(&opts.Check, "check", false, "only list the files that need formatting (exit 3 when any do)")
	c.Flags().BoolVar(&opts.Diff, "diff", false, "print the changes as a unified diff (for patch -p1) instead of rewriting the files")
	c.Flags().BoolVar(&opts.Recursive, "recursive", false, "also format files in subdirectories")
	return c
}

func runFmt(_ context.Context, opts *FmtOptions) error {
	io := opts.Deps.IO
	paths := opts.Paths
	if len(paths) == 0 {
		paths = []string{opts.Global.Dir}
	}
	var files []string
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			return userError("there is no file or directory %q.", p)
		}
		if !info.IsDir() {
			files = append(files, p)
			continue
		}
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if path != p && (!opts.Recursive || strings.HasPrefix(d.Name(), ".")) {
					return filepath.SkipDir
				}
				return nil
			}
			if strings.HasSuffix(d.Name(), ".hcl") && !strings.HasPrefix(d.Name(), ".") {
				files = append(files, path)
			}
			return nil
		})
		if err != nil {
			return userError("cannot read %s: %s.", p, err)
		}
	}
	sort.Strings(files)
	var changed []string
	failed := false
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			return userError("cannot read %s: %s.", f, err)
		}
		out, err := stacks.FormatFile(src, f)
		if err != nil {
			var fe *stacks.FormatError
			if errors.As(err, &fe) {
				printDiags(opts.Deps, opts.Global, nil, fe.Diags)
			} else {
				fmt.Fprintf(io.ErrOut, "Error: %s: %s\n", f, err)
			}
			failed = true
			continue
		}
		if bytes.Equal(src, out) {
			continue
		}
		changed = append(changed, f)
		if opts.Diff {
			fmt.Fprint(io.Out, formatDiff(f, src, out))
		}
		if opts.Check || opts.Diff {
			continue // report only: the file is left as it is
		}
		info, _ := os.Stat(f)
		if err := os.WriteFile(f, out, info.Mode().Perm()); err != nil {
			return userError("cannot write %s: %s.", f, err)
		}
	}
	if !opts.Diff {
		for _, f := range changed {
			fmt.Fprintln(io.Out, f)
		}
	}
	switch {
	case failed:
		return silentExit(ExitError)
	case opts.Check && len(changed) > 0:
		return silentExit(ExitFormat)
	}
	return nil
}

// formatDiff is the unified diff that turns a file's text into its
// formatted text, with a/ and b/ in the headers as git writes them, so
// patch -p1 applies it from the working directory.
func formatDiff(name string, src, out []byte) string {
	label := diffLabel(name)
	return udiff.Unified("a/"+label, "b/"+label, string(src), string(out))
}

// diffLabel names a file in a diff header: relative to the working
// directory when it is below it, with forward slashes on every system.
func diffLabel(name string) string {
	if filepath.IsAbs(name) {
		if wd, err := os.Getwd(); err == nil {
			if rel, err := filepath.Rel(wd, name); err == nil && filepath.IsLocal(rel) {
				name = rel
			}
		}
	}
	return filepath.ToSlash(filepath.Clean(name))
}
