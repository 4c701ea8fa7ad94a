package cmd

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestValidateUntrustedStacks runs validate on stacks crafted as an
// attacker would write them in a pull request: each must end with a
// located diagnostic, not a crash, a hang, a goroutine dump or a secret.
func TestValidateUntrustedStacks(t *testing.T) {
	t.Parallel()
	const n = 100_000
	output := func(expr string) map[string]string {
		return map[string]string{"main.hcl": "stage \"one\" {}\noutput \"x\" {\n  value = " + expr + "\n}\n"}
	}
	tests := map[string]struct {
		files map[string]string
		setup func(t *testing.T, dir string) error
		args  []string
		want  string
	}{
		"nested parentheses": {files: output(strings.Repeat("(", n) + "1" + strings.Repeat(")", n)), want: "main.hcl:3:266"},
		"nested templates":   {files: output(strings.Repeat(`"${`, n) + "1" + strings.Repeat(`}"`, n)), want: "Nesting too deep"},
		"nested JSON arrays": {
			files: map[string]string{"main.hcl.json": `{"output": {"x": {"value": ` + strings.Repeat("[", n) + "1" + strings.Repeat("]", n) + "}}}"},
			want:  "Nesting too deep",
		},
		"nested for bomb": {files: output("[for a in range(1000): [for b in range(1000): [for c in range(1000): a + b + c]]]"), want: "would run 1000000000 times"},
		"setproduct bomb": {files: output("setproduct(range(300), range(300), range(300))"), want: "setproduct: the result would have 27000000 elements"},
		"proc environ":    {files: output(`file("../../../proc/self/environ")`), want: `file: path "../../../proc/self/environ" leaves the stack directory`},
		"named pipe": {
			files: output(`file("a-fifo")`),
			setup: func(t *testing.T, dir string) error { return syscall.Mkfifo(filepath.Join(dir, "a-fifo"), 0o600) },
			want:  `file: cannot read "a-fifo": it is a named pipe, not a regular file`,
		},
		"stack file linked to /dev/zero": {
			files: output("1"),
			setup: func(t *testing.T, dir string) error { return os.Symlink("/dev/zero", filepath.Join(dir, "zero.hcl")) },
			want:  "Cannot read stack file",
		},
		"5 MiB stack file": {
			files: map[string]string{"main.hcl": "# " + strings.Repeat("x", 5<<20) + "\n"},
			want:  "it is larger than 4 MiB",
		},
		"-var-file named pipe": {
			files: map[string]string{"main.hcl": "variable \"v\" {\n  default = 1\n}\nstage \"one\" {}\n"},
			setup: func(t *testing.T, dir string) error {
				return syscall.Mkfifo(filepath.Join(dir, "pipe.vars.hcl"), 0o600)
			},
			args: []string{"-var-file", "pipe.vars.hcl"},
			want: "it is a named pipe, not a regular file",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := newSession(t, tc.files)
			if tc.setup != nil {
				if err := tc.setup(t, s.dir); err != nil {
					t.Skipf("cannot set the stack up here: %s", err)
				}
			}
			args := append([]string{"validate"}, tc.args...)
			for i, a := range args {
				if a == "pipe.vars.hcl" {
					args[i] = filepath.Join(s.dir, a)
				}
			}
			done := make(chan result, 1)
			go func() { done <- s.run(args...) }()
			var r result
			select {
			case r = <-done:
			case <-time.After(2 * time.Minute):
				t.Fatal("validate did not return")
			}
			if r.code == 0 {
				t.Fatalf("validate succeeded:\n%s%s", r.out, r.err)
			}
			// Diagnostics are wrapped to the terminal's width.
			if text := strings.Join(strings.Fields(r.err), " "); !strings.Contains(text, tc.want) {
				t.Errorf("validate does not say %q:\n%s", tc.want, r.err)
			}
			if strings.Contains(r.err, "goroutine ") || strings.Contains(r.err, "AWS_") {
				t.Errorf("validate printed a dump or the environment:\n%s", r.err)
			}
		})
	}
}
