package cmd

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stagecraft/stagecraft/providers"
	"github.com/stagecraft/stagecraft/providers/sim"
)

var update = flag.Bool("update", false, "rewrite golden files")

// session runs commands in-process against one stack directory.
type session struct {
	t      *testing.T
	dir    string
	env    map[string]string
	stdin  string
	inTTY  bool
	signal chan os.Signal
}

type result struct {
	code     int
	out, err string
}

// newSession copies the example stack (or the given files) to a temporary
// directory.
func newSession(t *testing.T, files map[string]string) *session {
	t.Helper()
	dir := t.TempDir()
	if files == nil {
		src, err := os.ReadFile(filepath.Join("testdata", "shop", "main.stack.hcl"))
		if err != nil {
			t.Fatal(err)
		}
		files = map[string]string{"main.stack.hcl": string(src)}
	}
	writeFiles(t, dir, files)
	return &session{t: t, dir: dir, env: map[string]string{}}
}

// writeFiles writes files, by path relative to dir, creating directories.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func testRegistry() *providers.Registry {
	r := providers.NewRegistry()
	r.Register(sim.Name, sim.New)
	return r
}

// run executes one command line with -C pointing at the session's stack.
func (s *session) run(args ...string) result {
	s.t.Helper()
	var out, errOut bytes.Buffer
	deps := &Deps{
		IO:       &IOStreams{In: strings.NewReader(s.stdin), Out: &out, ErrOut: &errOut, InTTY: s.inTTY},
		Registry: testRegistry(),
		Getenv:   func(k string) string { return s.env[k] },
	}
	if s.signal != nil {
		deps.Signals = s.signal
	}
	full := append([]string{"-C", s.dir}, args...)
	code := Execute(context.Background(), deps, full)
	return result{code: code, out: out.String(), err: scrubStackDir(errOut.String(), s.dir)}
}

func (s *session) mustRun(args ...string) result {
	s.t.Helper()
	r := s.run(args...)
	if r.code != 0 {
		s.t.Fatalf("stagecraft %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.code, r.out, r.err)
	}
	return r
}

var elapsed = regexp.MustCompile(`\d+\.\ds`)

// stackDirPath matches the stack directory as diagnostics show it, relative
// to the working directory, once the absolute path is replaced.
var stackDirPath = regexp.MustCompile(`(?:\.\./)*\.\.STACKDIR`)

// scrubStackDir writes the stack directory as STACKDIR, however the output
// shows it: absolute, or relative to the working directory (which, when the
// checkout sits beside the temporary directory, need not contain the
// absolute path at all).
func scrubStackDir(text, dir string) string {
	if cwd, err := os.Getwd(); err == nil {
		if rel, err := filepath.Rel(cwd, dir); err == nil && !strings.HasPrefix(rel, "/") {
			text = strings.ReplaceAll(text, rel+string(filepath.Separator), "STACKDIR"+string(filepath.Separator))
		}
	}
	return stackDirPath.ReplaceAllString(strings.ReplaceAll(text, dir, "STACKDIR"), "STACKDIR")
}

// golden compares text with testdata/NAME.golden.
func golden(t *testing.T, name, got string) {
	t.Helper()
	got = elapsed.ReplaceAllString(got, "N.Ns")
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./cmd -update)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (go test ./cmd -update if intended)\n--- got ---\n%s\n--- want ---\n%s", path, got, want)
	}
}

func TestPlanApplyCycle(t *testing.T) {
	t.Parallel()
	s := newSession(t, nil)
	r := s.run("plan", "--detailed-exitcode")
	if r.code != ExitChanges {
		t.Fatalf("plan --detailed-exitcode on a fresh stack: exit %d, want 2\n%s", r.code, r.err)
	}
	golden(t, "plan_fresh", r.out)

	r = s.mustRun("apply", "--auto-approve")
	if !strings.Contains(r.err, "Apply complete") || !strings.Contains(r.err, "4 added, 0 changed, 0 destroyed") {
		t.Errorf("apply summary missing:\n%s", r.err)
	}
	if !strings.Contains(r.err, "cache.sessions: creating... done in") {
		t.Errorf("no progress lines on a non-terminal:\n%s", r.err)
	}
	if !strings.Contains(r.out, `url = "http://127.0.0.1:8000"`) {
		t.Errorf("outputs not shown after apply:\n%s", r.out)
	}
	if r = s.run("plan", "--detailed-exitcode"); r.code != 0 {
		t.Fatalf("plan after apply: exit %d\n%s", r.code, r.out)
	}
	golden(t, "plan_nochanges", r.out)
	golden(t, "stages_applied", s.mustRun("stages").out)
	golden(t, "state_list", s.mustRun("state", "list").out)
	if r := s.mustRun("output", "-raw", "url"); r.out != "http://127.0.0.1:8000" {
		t.Errorf("output -raw url = %q", r.out)
	}

	// Moving down the ladder destroys the coordinator's data: refused
	// without consent, exit 1, nothing changed.
	r = s.run("apply", "--auto-approve", "--stage", "cached")
	if r.code != 1 || !strings.Contains(r.out, "Refused to destroy coordinator.locks") {
		t.Fatalf("down without consent: exit %d\n%s", r.code, r.out)
	}
	s.mustRun("apply", "--auto-approve", "--stage", "cached", "--allow-data-loss")
	if r := s.mustRun("state", "list"); strings.Contains(r.out, "coordinator") {
		t.Errorf("coordinator still tracked:\n%s", r.out)
	}

	r = s.mustRun("destroy", "--auto-approve", "--allow-data-loss")
	if !strings.Contains(r.err, "Destroy complete") {
		t.Errorf("destroy summary missing:\n%s", r.err)
	}
	if r := s.mustRun("state", "list"); r.out != "" {
		t.Errorf("state after destroy:\n%s", r.out)
	}
}

func TestSavedPlans(t *testing.T) {
	t.Parallel()
	s := newSession(t, nil)
	planFile := filepath.Join(t.TempDir(), "dev.plan")
	s.mustRun("plan", "-out", planFile, "-var", "app_port=9090")
	// Applying the saved plan uses the variables it was made with.
	s.mustRun("apply", planFile)
	if r := s.mustRun("state", "show", "autoscaling_group.app"); !strings.Contains(r.out, "9090") {
		t.Errorf("the saved plan's -var was not used:\n%s", r.out)
	}
	// The same file again is stale: the state moved on.
	r := s.run("apply", planFile)
	if r.code != 1 || !strings.Contains(r.err, "stale plan: the state has changed since the plan was made") {
		t.Fatalf("stale plan: exit %d\n%s", r.code, r.err)
	}
	// A plan made before the stack files change is stale too.
	s.mustRun("plan", "-out", planFile)
	if err := os.WriteFile(filepath.Join(s.dir, "extra.hcl"), []byte("locals {\n  x = 1\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := s.run("apply", planFile); r.code != 1 || !strings.Contains(r.err, "stale plan: the stack files have changed") {
		t.Fatalf("stale after edit: exit %d\n%s", r.code, r.err)
	}
	// show renders a saved plan.
	s.mustRun("plan", "-out", planFile, "--stage", "monolith", "--allow-data-loss")
	if r := s.mustRun("show", planFile); !strings.Contains(r.out, "will be destroyed") {
		t.Errorf("show PLANFILE:\n%s", r.out)
	}
	if r := s.mustRun("show", "-o", "json", planFile); !json.Valid([]byte(r.out)) {
		t.Errorf("show -o json is not JSON:\n%s", r.out)
	}
}

func TestConfirmation(t *testing.T) {
	t.Parallel()
	s := newSession(t, nil)
	r := s.run("apply")
	if r.code != 1 || !strings.Contains(r.err, "there is no terminal to ask on") {
		t.Fatalf("apply without a terminal: exit %d\n%s", r.code, r.err)
	}
	s.inTTY, s.stdin = true, "no\n"
	if r := s.run("apply"); r.code != 1 || !strings.Contains(r.err, "Apply cancelled") {
		t.Fatalf("answering no: exit %d\n%s", r.code, r.err)
	}
	if r := s.mustRun("state", "list"); r.out != "" {
		t.Fatalf("a cancelled apply changed the state:\n%s", r.out)
	}
	s.stdin = "yes\n"
	if r := s.run("apply"); r.code != 0 || !strings.Contains(r.err, "Only 'yes' will be accepted") {
		t.Fatalf("answering yes: exit %d\n%s", r.code, r.err)
	}
}

func TestOutputFormats(t *testing.T) {
	t.Parallel()
	s := newSession(t, nil)
	r := s.mustRun("plan", "-o", "json")
	var doc map[string]any
	if err := json.Unmarshal([]byte(r.out), &doc); err != nil {
		t.Fatalf("plan -o json: %v\n%s", err, r.out)
	}
	if doc["format_version"] != float64(1) || doc["target_stage"] != "coordinated" {
		t.Errorf("plan JSON: %v", doc)
	}
	r = s.mustRun("plan", "-o", "markdown")
	if !strings.Contains(r.out, "```mermaid") {
		t.Errorf("markdown plan has no diagram:\n%s", r.out)
	}
	golden(t, "graph_mermaid", s.mustRun("graph").out)
	golden(t, "graph_dot", s.mustRun("graph", "--format", "dot", "--stage", "cached").out)
}

func TestBadInput(t *testing.T) {
	t.Parallel()
	two := map[string]string{"main.hcl": `
environment "dev" {
  provider = "sim"
  stage    = "one"
}
environment "prod" {
  provider = "sim"
  stage    = "one"
}
stage "one" {
  cache "c" {
    engine = "redis"
  }
}
`}
	invalid := map[string]string{"main.hcl": `
stage "one" {
  cache "c" {
    engine  = "mysql"
    membory = 1
  }
}
`}
	tests := map[string]struct {
		files map[string]string
		args  []string
		want  string
	}{
		"unknown flag":         {args: []string{"plan", "--frobnicate"}, want: "Error: unknown flag: --frobnicate; run 'stagecraft plan --help' for the flags.\n"},
		"unknown flag, nested": {args: []string{"state", "list", "--frobnicate"}, want: "Error: unknown flag: --frobnicate; run 'stagecraft state list --help' for the flags.\n"},
		"unknown command":      {args: []string{"deploy"}, want: "Error: unknown command \"deploy\" for \"stagecraft\"; run 'stagecraft --help' for the commands.\n"},
		"unknown environment":  {args: []string{"plan", "-e", "staging"}, want: "Error: there is no environment \"staging\"; the environments are dev.\n"},
		"unknown stage":        {args: []string{"plan", "--stage", "cachd"}, want: "Error: there is no stage \"cachd\"; the stages are monolith, load-balanced, cached, coordinated.\n"},
		"several environments": {files: two, args: []string{"plan"},
			want: "Error: the stack has several environments (dev, prod); choose one with -e.\n"},
		"not a plan file":   {args: []string{"apply", "main.stack.hcl"}, want: "is not a stagecraft plan file"},
		"bad -var":          {args: []string{"plan", "-var", "novalue"}, want: "-var takes NAME=VALUE"},
		"bad output":        {args: []string{"plan", "-o", "yaml"}, want: "Error: -o takes text, json or markdown, not \"yaml\".\n"},
		"bad target":        {args: []string{"plan", "--target", "cache"}, want: "Error: --target \"cache\" has no resource name; write cache.NAME.\n"},
		"extra argument":    {args: []string{"plan", "extra"}, want: "Error: stagecraft plan takes no arguments, but was given \"extra\"; run 'stagecraft plan --help' for how to use it.\n"},
		"missing argument":  {args: []string{"import", "cache.c"}, want: "Error: stagecraft import takes ADDRESS ID, but was given \"cache.c\"; run 'stagecraft import --help' for how to use it.\n"},
		"missing plan file": {args: []string{"show", "tfplan"}, want: "Error: there is no plan file tfplan; save one with `stagecraft plan -out tfplan`.\n"},
		"invalid stack":     {files: invalid, args: []string{"validate"}, want: "main.hcl:4:15"},
		"undeclared var":    {args: []string{"plan", "-var", "port=1"}, want: `-var sets "port", but the stack declares no such variable.`},
		"validation fails":  {args: []string{"plan", "-var", "app_port=80"}, want: "Use an unprivileged port (above 1024)."},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := newSession(t, tc.files)
			if name == "not a plan file" {
				tc.args[1] = filepath.Join(s.dir, "main.stack.hcl")
			}
			r := s.run(tc.args...)
			if r.code != 1 {
				t.Errorf("exit %d, want 1", r.code)
			}
			if !strings.Contains(r.err, tc.want) {
				t.Errorf("stderr:\n%s\nwant it to contain:\n%s", r.err, tc.want)
			}
			if strings.Contains(r.err, "goroutine") || strings.Contains(r.err, "panic") {
				t.Errorf("a stack trace reached the user:\n%s", r.err)
			}
		})
	}
	t.Run("missing directory", func(t *testing.T) {
		t.Parallel()
		var out, errOut bytes.Buffer
		deps := &Deps{IO: &IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}, Registry: testRegistry(), Getenv: func(string) string { return "" }}
		code := Execute(context.Background(), deps, []string{"plan", "-C", filepath.Join(t.TempDir(), "nope")})
		if code != 1 || !strings.Contains(errOut.String(), "there is no stack directory") {
			t.Errorf("exit %d: %s", code, errOut.String())
		}
	})
	t.Run("validate golden", func(t *testing.T) {
		t.Parallel()
		s := newSession(t, invalid)
		r := s.run("validate")
		golden(t, "validate_errors", r.err)
		r = s.run("validate", "-o", "json")
		var doc struct {
			Valid       bool `json:"valid"`
			ErrorCount  int  `json:"error_count"`
			Diagnostics []struct {
				Range struct {
					Start struct{ Line int } `json:"start"`
				} `json:"range"`
			} `json:"diagnostics"`
		}
		if err := json.Unmarshal([]byte(r.out), &doc); err != nil || doc.Valid || doc.ErrorCount != 2 || doc.Diagnostics[0].Range.Start.Line != 4 {
			t.Errorf("validate -o json: %v %+v\n%s", err, doc, r.out)
		}
	})
}

func TestLockedState(t *testing.T) {
	t.Parallel()
	s := newSession(t, nil)
	s.mustRun("init")
	w, err := openWorkspace(&Deps{IO: &IOStreams{Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}}, Registry: testRegistry()}, &GlobalOptions{Dir: s.dir, Output: "text"})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := w.backend()
	unlock, err := w.lock(context.Background(), b, "apply")
	if err != nil {
		t.Fatal(err)
	}
	r := s.run("plan")
	unlock()
	if r.code != 1 || !strings.Contains(r.err, "is locked by") || !strings.Contains(r.err, "state unlock") {
		t.Fatalf("plan while locked: exit %d\n%s", r.code, r.err)
	}
	s.mustRun("plan")
}

func TestFmt(t *testing.T) {
	t.Parallel()
	s := newSession(t, map[string]string{"main.hcl": "stage \"a\" {\ncache \"c\" {\nengine=\"redis\"\n  memory_mb = 64\n}\n}\n", "sub/mod.hcl": "locals {\nx=1\n}\n"})
	r := s.run("fmt", "-check", s.dir)
	if r.code != ExitFormat || !strings.Contains(r.out, "main.hcl") || strings.Contains(r.out, "mod.hcl") {
		t.Fatalf("fmt -check: exit %d\n%s", r.code, r.out)
	}
	if r := s.run("fmt", "-check", "-recursive", s.dir); !strings.Contains(r.out, "mod.hcl") {
		t.Errorf("fmt -check -recursive misses sub/mod.hcl:\n%s", r.out)
	}
	if r := s.run("fmt", "-diff", "-check", s.dir); r.code != ExitFormat || !strings.Contains(r.out, "+    engine    = \"redis\"") || !strings.Contains(r.out, "-engine=\"redis\"") {
		t.Errorf("fmt -diff -check: exit %d\n%s", r.code, r.out)
	}
	s.mustRun("fmt", s.dir)
	if r := s.run("fmt", "-check", s.dir); r.code != 0 {
		t.Errorf("fmt -check after fmt: exit %d\n%s", r.code, r.out)
	}
}

// TestFmtDiff checks that fmt -diff prints a unified diff that patch -p1
// applies, run from the directory fmt ran in, to give the formatted files,
// and that it leaves the files themselves alone. It changes the working
// directory, so it does not run in parallel.
func TestFmtDiff(t *testing.T) {
	patch, err := exec.LookPath("patch")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("patch is not installed; it is needed to check fmt -diff")
		}
		t.Skip("patch is not installed")
	}
	files := map[string]string{
		"main.hcl":    "# keep me\nstack \"shop\" {\n}\n\nstage \"a\" {\ncache \"c\" {\nengine=\"redis\"\n  memory_mb = 64\n}\n}\n\n\n\nlocals {\n  a = 1\n  b = 2\n  c = 3\n  d = 4\n  e = 5\n  f = 6\n  g = 7\n  long_name = 8\n}\n",
		"sub/mod.hcl": "locals {\nx=1\n}",
	}
	s := newSession(t, files)
	t.Chdir(s.dir)
	r := s.run("fmt", "-diff", "-recursive")
	if r.code != 0 {
		t.Fatalf("fmt -diff: exit %d\n%s", r.code, r.err)
	}
	for name, src := range files {
		if got := s.readFile(name); got != src {
			t.Errorf("fmt -diff rewrote %s:\n%s", name, got)
		}
	}
	for _, want := range []string{"--- a/main.hcl\n+++ b/main.hcl\n@@ ", "--- a/sub/mod.hcl\n+++ b/sub/mod.hcl\n@@ ", "\n stage \"a\" {\n", "\n-engine=\"redis\"\n", "\n-  a = 1\n"} {
		if !strings.Contains(r.out, want) {
			t.Errorf("fmt -diff output lacks %q:\n%s", want, r.out)
		}
	}
	if i, j := strings.Index(r.out, "-engine="), strings.Index(r.out, "+    engine    = "); i < 0 || j < i {
		t.Errorf("the removed line does not come before the added one:\n%s", r.out)
	}

	// The diff applied to a copy of the files gives what fmt writes.
	copyDir := t.TempDir()
	writeFiles(t, copyDir, files)
	cmd := exec.Command(patch, "-p1", "--batch", "--no-backup-if-mismatch", "-d", copyDir)
	cmd.Stdin = strings.NewReader(r.out)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("patch -p1 refused the diff: %v\n%s\ndiff:\n%s", err, out, r.out)
	}
	s.mustRun("fmt", "-recursive")
	for name := range files {
		patched, err := os.ReadFile(filepath.Join(copyDir, name))
		if err != nil {
			t.Fatal(err)
		}
		if want := s.readFile(name); string(patched) != want {
			t.Errorf("%s patched with the diff:\n%s\nwant, as fmt writes it:\n%s", name, patched, want)
		}
	}
}

func TestVersion(t *testing.T) {
	t.Parallel()
	s := newSession(t, nil)
	r := s.mustRun("version")
	if !strings.HasPrefix(r.out, "stagecraft ") || !strings.Contains(r.out, "linux") && !strings.Contains(r.out, "darwin") && !strings.Contains(r.out, "windows") {
		t.Errorf("version:\n%s", r.out)
	}
}
