package stacks

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/stagecraft/stagecraft/stacks/limits"
)

// within runs f and fails the test if it has not returned within a
// generous bound: reading a named pipe or a device must never block.
func within[T any](t *testing.T, what string, f func() T) T {
	t.Helper()
	done := make(chan T, 1)
	go func() { done <- f() }()
	select {
	case v := <-done:
		return v
	case <-time.After(30 * time.Second):
		t.Fatalf("%s did not return: it blocks", what)
		panic("unreachable")
	}
}

// writeStack writes files into a new stack directory and returns it.
func writeStack(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "stack")
	for name, src := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// outputReading is a stack (or module) whose output reads a file with
// expr.
func outputReading(expr string) string {
	return `output "x" {
  value = ` + expr + `
}
`
}

// oneStage is a stage for validate to evaluate the stack in.
const oneStage = "stage \"one\" {}\n"

// validateDir loads and validates the stack in dir and returns every
// diagnostic; it fails the test if either step blocks.
func validateDir(t *testing.T, dir string) hcl.Diagnostics {
	t.Helper()
	return within(t, "validate", func() hcl.Diagnostics {
		st, diags := Load(dir)
		if st == nil || diags.HasErrors() {
			return diags
		}
		return append(diags, st.Validate(ValidateRequest{})...)
	})
}

// wantError checks that diags hold an error located in a file, whose
// text holds every one of wants.
func wantError(t *testing.T, diags hcl.Diagnostics, wants ...string) {
	t.Helper()
	for _, d := range diags {
		text := d.Summary + ": " + d.Detail
		ok := d.Severity == hcl.DiagError && d.Subject != nil && d.Subject.Filename != ""
		for _, w := range wants {
			ok = ok && strings.Contains(text, w)
		}
		if ok {
			return
		}
	}
	t.Fatalf("no located error saying %q; got:\n%s", wants, diags.Error())
}

func TestFileFunctionsStayInTheStackDirectory(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		expr  string
		wants []string
	}{
		"dot dot":            {`file("../secret.txt")`, []string{`file: path "../secret.txt" leaves the stack directory; functions read only files inside it`}},
		"proc environ":       {`file("../../../proc/self/environ")`, []string{`file: path "../../../proc/self/environ" leaves the stack directory`}},
		"absolute":           {`file("/proc/self/environ")`, []string{`file: path "/proc/self/environ" leaves the stack directory`}},
		"symlink out":        {`file("out-relative")`, []string{`file: path "out-relative" leads out of the stack directory through a symbolic link`}},
		"absolute symlink":   {`file("out-absolute")`, []string{`symbolic link`}},
		"through a symlink":  {`file("etc/passwd")`, []string{`symbolic link`}},
		"templatefile":       {`templatefile("../secret.txt", {})`, []string{`templatefile: path "../secret.txt" leaves the stack directory`}},
		"fileexists":         {`fileexists("out-relative")`, []string{`fileexists: path "out-relative" leads out of the stack directory`}},
		"directory":          {`file(".")`, []string{`file: cannot read ".": it is a directory, not a regular file`}},
		"fileexists missing": {`fileexists("../secret.txt")`, []string{`fileexists: path "../secret.txt" leaves the stack directory`}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			sub := writeStack(t, map[string]string{"main.hcl": outputReading(tc.expr) + oneStage})
			// Each case gets its own stack directory beside a secret and
			// the same links.
			if err := os.WriteFile(filepath.Join(filepath.Dir(sub), "secret.txt"), []byte("canary"), 0o600); err != nil {
				t.Fatal(err)
			}
			for name, target := range map[string]string{"out-relative": "../secret.txt", "out-absolute": filepath.Join(filepath.Dir(sub), "secret.txt"), "etc": "/etc"} {
				if err := os.Symlink(target, filepath.Join(sub, name)); err != nil {
					t.Fatal(err)
				}
			}
			diags := validateDir(t, sub)
			wantError(t, diags, tc.wants...)
			if strings.Contains(diags.Error(), "canary") {
				t.Error("a diagnostic shows the secret's contents")
			}
		})
	}
}

func TestFileFunctionsReadOnlyRegularFiles(t *testing.T) {
	t.Parallel()
	dir := writeStack(t, map[string]string{
		"main.hcl": outputReading(`[file("a-fifo"), fileexists("a-fifo"), templatefile("a-fifo", {}), file("big.txt"), file("ok.txt")]`) + oneStage,
		"ok.txt":   "fine",
		"big.txt":  strings.Repeat("x", 5<<20),
	})
	if err := syscall.Mkfifo(filepath.Join(dir, "a-fifo"), 0o600); err != nil {
		t.Skipf("cannot make a named pipe here: %s", err)
	}
	diags := validateDir(t, dir)
	wantError(t, diags, `file: cannot read "a-fifo": it is a named pipe, not a regular file`)
	wantError(t, diags, `fileexists: "a-fifo" is a named pipe, not a regular file`)
	wantError(t, diags, `templatefile: cannot read "a-fifo": it is a named pipe`)
	wantError(t, diags, `file: cannot read "big.txt": it is larger than 4 MiB`)
	if strings.Contains(diags.Error(), "ok.txt") {
		t.Errorf("a regular file was refused: %s", diags.Error())
	}
}

func TestFileFunctionsRefuseDevices(t *testing.T) {
	t.Parallel()
	dir := writeStack(t, map[string]string{"main.hcl": outputReading(`file("zero")`) + oneStage})
	// A device node inside the stack directory can only be made with
	// privileges; a link to one outside it is refused as leaving it.
	if err := syscall.Mknod(filepath.Join(dir, "zero"), syscall.S_IFCHR|0o600, 1<<8|5); err != nil {
		if err := os.Symlink("/dev/zero", filepath.Join(dir, "zero")); err != nil {
			t.Fatal(err)
		}
		wantError(t, validateDir(t, dir), `file: path "zero" leads out of the stack directory`)
		return
	}
	wantError(t, validateDir(t, dir), `file: cannot read "zero": it is a device, not a regular file`)
}

func TestStackFilesMustBeRegularFiles(t *testing.T) {
	t.Parallel()
	for name, make := range map[string]func(dir string) error{
		"symlink to /dev/zero": func(dir string) error { return os.Symlink("/dev/zero", filepath.Join(dir, "zero.hcl")) },
		"named pipe":           func(dir string) error { return syscall.Mkfifo(filepath.Join(dir, "pipe.hcl"), 0o600) },
		"symlink out":          func(dir string) error { return os.Symlink("../outside.hcl", filepath.Join(dir, "out.hcl")) },
		"too large": func(dir string) error {
			return os.WriteFile(filepath.Join(dir, "big.hcl"), []byte("# "+strings.Repeat("x", 5<<20)+"\n"), 0o644)
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := writeStack(t, map[string]string{"main.hcl": "locals {\n  x = 1\n}\n"})
			if err := os.WriteFile(filepath.Join(filepath.Dir(dir), "outside.hcl"), []byte("locals {}\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := make(dir); err != nil {
				t.Skipf("cannot make it here: %s", err)
			}
			wantError(t, validateDir(t, dir), "Cannot read stack file", "Stack files must be regular files inside the stack directory")
		})
	}
}

func TestStackSizeLimit(t *testing.T) {
	t.Parallel()
	files := map[string]string{}
	chunk := "# " + strings.Repeat("x", 3<<20) + "\n"
	for i := 0; i < limits.MaxStackSize/len(chunk)+1; i++ {
		files[string(rune('a'+i))+".hcl"] = chunk
	}
	wantError(t, validateDir(t, writeStack(t, files)), "Stack too large", "32 MiB")
}

func TestModulesStayInTheStackDirectory(t *testing.T) {
	t.Parallel()
	dir := writeStack(t, map[string]string{
		"main.hcl": "stage \"one\" {\n  module \"out\" {\n    source = \"../shared\"\n  }\n}\n",
	})
	if err := os.MkdirAll(filepath.Join(filepath.Dir(dir), "shared"), 0o755); err != nil {
		t.Fatal(err)
	}
	wantError(t, validateDir(t, dir), "Invalid module source", `path "../shared" leaves the stack directory`)

	// A module's functions read only inside the module's directory.
	dir = writeStack(t, map[string]string{
		"main.hcl":             "stage \"one\" {\n  module \"web\" {\n    source = \"./modules/web\"\n  }\n}\n",
		"root.txt":             "root",
		"modules/web/main.hcl": outputReading(`[file("web.txt"), file("../../root.txt")]`),
		"modules/web/web.txt":  "web",
	})
	diags := validateDir(t, dir)
	wantError(t, diags, `file: path "../../root.txt" leaves the stack directory`)
	if strings.Contains(diags.Error(), "web.txt") {
		t.Errorf("a file inside the module was refused: %s", diags.Error())
	}
}

func TestVarFileMustBeARegularFile(t *testing.T) {
	t.Parallel()
	dir := writeStack(t, map[string]string{"main.hcl": "variable \"v\" {\n  default = 1\n}\n" + oneStage})
	st, diags := Load(dir)
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	// A -var-file is named on the command line, so it may be outside the
	// stack directory.
	outside := filepath.Join(t.TempDir(), "prod.vars.hcl")
	if err := os.WriteFile(outside, []byte("v = 2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if diags := st.Validate(ValidateRequest{Vars: []VarInput{{File: outside}}}); diags.HasErrors() {
		t.Errorf("a -var-file outside the stack directory was refused: %s", diags.Error())
	}
	fifo := filepath.Join(t.TempDir(), "pipe.vars.hcl")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("cannot make a named pipe here: %s", err)
	}
	diags = within(t, "validate", func() hcl.Diagnostics { return st.Validate(ValidateRequest{Vars: []VarInput{{File: fifo}}}) })
	if !strings.Contains(diags.Error(), "it is a named pipe, not a regular file") {
		t.Errorf("a named pipe as -var-file: got %v", diags)
	}
}
