package cmd

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stagecraft/stagecraft/cmd/internal/github"
)

// changeOutsideStagecraft sets an attribute of a resource of kind in the
// sim provider's cloud behind Stagecraft's back, as someone with console
// access would.
func changeOutsideStagecraft(t *testing.T, s *session, kind, attr string, value any) {
	t.Helper()
	path := filepath.Join(s.dir, ".stagecraft", "sim-cloud.jsonl")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var last map[string]any
	for _, l := range strings.Split(string(data), "\n") {
		var e map[string]any
		if json.Unmarshal([]byte(l), &e) == nil && e["op"] == "put" && e["kind"] == kind {
			last = e
		}
	}
	if last == nil {
		t.Fatalf("no %s in %s", kind, path)
	}
	last["value"].(map[string]any)[attr] = value
	line, _ := json.Marshal(last)
	if err := os.WriteFile(path, append(append(data, line...), '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestCIDriftReport(t *testing.T) {
	t.Parallel()
	gh := newFakeGitHub(t)
	s := newSession(t, nil)
	s.mustRun("apply", "--auto-approve")
	// A pull request whose body quotes the marker is not the drift issue,
	// even with the label.
	gh.issues = append(gh.issues, &fakeIssue{Number: 1, Title: "a pull request", Body: github.Marker("drift", commentKey(&GlobalOptions{Dir: s.dir})), State: "open", Labels: []string{driftLabel}, IsPR: true})
	// Other open issues, more than a page of them, are not looked through.
	for i := 0; i < 150; i++ {
		gh.issues = append(gh.issues, &fakeIssue{Number: len(gh.issues) + 1, Title: "a bug", State: "open"})
	}

	drift := func(want string) map[string]string {
		t.Helper()
		work := ciWorkdir(t, s, gh, "schedule", map[string]any{"schedule": "0 6 * * *"})
		r := s.run("ci", "drift-report")
		if r.code != 0 || !strings.Contains(r.err, want) {
			t.Fatalf("ci drift-report: exit %d, want 0 and %q in:\n%s", r.code, want, r.err)
		}
		return readOutputs(t, filepath.Join(work, "output"))
	}

	out := drift(`No drift and no pending changes in environment "dev".`)
	if out["has-changes"] != "false" || out["issue-number"] != "" || len(gh.issues) != 151 {
		t.Fatalf("clean check: outputs %v, %d issues", out, len(gh.issues))
	}

	changeOutsideStagecraft(t, s, "cache", "memory_mb", 512)
	out = drift("Found drift and pending changes: opened drift issue #152.")
	if out["has-changes"] != "true" || out["exitcode"] != "2" || out["issue-number"] != "152" {
		t.Errorf("drift outputs: %v", out)
	}
	is := gh.issues[151]
	if is.Title != "Stagecraft: drift and pending changes in environment dev" || is.State != "open" || !slices.Equal(is.Labels, []string{driftLabel}) {
		t.Errorf("issue %q (%s, labels %q)", is.Title, is.State, is.Labels)
	}
	for _, want := range []string{"**Drift:** `cache.sessions` changed outside Stagecraft: `memory_mb`.", "[run 4242](https://github.example/acme/shop/actions/runs/4242)", "<!-- stagecraft:drift key="} {
		if !strings.Contains(is.Body, want) {
			t.Errorf("issue body lacks %q:\n%s", want, is.Body)
		}
	}

	// The next check updates the same issue.
	drift("updated drift issue #152.")
	if len(gh.issues) != 152 || gh.callCount("PATCH /repos/acme/shop/issues/152") != 1 {
		t.Fatalf("second check: %d issues, %d edits of #152", len(gh.issues), gh.callCount("PATCH /repos/acme/shop/issues/152"))
	}
	// Each check found the issue with one call.
	if n := gh.callCount("GET /repos/acme/shop/issues"); n != 3 {
		t.Errorf("three checks listed issues %d times", n)
	}

	// Once put right, the issue is commented on and closed.
	s.mustRun("apply", "--auto-approve")
	out = drift(`Environment "dev" is clean again: closed drift issue #152.`)
	if is.State != "closed" || is.StateReason != "completed" || out["has-changes"] != "false" {
		t.Errorf("after the fix: issue %s (%s), outputs %v", is.State, is.StateReason, out)
	}
	if c := gh.prComments(152); len(c) != 1 || !strings.HasPrefix(c[0].Body, "No drift and no pending changes any more") {
		t.Errorf("closing comment: %v", c)
	}
	drift(`No drift and no pending changes in environment "dev".`)
	if len(gh.issues) != 152 {
		t.Errorf("a clean check opened an issue: %d issues", len(gh.issues))
	}
}

func TestCIDriftReportPendingChanges(t *testing.T) {
	t.Parallel()
	gh := newFakeGitHub(t)
	s := newSession(t, nil)
	s.mustRun("apply", "--auto-approve", "--stage", "monolith")
	work := ciWorkdir(t, s, gh, "schedule", map[string]any{})
	r := s.run("ci", "drift-report")
	if r.code != 0 || len(gh.issues) != 1 || gh.issues[0].Title != "Stagecraft: pending changes in environment dev" {
		t.Fatalf("pending changes: exit %d, issues %v\n%s", r.code, gh.issues, r.err)
	}
	summary, _ := os.ReadFile(filepath.Join(work, "summary.md"))
	if !strings.Contains(string(summary), "### Stagecraft plan for `dev`: `monolith` → `coordinated`") {
		t.Errorf("job summary:\n%s", summary)
	}
	// --issue=false reports in the outputs and the summary only.
	gh2 := newFakeGitHub(t)
	ciWorkdir(t, s, gh2, "schedule", map[string]any{})
	if r := s.run("ci", "drift-report", "--issue=false"); r.code != 0 || len(gh2.calls) != 0 {
		t.Fatalf("--issue=false: exit %d, %d API calls\n%s", r.code, len(gh2.calls), r.err)
	}
	// A plan that cannot be made fails the check and leaves the issue.
	ciWorkdir(t, s, gh, "schedule", map[string]any{})
	if r := s.run("ci", "drift-report", "-var", "app_port=80"); r.code != 1 || gh.issues[0].State != "open" {
		t.Fatalf("failed check: exit %d, issue %s\n%s", r.code, gh.issues[0].State, r.err)
	}
}
