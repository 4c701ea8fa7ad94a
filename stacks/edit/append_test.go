package edit_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stagecraft/stagecraft/stacks"
	"github.com/stagecraft/stagecraft/stacks/edit"
)

// handWritten is a one-stage stack as people write it before they run fmt:
// tabs, odd spacing, comments everywhere, no newline at the end. Appending
// a stage must leave every byte of it alone.
func handWritten(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "handwritten.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestAppendKeepsFile appends stages to files written in every way people
// write them and checks that each byte before a new stage is the user's,
// that the stage comes after the last one, and that the stack is valid.
func TestAppendKeepsFile(t *testing.T) {
	t.Parallel()
	src := handWritten(t)
	// sep is what comes between the file's text and the new stage: one
	// blank line, however the file ends.
	tests := map[string]struct{ src, sep string }{
		"no final newline":     {src: src, sep: "\n\n"},
		"final newline":        {src: src + "\n", sep: "\n"},
		"blank lines at end":   {src: src + "\n\n\n"},
		"trailing spaces":      {src: src + "\n   \t", sep: "\n\n"},
		"windows line endings": {src: strings.ReplaceAll(src+"\n", "\n", "\r\n"), sep: "\r\n"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			src := tc.src
			dir := writeStack(t, src)
			addStage(t, dir, "load-balanced", "load-balancer", "")
			got := readFile(t, dir, stackFile)
			if !strings.HasPrefix(got, src) {
				t.Fatalf("the file's existing text changed:\n--- before ---\n%s\n--- after ---\n%s", src, got)
			}
			added, ok := strings.CutPrefix(got[len(src):], tc.sep)
			if !ok || !strings.HasPrefix(added, "# A load balancer in front") || !strings.Contains(added, "stage \"load-balanced\" {") {
				t.Errorf("the appended text is not %q and the template's stage with its comment:\n%q", tc.sep, got[len(src):])
			}
			if strings.Contains(src, "\r\n") && strings.Count(added, "\n") != strings.Count(added, "\r\n") {
				t.Errorf("the appended stage does not keep the file's CRLF line endings")
			}
			if names := loadStack(t, dir).StageNames(); !slices.Equal(names, []string{"monolith", "load-balanced"}) {
				t.Errorf("stages %v, want the new stage after monolith", names)
			}
			// The one that follows appends after it, not in between.
			addStage(t, dir, "cached", "cache", "")
			if names := loadStack(t, dir).StageNames(); !slices.Equal(names, []string{"monolith", "load-balanced", "cached"}) {
				t.Errorf("stages %v after a second stage", names)
			}
			if got2 := readFile(t, dir, stackFile); !strings.HasPrefix(got2, got) {
				t.Errorf("the second stage changed what the first wrote")
			}
		})
	}
}

// TestAppendNewFile creates a file that does not exist yet, with the block
// alone in it.
func TestAppendNewFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "stages.hcl")
	block := "stage \"cached\" {\n  extends = \"monolith\"\n}\n"
	if err := edit.Append(path, []byte(block)); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, filepath.Dir(path), "stages.hcl"); got != block {
		t.Errorf("new file:\n%q\nwant:\n%q", got, block)
	}
}

// TestAppendRefuses leaves a file alone when appending to it would not
// give a stack file that parses.
func TestAppendRefuses(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		src  string
		want string
	}{
		"file does not parse": {src: "stage \"monolith\" {\n", want: "cannot append to main.stack.hcl: it does not parse ("},
		"directory":           {src: "", want: "cannot read main.stack.hcl: "},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			path := filepath.Join(dir, stackFile)
			if name == "directory" {
				if err := os.Mkdir(path, 0o755); err != nil {
					t.Fatal(err)
				}
			} else if err := os.WriteFile(path, []byte(tc.src), 0o644); err != nil {
				t.Fatal(err)
			}
			err := edit.Append(path, []byte("stage \"x\" {\n}\n"))
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Fatalf("error %v, want one starting %q", err, tc.want)
			}
			if name != "directory" && readFile(t, dir, stackFile) != tc.src {
				t.Errorf("a refused append changed the file")
			}
		})
	}
}

// stackFile is the file the tests' stacks are in.
const stackFile = "main.stack.hcl"

// writeStack writes a one-file stack to a new directory.
func writeStack(t *testing.T, src string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, stackFile), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func readFile(t *testing.T, dir, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func loadStack(t *testing.T, dir string) *stacks.Stack {
	t.Helper()
	st, diags := stacks.Load(dir)
	if diags.HasErrors() {
		t.Fatalf("loading the stack: %s", diags)
	}
	return st
}
