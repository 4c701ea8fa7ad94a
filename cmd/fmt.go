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
	c.Flags().BoolVar(&opts.Diff, "diff", false, "show the changes as a diff")
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
			fmt.Fprint(io.Out, unifiedDiff(f, string(src), string(out)))
		}
		if opts.Check {
			continue
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

// unifiedDiff renders a line diff of a and b (whole-file hunks are enough
// for formatting changes, which touch few lines).
func unifiedDiff(name, a, b string) string {
	al := strings.SplitAfter(a, "\n")
	bl := strings.SplitAfter(b, "\n")
	// Longest common subsequence over lines.
	n, m := len(al), len(bl)
	lcs := make([][]int, n+1)
	for i := range lcs {
		lcs[i] = make([]int, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if al[i] == bl[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "--- %s\n+++ %s (formatted)\n", name, name)
	i, j := 0, 0
	line := func(prefix, s string) {
		if s == "" {
			return
		}
		sb.WriteString(prefix + strings.TrimSuffix(s, "\n") + "\n")
	}
	for i < n || j < m {
		switch {
		case i < n && j < m && al[i] == bl[j]:
			i++
			j++
		case j < m && (i == n || lcs[i][j+1] >= lcs[i+1][j]):
			line("+", bl[j])
			j++
		default:
			line("-", al[i])
			i++
		}
	}
	return sb.String()
}
