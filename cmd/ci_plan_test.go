package cmd

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// prEvent is the payload of a pull_request event for pull request n.
func prEvent(n int) map[string]any {
	return map[string]any{"number": n, "pull_request": map[string]any{"number": n, "head": map[string]any{"sha": fmt.Sprintf("head%d", n)}}}
}

// ciWorkdir gives a session the environment of a workflow run for event
// and returns the directory holding the run's files.
func ciWorkdir(t *testing.T, s *session, gh *fakeGitHub, event string, payload any) string {
	t.Helper()
	work := t.TempDir()
	s.env = gh.env(work, event, payload)
	return work
}

// withoutMarkerAndFooter is a sticky comment's body as the plan rendered
// it: without the hidden marker line and the run link.
func withoutMarkerAndFooter(body string) string {
	_, rest, _ := strings.Cut(body, "\n")
	if i := strings.LastIndex(rest, "\n\n<sub>Updated by"); i >= 0 {
		rest = rest[:i] + "\n"
	}
	return rest
}

func TestCIPlanStickyComment(t *testing.T) {
	t.Parallel()
	gh := newFakeGitHub(t)
	s := newSession(t, nil)
	work := ciWorkdir(t, s, gh, "pull_request", prEvent(7))
	s.env["GITHUB_SHA"] = "0123456789abcdef"
	planDir := filepath.Join(work, "plan")

	r := s.run("ci", "plan", "--plan-dir", planDir)
	if r.code != 0 {
		t.Fatalf("ci plan with changes: exit %d, want 0 (changes are not a failure)\n%s", r.code, r.err)
	}
	if !strings.Contains(r.out, "will be created") {
		t.Errorf("the job log lacks the text plan:\n%s", r.out)
	}
	comments := gh.prComments(7)
	if len(comments) != 1 {
		t.Fatalf("%d comments on the pull request, want 1", len(comments))
	}
	body := comments[0].Body
	if !strings.HasPrefix(body, "<!-- stagecraft:comment key=") || !strings.Contains(body, "```mermaid") {
		t.Errorf("the comment lacks the marker or the diagram:\n%s", body)
	}

	out := readOutputs(t, filepath.Join(work, "output"))
	want := map[string]string{
		"has-changes": "true", "exitcode": "2", "summary": "Plan: 4 to create, 0 to update, 0 to replace, 0 to destroy.",
		"artifact-name": "stagecraft-plan-dev", "plan-dir": planDir,
	}
	for k, v := range want {
		if out[k] != v {
			t.Errorf("output %s = %q, want %q (outputs %s)", k, out[k], v, outputNames(out))
		}
	}
	summary, err := os.ReadFile(filepath.Join(work, "summary.md"))
	if err != nil {
		t.Fatal(err)
	}
	if md := withoutMarkerAndFooter(body); !strings.Contains(string(summary), md) {
		t.Errorf("the job summary is not the comment's Markdown:\n--- summary ---\n%s\n--- comment ---\n%s", summary, md)
	}
	plan, err := os.ReadFile(filepath.Join(planDir, ciPlanFileName))
	if err != nil {
		t.Fatal(err)
	}
	sum, err := os.ReadFile(filepath.Join(planDir, ciHashFileName))
	if err != nil {
		t.Fatal(err)
	}
	if want := planHash(plan) + "  " + ciPlanFileName + "\n"; string(sum) != want {
		t.Errorf("hash file %q, want %q", sum, want)
	}

	// A re-run edits the comment instead of adding one.
	if r := s.run("ci", "plan", "--plan-dir", planDir); r.code != 0 {
		t.Fatalf("second ci plan: exit %d\n%s", r.code, r.err)
	}
	comments = gh.prComments(7)
	if len(comments) != 1 || comments[0].Edits != 1 {
		t.Fatalf("after a re-run: %d comments, the first edited %d times; want 1 comment edited once", len(comments), comments[0].Edits)
	}
	if !strings.Contains(r.err, "Posted the Stagecraft comment on pull request #7.") {
		t.Errorf("stderr does not say the comment was posted:\n%s", r.err)
	}

	// Once applied, the same comment says there is nothing to do.
	s.mustRun("apply", "--auto-approve")
	r = s.run("ci", "plan", "--plan-dir", planDir)
	if r.code != 0 || !strings.Contains(r.err, "Updated the Stagecraft comment on pull request #7.") {
		t.Fatalf("ci plan after apply: exit %d\n%s", r.code, r.err)
	}
	comments = gh.prComments(7)
	if len(comments) != 1 || comments[0].Edits != 2 || !strings.Contains(comments[0].Body, "**No changes.**") {
		t.Fatalf("after apply: %d comments; want the one comment saying No changes:\n%s", len(comments), comments[0].Body)
	}
	out = readOutputs(t, filepath.Join(work, "output"))
	if out["has-changes"] != "false" || out["exitcode"] != "0" || !strings.HasPrefix(out["summary"], "No changes.") {
		t.Errorf("outputs after apply: %v", out)
	}
}

// TestCIPlanCommentGolden shows the whole comment a reviewer reads, for a
// one-resource stack (the shop's plan Markdown is covered by render's
// golden files).
func TestCIPlanCommentGolden(t *testing.T) {
	t.Parallel()
	gh := newFakeGitHub(t)
	s := newSession(t, map[string]string{"main.hcl": `
provider "sim" {
  path = ".stagecraft/sim-cloud.jsonl"
}
environment "dev" {
  provider = "sim"
  stage    = "cached"
}
stage "cached" {
  cache "sessions" {
    engine    = "redis"
    memory_mb = 64
  }
}
`})
	ciWorkdir(t, s, gh, "pull_request", prEvent(7))
	s.env["GITHUB_SHA"] = "0123456789abcdef"
	if r := s.run("ci", "plan"); r.code != 0 {
		t.Fatalf("ci plan: exit %d\n%s", r.code, r.err)
	}
	comments := gh.prComments(7)
	if len(comments) != 1 {
		t.Fatalf("%d comments, want 1", len(comments))
	}
	golden(t, "ci_plan_comment", strings.ReplaceAll(comments[0].Body, s.dir, "STACKDIR"))
}

func TestCIPlanWithoutPullRequest(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		event string
		args  []string
		token bool
		want  string
	}{
		"push event":      {event: "push", args: []string{"ci", "plan"}, token: true, want: `The "push" event is not a pull request: no comment posted.`},
		"comment off":     {event: "pull_request", args: []string{"ci", "plan", "--comment=false"}, want: ""},
		"explicit --pr":   {event: "workflow_dispatch", args: []string{"ci", "plan", "--pr", "9"}, token: true, want: "Posted the Stagecraft comment on pull request #9."},
		"no changes seen": {event: "schedule", args: []string{"ci", "plan", "--comment=false", "--refresh=false"}, want: ""},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			gh := newFakeGitHub(t)
			s := newSession(t, nil)
			ciWorkdir(t, s, gh, tc.event, prEvent(7))
			if !tc.token {
				delete(s.env, "GITHUB_TOKEN")
			}
			r := s.run(tc.args...)
			if r.code != 0 || !strings.Contains(r.err, tc.want) {
				t.Fatalf("exit %d, want 0 and %q in:\n%s", r.code, tc.want, r.err)
			}
			wantPosts := 0
			if name == "explicit --pr" {
				wantPosts = 1
			}
			if n := gh.callCount("POST "); n != wantPosts {
				t.Errorf("%d comments posted, want %d", n, wantPosts)
			}
			if len(gh.prComments(7)) != 0 {
				t.Error("commented on the event's pull request")
			}
		})
	}
}

func TestCIPlanFailure(t *testing.T) {
	t.Parallel()
	gh := newFakeGitHub(t)
	s := newSession(t, nil)
	work := ciWorkdir(t, s, gh, "pull_request", prEvent(3))
	r := s.run("ci", "plan", "-var", "app_port=80")
	if r.code != 1 || !strings.Contains(r.err, "Use an unprivileged port") {
		t.Fatalf("ci plan of an invalid stack: exit %d\n%s", r.code, r.err)
	}
	comments := gh.prComments(3)
	if len(comments) != 1 || !strings.Contains(comments[0].Body, "### Stagecraft plan failed") || !strings.Contains(comments[0].Body, "job log](https://github.example/acme/shop/actions/runs/4242)") {
		t.Fatalf("the failure is not on the pull request: %d comments\n%v", len(comments), comments)
	}
	out := readOutputs(t, filepath.Join(work, "output"))
	if out["exitcode"] != "1" || out["has-changes"] != "false" || out["plan-dir"] != "" {
		t.Errorf("outputs of a failed plan: %v", out)
	}
	// A refused plan is commented with its refusal, saved nowhere, and fails.
	s.mustRun("apply", "--auto-approve")
	planDir := filepath.Join(work, "plan")
	r = s.run("ci", "plan", "--stage", "cached", "--plan-dir", planDir)
	if r.code != 1 || !strings.Contains(r.err, "need consent") {
		t.Fatalf("ci plan needing consent: exit %d\n%s", r.code, r.err)
	}
	if _, err := os.Stat(filepath.Join(planDir, ciPlanFileName)); err == nil {
		t.Error("a refused plan was saved for apply")
	}
	comments = gh.prComments(3)
	if len(comments) != 1 || !strings.Contains(comments[0].Body, "Refused to destroy `coordinator.locks`") || !strings.Contains(comments[0].Body, "**The plan failed.**") {
		t.Fatalf("refusal not shown in the one comment:\n%v", comments[0].Body)
	}
	if !strings.Contains(r.out, "::error title=Stagecraft::the plan has changes that need consent") {
		t.Errorf("no error annotation in the log:\n%s", r.out)
	}
}

func TestCIPlanAPIErrors(t *testing.T) {
	t.Parallel()
	gh := newFakeGitHub(t)
	s := newSession(t, nil)
	ciWorkdir(t, s, gh, "pull_request", prEvent(5))
	// A server error is retried; a refusal is reported with the fix.
	gh.failNext = []int{502}
	if r := s.run("ci", "plan"); r.code != 0 || len(gh.prComments(5)) != 1 {
		t.Fatalf("after a 502: exit %d, %d comments\n%s", r.code, len(gh.prComments(5)), r.err)
	}
	gh.failNext = []int{403}
	r := s.run("ci", "plan")
	if r.code != 1 || !strings.Contains(r.err, "403") || !strings.Contains(r.err, "pull-requests: write") {
		t.Fatalf("after a 403: exit %d\n%s", r.code, r.err)
	}
	s.env["GITHUB_TOKEN"] = "wrong"
	r = s.run("ci", "plan")
	if r.code != 1 || !strings.Contains(r.err, "401 Bad credentials (the token is missing or expired)") {
		t.Fatalf("with a bad token: exit %d\n%s", r.code, r.err)
	}
	delete(s.env, "GITHUB_TOKEN")
	if r := s.run("ci", "plan"); r.code != 1 || !strings.Contains(r.err, "GITHUB_TOKEN is not set") {
		t.Fatalf("without a token: exit %d\n%s", r.code, r.err)
	}
}

// TestCISecretsStayHidden plans a stack whose variable is sensitive: the
// comment, the job summary, the outputs and the log never hold the value,
// nor the token.
func TestCISecretsStayHidden(t *testing.T) {
	t.Parallel()
	const secret = "hunter2-s3cret-value"
	gh := newFakeGitHub(t)
	s := newSession(t, map[string]string{"main.hcl": `
variable "db_password" {
  type      = string
  sensitive = true
}
provider "sim" {
  path = ".stagecraft/sim-cloud.jsonl"
}
environment "dev" {
  provider = "sim"
  stage    = "one"
}
stage "one" {
  autoscaling_group "app" {
    min  = 1
    max  = 1
    port = 8080
    env = {
      DB_PASSWORD = var.db_password
    }
  }
}
output "dsn" {
  value     = "postgres://app:${var.db_password}@db"
  sensitive = true
}
`})
	work := ciWorkdir(t, s, gh, "pull_request", prEvent(4))
	s.env["STAGECRAFT_VAR_db_password"] = secret
	r := s.run("ci", "plan", "--plan-dir", filepath.Join(work, "plan"))
	if r.code != 0 {
		t.Fatalf("ci plan: exit %d\n%s", r.code, r.err)
	}
	comments := gh.prComments(4)
	if len(comments) != 1 || !strings.Contains(comments[0].Body, "DB_PASSWORD") || !strings.Contains(comments[0].Body, "(sensitive") {
		t.Fatalf("the comment does not show the masked attribute:\n%v", comments)
	}
	summary, _ := os.ReadFile(filepath.Join(work, "summary.md"))
	outputs, _ := os.ReadFile(filepath.Join(work, "output"))
	for what, text := range map[string]string{"comment": comments[0].Body, "job summary": string(summary), "outputs": string(outputs), "stdout": r.out, "stderr": r.err} {
		if strings.Contains(text, secret) {
			t.Errorf("the %s holds the sensitive value:\n%s", what, text)
		}
		if strings.Contains(text, fakeToken) {
			t.Errorf("the %s holds the token:\n%s", what, text)
		}
	}
}

func TestOutputLine(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"one line":  "Plan: 1 to create.",
		"two lines": "first\nsecond",
		"injection": "x\nexitcode=0",
	}
	for name, value := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "output")
			if err := os.WriteFile(path, []byte(outputLine("summary", value)+outputLine("exitcode", "2")), 0o644); err != nil {
				t.Fatal(err)
			}
			got := readOutputs(t, path)
			if got["summary"] != value || got["exitcode"] != "2" {
				t.Errorf("read back %q and exitcode %q, want %q and 2", got["summary"], got["exitcode"], value)
			}
		})
	}
}
