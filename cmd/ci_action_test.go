package cmd

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// actionFile is what action.yml declares.
type actionFile struct {
	Name   string `yaml:"name"`
	Inputs map[string]struct {
		Description string `yaml:"description"`
		Required    bool   `yaml:"required"`
		Default     string `yaml:"default"`
	} `yaml:"inputs"`
	Outputs map[string]struct {
		Description string `yaml:"description"`
		Value       string `yaml:"value"`
	} `yaml:"outputs"`
	Runs struct {
		Using string       `yaml:"using"`
		Steps []actionStep `yaml:"steps"`
	} `yaml:"runs"`
}

type actionStep struct {
	ID    string            `yaml:"id"`
	Name  string            `yaml:"name"`
	If    string            `yaml:"if"`
	Uses  string            `yaml:"uses"`
	Shell string            `yaml:"shell"`
	Run   string            `yaml:"run"`
	Env   map[string]string `yaml:"env"`
	With  map[string]string `yaml:"with"`
}

func readAction(t *testing.T) (*actionFile, string) {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("..", "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var a actionFile
	if err := yaml.Unmarshal(src, &a); err != nil {
		t.Fatalf("action.yml does not parse: %v", err)
	}
	return &a, string(src)
}

func (a *actionFile) step(t *testing.T, id string) actionStep {
	t.Helper()
	for _, s := range a.Runs.Steps {
		if s.ID == id {
			return s
		}
	}
	t.Fatalf("action.yml has no step with id %q", id)
	return actionStep{}
}

// docRow is one row of a table in docs/github-actions.md.
type docRow struct{ name, deflt string }

// docTable reads the table under a "## heading" of docs/github-actions.md:
// the first column is the name in backticks, the second (for inputs) the
// default.
func docTable(t *testing.T, heading string) map[string]docRow {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("..", "docs", "github-actions.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(src), "\n## "+heading+"\n")
	if !ok {
		t.Fatalf("docs/github-actions.md has no %q section", heading)
	}
	if next := strings.Index(section, "\n## "); next >= 0 {
		section = section[:next]
	}
	rows := map[string]docRow{}
	for _, l := range strings.Split(section, "\n") {
		cells := strings.Split(strings.Trim(l, "| "), " | ")
		if !strings.HasPrefix(l, "| `") || len(cells) < 2 {
			continue
		}
		r := docRow{name: strings.Trim(cells[0], "`"), deflt: strings.Trim(cells[1], "`")}
		if r.deflt == "(empty)" {
			r.deflt = ""
		}
		rows[r.name] = r
	}
	if len(rows) == 0 {
		t.Fatalf("the %q section of docs/github-actions.md has no table rows", heading)
	}
	return rows
}

func sortedKeys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestActionMatchesDocs checks that action.yml's inputs and outputs are
// the ones docs/github-actions.md documents, with the same defaults, and
// that every output passes on one the ci commands write.
func TestActionMatchesDocs(t *testing.T) {
	t.Parallel()
	a, _ := readAction(t)
	if a.Runs.Using != "composite" {
		t.Errorf("runs.using %q, want composite", a.Runs.Using)
	}
	inputs := docTable(t, "Inputs")
	if got, want := strings.Join(sortedKeys(a.Inputs), ","), strings.Join(sortedKeys(inputs), ","); got != want {
		t.Errorf("action.yml inputs %s, docs %s", got, want)
	}
	for name, in := range a.Inputs {
		row, ok := inputs[name]
		if !ok {
			continue
		}
		if in.Description == "" {
			t.Errorf("input %s has no description", name)
		}
		if in.Required != (row.deflt == "(required)") {
			t.Errorf("input %s: required %v in action.yml, docs say %q", name, in.Required, row.deflt)
		}
		if !in.Required && in.Default != row.deflt {
			t.Errorf("input %s: default %q in action.yml, %q in the docs", name, in.Default, row.deflt)
		}
	}
	outputs := docTable(t, "Outputs")
	if got, want := strings.Join(sortedKeys(a.Outputs), ","), strings.Join(sortedKeys(outputs), ","); got != want {
		t.Errorf("action.yml outputs %s, docs %s", got, want)
	}
	path := filepath.Join(t.TempDir(), "output")
	if err := (stepOutputs{}).write(githubContext{OutputPath: path}); err != nil {
		t.Fatal(err)
	}
	written := readOutputs(t, path)
	for name, o := range a.Outputs {
		if want := "${{ steps.run.outputs." + name + " }}"; o.Value != want {
			t.Errorf("output %s has value %q, want %q", name, o.Value, want)
		}
		if _, ok := written[name]; !ok {
			t.Errorf("output %s is not one the ci commands write (%s)", name, outputNames(written))
		}
	}
}

// TestActionInputsAreUsed checks that every input is passed on, that no
// step uses an undeclared one, and that no run script splices an
// expression into its text (inputs go through env, so none runs as shell
// code).
func TestActionInputsAreUsed(t *testing.T) {
	t.Parallel()
	a, _ := readAction(t)
	used := map[string]bool{}
	ref := regexp.MustCompile(`inputs\.([A-Za-z0-9_-]+)`)
	for _, s := range a.Runs.Steps {
		texts := []string{s.Name, s.If}
		for _, v := range s.Env {
			texts = append(texts, v)
		}
		for _, v := range s.With {
			texts = append(texts, v)
		}
		for _, text := range texts {
			for _, m := range ref.FindAllStringSubmatch(text, -1) {
				used[m[1]] = true
			}
		}
		if strings.Contains(s.Run, "${{") {
			t.Errorf("step %q splices an expression into its script; pass it through env", s.Name)
		}
		if s.Run != "" && s.Shell != "bash" {
			t.Errorf("step %q has shell %q; composite steps must name one (bash)", s.Name, s.Shell)
		}
	}
	for name := range a.Inputs {
		if !used[name] {
			t.Errorf("input %s is declared but never used", name)
		}
	}
	for name := range used {
		if _, ok := a.Inputs[name]; !ok {
			t.Errorf("a step uses input %s, which is not declared", name)
		}
	}
}

// runScript runs a step's script with bash and the given environment.
func runScript(t *testing.T, script string, env map[string]string) (string, int) {
	t.Helper()
	bash, err := exec.LookPath("bash")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("bash is not on PATH")
		}
		t.Skip("bash is not on PATH")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	c := exec.CommandContext(ctx, bash, "-c", script)
	// Children that outlive a killed bash must not hold the test.
	c.WaitDelay = 5 * time.Second
	c.Dir = t.TempDir()
	c.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
	for k, v := range env {
		c.Env = append(c.Env, k+"="+v)
	}
	out, err := c.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return string(out), code
}

// TestActionRunStep runs the action's run step with the inputs of each
// command, records the command line it builds, and runs that command line
// against a fake GitHub: the inputs reach flags that exist and work.
func TestActionRunStep(t *testing.T) {
	t.Parallel()
	a, _ := readAction(t)
	step := a.step(t, "run")
	script := step.Run
	// The runner sets every variable of the step's env, empty or not.
	stepEnv := func(set map[string]string) map[string]string {
		env := map[string]string{}
		for k := range step.Env {
			if k != "GITHUB_TOKEN" {
				env[k] = ""
			}
		}
		for k, v := range set {
			env[k] = v
		}
		return env
	}
	tests := map[string]struct {
		inputs map[string]string
		code   int
		check  func(t *testing.T, gh *fakeGitHub, out map[string]string)
	}{
		"plan": {
			inputs: map[string]string{"SC_COMMAND": "plan", "SC_ENVIRONMENT": "dev", "SC_COMMENT": "true", "SC_STAGE": "monolith"},
			check: func(t *testing.T, gh *fakeGitHub, out map[string]string) {
				if len(gh.prComments(7)) != 1 || out["summary"] != "Plan: 1 to create, 0 to update, 0 to replace, 0 to destroy." || out["artifact-name"] != "stagecraft-plan-dev" {
					t.Errorf("plan: %d comments, outputs %v", len(gh.prComments(7)), out)
				}
			},
		},
		"plan without comment, own artifact name": {
			inputs: map[string]string{"SC_COMMAND": "plan", "SC_COMMENT": "false", "SC_ARTIFACT": "infra-dev-plan"},
			check: func(t *testing.T, gh *fakeGitHub, out map[string]string) {
				if len(gh.prComments(7)) != 0 || out["artifact-name"] != "infra-dev-plan" {
					t.Errorf("plan: %d comments, outputs %v", len(gh.prComments(7)), out)
				}
			},
		},
		"apply unplanned": {
			inputs: map[string]string{"SC_COMMAND": "apply", "SC_ALLOW_UNPLANNED": "true"},
			check: func(t *testing.T, gh *fakeGitHub, out map[string]string) {
				if out["exitcode"] != "0" || !strings.HasPrefix(out["summary"], "Applied.") {
					t.Errorf("apply: outputs %v", out)
				}
			},
		},
		"apply without a reviewed plan": {
			inputs: map[string]string{"SC_COMMAND": "apply", "SC_ALLOW_UNPLANNED": "false"}, code: 1,
		},
		"drift": {
			inputs: map[string]string{"SC_COMMAND": "drift"},
			check: func(t *testing.T, gh *fakeGitHub, out map[string]string) {
				if len(gh.issues) != 1 || out["issue-number"] != "1" {
					t.Errorf("drift: %d issues, outputs %v", len(gh.issues), out)
				}
			},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			gh := newFakeGitHub(t)
			s := newSession(t, nil)
			work := ciWorkdir(t, s, gh, "pull_request", prEvent(7))
			s.env["GITHUB_SHA"] = "direct0"
			argsFile := filepath.Join(work, "args")
			bin := filepath.Join(work, "fake-stagecraft")
			if err := os.WriteFile(bin, []byte("#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done > \""+argsFile+"\"\n"), 0o755); err != nil {
				t.Fatal(err)
			}
			env := stepEnv(tc.inputs)
			env["SC_BIN"], env["SC_DIR"], env["RUNNER_TEMP"] = bin, s.dir, work
			if out, code := runScript(t, script, env); code != 0 {
				t.Fatalf("the run step failed (exit %d):\n%s", code, out)
			}
			data, err := os.ReadFile(argsFile)
			if err != nil {
				t.Fatal(err)
			}
			args := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
			r := s.run(args...)
			if r.code != tc.code {
				t.Fatalf("stagecraft %s: exit %d, want %d\n%s", strings.Join(args, " "), r.code, tc.code, r.err)
			}
			if tc.check != nil {
				tc.check(t, gh, readOutputs(t, filepath.Join(work, "output")))
			}
		})
	}
	t.Run("bad command", func(t *testing.T) {
		t.Parallel()
		out, code := runScript(t, script, stepEnv(map[string]string{"SC_BIN": "/bin/false", "SC_DIR": ".", "SC_COMMAND": "destroy"}))
		if code != 1 || !strings.Contains(out, `::error title=Stagecraft::The command input must be plan, apply or drift, not "destroy".`) {
			t.Errorf("exit %d:\n%s", code, out)
		}
	})
	t.Run("not true or false", func(t *testing.T) {
		t.Parallel()
		out, code := runScript(t, script, stepEnv(map[string]string{"SC_BIN": "/bin/false", "SC_DIR": ".", "SC_COMMAND": "apply", "SC_ALLOW_UNPLANNED": "yes"}))
		if code != 1 || !strings.Contains(out, `::error title=Stagecraft::The allow-unplanned input must be true or false, not "yes".`) {
			t.Errorf("exit %d:\n%s", code, out)
		}
	})
	t.Run("inputs are not shell code", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		argsFile := filepath.Join(dir, "args")
		bin := filepath.Join(dir, "fake-stagecraft")
		_ = os.WriteFile(bin, []byte("#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done > \""+argsFile+"\"\n"), 0o755)
		pwned := filepath.Join(dir, "pwned")
		evil := "$(touch " + pwned + ")`touch " + pwned + "`"
		if out, code := runScript(t, script, stepEnv(map[string]string{"SC_BIN": bin, "SC_DIR": ".", "SC_COMMAND": "drift", "SC_ENVIRONMENT": evil, "SC_STAGE": "; touch " + pwned})); code != 0 {
			t.Fatalf("exit %d:\n%s", code, out)
		}
		if _, err := os.Stat(pwned); err == nil {
			t.Fatal("an input ran as shell code")
		}
		data, _ := os.ReadFile(argsFile)
		if !strings.Contains(string(data), "\n"+evil+"\n") {
			t.Errorf("the environment did not reach the command as it was:\n%s", data)
		}
	})
}

// fakeRelease serves one release's archive and checksums.txt as GitHub
// releases do (under /VERSION/), with the archive holding binary.
func fakeRelease(t *testing.T, version, binary string, corrupt bool) *httptest.Server {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	_ = tw.WriteHeader(&tar.Header{Name: "stagecraft", Mode: 0o755, Size: int64(len(binary))})
	_, _ = tw.Write([]byte(binary))
	_ = tw.WriteHeader(&tar.Header{Name: "README.md", Mode: 0o644, Size: 2})
	_, _ = tw.Write([]byte("hi"))
	_ = tw.Close()
	_ = gz.Close()
	archive := "stagecraft_" + strings.TrimPrefix(version, "v") + "_linux_amd64.tar.gz"
	sum := sha256.Sum256(buf.Bytes())
	if corrupt {
		sum[0] ^= 0xff
	}
	checksums := hex.EncodeToString(sum[:]) + "  " + archive + "\n" + strings.Repeat("0", 64) + "  other.tar.gz\n"
	mux := http.NewServeMux()
	mux.HandleFunc("GET /"+version+"/"+archive, func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(buf.Bytes()) })
	mux.HandleFunc("GET /"+version+"/checksums.txt", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(checksums)) })
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// TestActionInstallStep runs the action's install step against a release
// served on loopback: a release tag installs the checked binary, a
// corrupted download is refused, other refs are built from source.
func TestActionInstallStep(t *testing.T) {
	t.Parallel()
	for _, tool := range []string{"curl", "tar", "awk"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s is not on PATH", tool)
			}
			t.Skipf("%s is not on PATH", tool)
		}
	}
	a, _ := readAction(t)
	script := a.step(t, "install").Run
	const binary = "#!/bin/sh\necho stagecraft v1.2.3\n"
	tests := map[string]struct {
		version, ref string
		corrupt      bool
		code         int
		build        string
		want         string
	}{
		"release tag as the action's ref": {ref: "v1.2.3", build: "false", want: "Installed stagecraft v1.2.3 (linux/amd64) from its release."},
		"version input":                   {version: "v1.2.3", ref: "v1", build: "false", want: "Installed stagecraft v1.2.3"},
		"corrupted download":              {version: "v1.2.3", ref: "v1", corrupt: true, code: 1, want: "does not match checksums.txt of release v1.2.3"},
		"major tag":                       {ref: "v1", build: "true", want: "No release asset fits v1 on linux/amd64: building the action's source."},
		"branch":                          {ref: "main", build: "true", want: "building the action's source"},
		"unreleased version":              {version: "v9.9.9", ref: "v1", code: 1, want: "No release asset of stagecraft v9.9.9 fits linux/amd64"},
		"version not a release":           {version: "main", ref: "v1", code: 1, want: "give a release such as v1.2.0"},
		"version equal to the ref":        {version: "main", ref: "main", build: "true", want: "building the action's source"},
		"unreleased tag as the ref":       {ref: "v1.2.4", build: "true", want: "building the action's source"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv := fakeRelease(t, "v1.2.3", binary, tc.corrupt)
			tmp := t.TempDir()
			outPath := filepath.Join(tmp, "output")
			out, code := runScript(t, script, map[string]string{
				"SC_VERSION": tc.version, "SC_ACTION_REF": tc.ref, "RUNNER_TEMP": tmp, "RUNNER_OS": "Linux", "RUNNER_ARCH": "X64",
				"GITHUB_OUTPUT": outPath, "STAGECRAFT_RELEASES_URL": srv.URL, "GITHUB_ACTION_PATH": "/actions/stagecraft",
			})
			if code != tc.code || !strings.Contains(out, tc.want) {
				t.Fatalf("exit %d (want %d), want %q in:\n%s", code, tc.code, tc.want, out)
			}
			if tc.code != 0 {
				return
			}
			outputs := readOutputs(t, outPath)
			if outputs["build"] != tc.build || outputs["bin"] != filepath.Join(tmp, "stagecraft-bin", "stagecraft") {
				t.Fatalf("outputs %v", outputs)
			}
			if wantSource := map[string]string{"true": "/actions/stagecraft", "false": ""}[tc.build]; outputs["source"] != wantSource {
				t.Errorf("source output %q, want %q", outputs["source"], wantSource)
			}
			if tc.build == "false" {
				got, err := os.ReadFile(outputs["bin"])
				if err != nil || string(got) != binary {
					t.Errorf("installed binary: %v %q", err, got)
				}
			}
		})
	}
}

// TestExampleWorkflows checks the example workflows: each calls the
// action with declared inputs only, the three commands are covered by the
// triggers they belong to, and every job sits in a concurrency group named
// after its environment.
func TestExampleWorkflows(t *testing.T) {
	t.Parallel()
	a, _ := readAction(t)
	files, err := filepath.Glob(filepath.Join("..", "examples", "github", "*.yml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no example workflows: %v", err)
	}
	trigger := map[string]string{"plan": "pull_request", "apply": "push", "drift": "schedule"}
	seen := map[string]bool{}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var wf struct {
			On   map[string]any `yaml:"on"`
			Jobs map[string]struct {
				Concurrency struct {
					Group            string `yaml:"group"`
					CancelInProgress bool   `yaml:"cancel-in-progress"`
				} `yaml:"concurrency"`
				Steps []actionStep `yaml:"steps"`
			} `yaml:"jobs"`
		}
		if err := yaml.Unmarshal(src, &wf); err != nil {
			t.Errorf("%s does not parse: %v", f, err)
			continue
		}
		for jobName, job := range wf.Jobs {
			group := job.Concurrency.Group
			if !strings.Contains(group, "prod") && !strings.Contains(group, "matrix.environment") {
				t.Errorf("%s: job %s has concurrency group %q, not one per environment", f, jobName, group)
			}
			for _, st := range job.Steps {
				if st.Uses != "stagecraft/stagecraft@v1" {
					continue
				}
				for k := range st.With {
					if _, ok := a.Inputs[k]; !ok {
						t.Errorf("%s: input %s is not declared in action.yml", f, k)
					}
				}
				cmd := st.With["command"]
				want, ok := trigger[cmd]
				if !ok {
					t.Errorf("%s: command %q", f, cmd)
					continue
				}
				if _, ok := wf.On[want]; !ok {
					t.Errorf("%s runs %s but is not triggered by %s", f, cmd, want)
				}
				if cmd != "plan" && job.Concurrency.CancelInProgress {
					t.Errorf("%s: a %s job must not be cancelled half-way", f, cmd)
				}
				seen[cmd] = true
			}
		}
	}
	for cmd := range trigger {
		if !seen[cmd] {
			t.Errorf("no example workflow runs command %s", cmd)
		}
	}
}

// TestActionBuildStep runs the action's build step on this source tree,
// as the action does at a ref without a release: the binary it builds
// runs, is stamped with the ref, and plans and comments when the run step
// calls it.
func TestActionBuildStep(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	t.Parallel()
	a, _ := readAction(t)
	st := a.step(t, "build")
	if want := "${{ steps.install.outputs.source }}"; !strings.Contains(st.If, "steps.install.outputs.build == 'true'") || a.Runs.Steps[1].With["go-version-file"] != want+"/go.mod" {
		t.Errorf("the build steps do not follow the install step's outputs: if %q, go-version-file %q", st.If, a.Runs.Steps[1].With["go-version-file"])
	}
	src, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "stagecraft")
	script := "cd " + strings.ReplaceAll(src, "'", "") + " && " + st.Run
	// The real HOME, so go finds its caches and settings.
	env := map[string]string{"SC_BIN": bin, "SC_ACTION_REF": "v1", "HOME": os.Getenv("HOME")}
	for _, k := range []string{"GOCACHE", "GOMODCACHE", "GOPATH", "GOPROXY", "GOFLAGS", "GOTOOLCHAIN"} {
		if v, ok := os.LookupEnv(k); ok {
			env[k] = v
		}
	}
	out, code := runScript(t, script, env)
	if code != 0 || !strings.Contains(out, "stagecraft v1 (commit ") {
		t.Fatalf("build step: exit %d\n%s", code, out)
	}

	// The built binary, run by the action's run step as a pull request's
	// workflow runs it: the plan is commented and the outputs are set.
	gh := newFakeGitHub(t)
	s := newSession(t, nil)
	work := ciWorkdir(t, s, gh, "pull_request", prEvent(7))
	run := a.step(t, "run")
	env = map[string]string{}
	for k := range run.Env {
		env[k] = ""
	}
	for k, v := range s.env {
		env[k] = v
	}
	env["SC_BIN"], env["SC_DIR"], env["SC_COMMAND"], env["SC_COMMENT"], env["RUNNER_TEMP"] = bin, s.dir, "plan", "true", work
	out, code = runScript(t, run.Run, env)
	if code != 0 {
		t.Fatalf("run step with the built binary: exit %d\n%s", code, out)
	}
	if len(gh.prComments(7)) != 1 || !strings.Contains(out, "Posted the Stagecraft comment on pull request #7.") {
		t.Errorf("no comment from the built binary:\n%s", out)
	}
	outputs := readOutputs(t, filepath.Join(work, "output"))
	if outputs["exitcode"] != "2" || outputs["plan-dir"] != filepath.Join(work, "stagecraft-plan") {
		t.Errorf("outputs %v", outputs)
	}
	if _, err := os.Stat(filepath.Join(work, "stagecraft-plan", ciHashFileName)); err != nil {
		t.Errorf("the plan's hash was not saved: %v", err)
	}
}
