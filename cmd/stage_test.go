package cmd

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stagecraft/stagecraft/modules"
)

// handWritten is a one-stage stack as people write it before they run fmt
// (tabs, odd spacing, comments everywhere, no newline at the end): the
// fixture stacks/edit's tests append to, shared so stage add is tried on
// the same text.
var handWritten = func() string {
	b, err := os.ReadFile(filepath.Join("..", "stacks", "edit", "testdata", "handwritten.hcl"))
	if err != nil {
		panic(err) // the fixture is part of the repository
	}
	return string(b)
}()

// startupStack is the startup template as init --template writes it.
func startupStack(t *testing.T) string {
	t.Helper()
	src, err := modules.Fill(modules.StartupTemplate(), map[string]string{"STACK": "shop"})
	if err != nil {
		t.Fatal(err)
	}
	return string(src)
}

// readFile reads a file of the session's stack.
func (s *session) readFile(name string) string {
	s.t.Helper()
	b, err := os.ReadFile(filepath.Join(s.dir, name))
	if err != nil {
		s.t.Fatal(err)
	}
	return string(b)
}

// TestStageAddLadder grows a one-stage stack into the whole ladder with the
// four templates, as a user would, and checks what the command says and
// that the stack it leaves plans (stacks/edit's tests check the stages).
func TestStageAddLadder(t *testing.T) {
	t.Parallel()
	s := newSession(t, map[string]string{"main.stack.hcl": handWritten + "\n"})
	var out strings.Builder
	for _, step := range [][]string{
		{"load-balanced", "--template", "load-balancer"},
		{"cached", "--template", "cache"},
		{"coordinated", "--template", "coordinator"},
		{"microservices", "--template", "split-service"},
	} {
		r := s.mustRun(append([]string{"stage", "add"}, step...)...)
		if r.err != "" {
			t.Errorf("stage add %s wrote to stderr:\n%s", step[0], r.err)
		}
		out.WriteString("$ stagecraft stage add " + strings.Join(step, " ") + "\n")
		out.WriteString(strings.ReplaceAll(r.out, s.dir, "STACKDIR"))
	}
	golden(t, "stage_add_ladder", out.String())
	if got := s.readFile("main.stack.hcl"); !strings.HasPrefix(got, handWritten+"\n") {
		t.Errorf("the file's existing text changed:\n%s", got)
	}
	s.mustRun("validate")
	// The whole ladder plans on the provider.
	if r := s.mustRun("plan", "--stage", "microservices"); !strings.Contains(r.out, "autoscaling_group.orders will be created") {
		t.Errorf("plan --stage microservices:\n%s", r.out)
	}
}

// TestStageAddFile appends to a file given with --file.
func TestStageAddFile(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		file     string
		wantNote bool
	}{
		"new file after":       {file: "stages.hcl"},
		"new file before":      {file: "a.hcl", wantNote: true},
		"the stage's own file": {file: "main.stack.hcl"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := newSession(t, map[string]string{"main.stack.hcl": handWritten})
			r := s.mustRun("stage", "add", "cached", "--template", "cache", "--file", tc.file)
			if !strings.Contains(r.out, "Added stage \"cached\" to "+tc.file) {
				t.Errorf("output does not name %s:\n%s", tc.file, r.out)
			}
			if !strings.Contains(s.readFile(tc.file), "stage \"cached\" {") {
				t.Errorf("%s does not hold the new stage", tc.file)
			}
			if tc.file != "main.stack.hcl" && s.readFile("main.stack.hcl") != handWritten {
				t.Errorf("main.stack.hcl changed although --file %s was given", tc.file)
			}
			if got := strings.Contains(r.out, "Note: stages are ordered by file name"); got != tc.wantNote {
				t.Errorf("ordering note shown: %v, want %v\n%s", got, tc.wantNote, r.out)
			}
			s.mustRun("validate")
		})
	}
}

func TestStageAddErrors(t *testing.T) {
	t.Parallel()
	monolith := map[string]string{"main.stack.hcl": handWritten}
	startup := map[string]string{"main.stack.hcl": startupStack(t)}
	tests := map[string]struct {
		files map[string]string // nil: the command tests' shop stack
		args  []string
		want  string
	}{
		"duplicate stage": {args: []string{"stage", "add", "cached", "--template", "cache"},
			want: "Error: there is already a stage \"cached\"; the stages are monolith, load-balanced, cached, coordinated. Choose another name.\n"},
		"unknown template": {args: []string{"stage", "add", "x", "--template", "redis"},
			want: "Error: there is no stage template \"redis\"; the templates are cache, coordinator, load-balancer, split-service.\n"},
		"stack template": {args: []string{"stage", "add", "x", "--template", "startup"},
			want: "Error: \"startup\" is a stack template, for a new stack: stagecraft init --template startup. The stage templates are cache, coordinator, load-balancer, split-service.\n"},
		"no template": {args: []string{"stage", "add", "x"},
			want: "Error: stage add needs --template: one of cache, coordinator, load-balancer, split-service.\n"},
		"invalid name": {args: []string{"stage", "add", "9lives", "--template", "cache"},
			want: "Error: \"9lives\" is not a valid stage name: a name starts with a letter or underscore and has only letters, digits, underscores and dashes.\n"},
		"no stack files": {files: map[string]string{}, args: []string{"stage", "add", "x", "--template", "cache"},
			want: "No stack files"},
		"no stage": {files: map[string]string{"main.hcl": "locals {\n  a = 1\n}\n"}, args: []string{"stage", "add", "x", "--template", "cache"},
			want: "Error: the stack has no stage to extend; write a first stage block (or start a new stack with stagecraft init --template startup).\n"},
		"service without split-service": {args: []string{"stage", "add", "x", "--template", "cache", "--service", "payments"},
			want: "Error: --service only applies to --template split-service.\n"},
		"invalid service": {files: startup, args: []string{"stage", "add", "x", "--template", "split-service", "--service", "pay ments"},
			want: "Error: \"pay ments\" is not a valid service name"},
		"split-service without a load balancer": {files: monolith, args: []string{"stage", "add", "x", "--template", "split-service"},
			want: "Error: the split-service template routes traffic on the parent stage's load balancer, and stage \"monolith\" has none; add a stage with --template load-balancer first.\n"},
		"cache already there": {args: []string{"stage", "add", "x", "--template", "cache"},
			want: "Error: stage \"coordinated\" already has cache.sessions, which the cache template adds; extend a stage without it, or rename or remove that block first.\n"},
		"service already there": {files: startup, args: []string{"stage", "add", "x", "--template", "split-service"},
			want: "Error: stage \"microservices\" already has autoscaling_group.orders, which the split-service template adds"},
		"file in a subdirectory": {args: []string{"stage", "add", "x", "--template", "coordinator", "--file", "sub/stages.hcl"},
			want: "Error: --file names a stack file in the stack directory, such as stages.hcl; \"sub/stages.hcl\" is not one (subdirectories and hidden files are not read).\n"},
		"file not hcl": {args: []string{"stage", "add", "x", "--template", "coordinator", "--file", "stages.txt"},
			want: "Error: --file must name an HCL stack file ending in .hcl (not .vars.hcl); got \"stages.txt\".\n"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := newSession(t, tc.files)
			before := map[string]string{}
			entries, _ := os.ReadDir(s.dir)
			for _, e := range entries {
				before[e.Name()] = s.readFile(e.Name())
			}
			r := s.run(tc.args...)
			if r.code != 1 || !strings.Contains(r.err, tc.want) {
				t.Errorf("exit %d, stderr:\n%s\nwant exit 1 and:\n%s", r.code, r.err, tc.want)
			}
			after, _ := os.ReadDir(s.dir)
			if len(after) != len(before) {
				t.Errorf("a refused stage add created files: %d before, %d after", len(before), len(after))
			}
			for n, content := range before {
				if s.readFile(n) != content {
					t.Errorf("a refused stage add changed %s", n)
				}
			}
		})
	}
}

// TestStageAddReportsProblems: a stage that makes the stack invalid is
// kept, and the problems are reported with the way out.
func TestStageAddReportsProblems(t *testing.T) {
	t.Parallel()
	// desired = 1 pins the group at one instance; the load-balancer
	// template asks for min = 2.
	src := strings.Replace(handWritten, "port = 8080", "port = 8080\n\t\tdesired = 1", 1)
	s := newSession(t, map[string]string{"main.stack.hcl": src})
	r := s.run("stage", "add", "load-balanced", "--template", "load-balancer")
	if r.code != 1 {
		t.Fatalf("exit %d, want 1\n%s%s", r.code, r.out, r.err)
	}
	if !strings.Contains(r.out, "Added stage \"load-balanced\"") {
		t.Errorf("stdout does not say the stage was added:\n%s", r.out)
	}
	if !strings.Contains(r.err, "main.stack.hcl:") || !strings.Contains(r.err, "desired") {
		t.Errorf("the problem is not shown with its place:\n%s", r.err)
	}
	if !strings.Contains(r.err, "Error: the stage was added to main.stack.hcl, but the stack now has the problems shown above; the file is kept as written: fix them, or delete the stage \"load-balanced\" block.\n") {
		t.Errorf("stderr does not say the file was kept:\n%s", r.err)
	}
	if got := s.readFile("main.stack.hcl"); !strings.HasPrefix(got, src) || !strings.Contains(got, "stage \"load-balanced\" {") {
		t.Errorf("the stage was not kept in the file:\n%s", got)
	}
}
