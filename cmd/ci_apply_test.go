package cmd

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// planOnPullRequest runs ci plan for pull request n of the session's
// stack and returns the directory it saved the plan in.
func planOnPullRequest(t *testing.T, s *session, gh *fakeGitHub, n int, args ...string) string {
	t.Helper()
	work := ciWorkdir(t, s, gh, "pull_request", prEvent(n))
	planDir := filepath.Join(work, "plan")
	if r := s.run(append([]string{"ci", "plan", "--plan-dir", planDir}, args...)...); r.code != 0 {
		t.Fatalf("ci plan: exit %d\n%s", r.code, r.err)
	}
	return planDir
}

// onPush gives the session the environment of a push of commit sha.
func onPush(t *testing.T, s *session, gh *fakeGitHub, sha string) string {
	t.Helper()
	work := ciWorkdir(t, s, gh, "push", map[string]any{"ref": "refs/heads/main", "after": sha})
	s.env["GITHUB_SHA"] = sha
	return work
}

// tamperedCopy copies a plan directory and changes one byte of the plan.
func tamperedCopy(t *testing.T, dir string) string {
	t.Helper()
	out := t.TempDir()
	for _, name := range []string{ciPlanFileName, ciHashFileName} {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if name == ciPlanFileName {
			data = bytes.Replace(data, []byte(`"min":2`), []byte(`"min":9`), 1)
		}
		if err := os.WriteFile(filepath.Join(out, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func TestCIApplyArtifact(t *testing.T) {
	t.Parallel()
	gh := newFakeGitHub(t)
	s := newSession(t, nil)
	planDir := planOnPullRequest(t, s, gh, 7)
	// The newest artifact of the pull request's last commit is the one
	// applied: an older, tampered one and a newer one of another commit
	// are passed over.
	gh.addArtifact("stagecraft-plan-dev", "head7", "2026-01-01T00:00:00Z", tamperedCopy(t, planDir))
	good := gh.addArtifact("stagecraft-plan-dev", "head7", "2026-01-01T01:00:00Z", planDir)
	gh.addArtifact("stagecraft-plan-dev", "other", "2026-01-01T02:00:00Z", tamperedCopy(t, planDir))
	gh.mergePR(7, "merge7", "head7")
	work := onPush(t, s, gh, "merge7")

	r := s.run("ci", "apply-artifact")
	if r.code != 0 {
		t.Fatalf("ci apply-artifact: exit %d\n%s\n%s", r.code, r.out, r.err)
	}
	for _, want := range []string{`Verified artifact "stagecraft-plan-dev" of pull request #7 (run ` + itoa(good.RunID) + `, commit head7)`, "Apply complete", "4 added"} {
		if !strings.Contains(r.err, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.err)
		}
	}
	if !strings.Contains(r.out, "will be created") {
		t.Errorf("the job log does not show the plan applied:\n%s", r.out)
	}
	if list := s.mustRun("state", "list").out; strings.Count(list, "\n") != 4 {
		t.Errorf("state after the apply:\n%s", list)
	}
	out := readOutputs(t, filepath.Join(work, "output"))
	if out["exitcode"] != "0" || out["has-changes"] != "true" || out["summary"] != "Applied. Plan: 4 to create, 0 to update, 0 to replace, 0 to destroy." {
		t.Errorf("outputs: %v", out)
	}
	summary, _ := os.ReadFile(filepath.Join(work, "summary.md"))
	if !strings.HasPrefix(string(summary), "**Applied** the plan reviewed in artifact \"stagecraft-plan-dev\" of pull request #7.\n\n### Stagecraft plan for `dev`") {
		t.Errorf("job summary:\n%s", summary)
	}
	if n := gh.callCount("GET /storage/"); n != 1 {
		t.Errorf("%d artifact downloads, want 1 (only the one chosen)", n)
	}

	// The same plan again is stale: the state moved on.
	work = onPush(t, s, gh, "merge7")
	r = s.run("ci", "apply-artifact")
	if r.code != 1 || !strings.Contains(r.err, "stale plan: the state has changed since the plan was made") ||
		!strings.Contains(r.err, "Pull request #7 was planned against an older state or older stack files: open a pull request to plan again") {
		t.Fatalf("stale artifact: exit %d\n%s", r.code, r.err)
	}
	if out := readOutputs(t, filepath.Join(work, "output")); out["exitcode"] != "1" {
		t.Errorf("outputs of a stale apply: %v", out)
	}
	if !strings.Contains(r.out, "::error title=Stagecraft::stale plan") {
		t.Errorf("no error annotation:\n%s", r.out)
	}
}

func TestCIApplyRefusesATamperedPlan(t *testing.T) {
	t.Parallel()
	gh := newFakeGitHub(t)
	s := newSession(t, nil)
	planDir := planOnPullRequest(t, s, gh, 8)
	gh.addArtifact("stagecraft-plan-dev", "head8", "2026-01-01T00:00:00Z", tamperedCopy(t, planDir))
	gh.mergePR(8, "merge8", "head8")
	onPush(t, s, gh, "merge8")
	r := s.run("ci", "apply-artifact")
	if r.code != 1 || !strings.Contains(r.err, `the plan in artifact "stagecraft-plan-dev" of pull request #8 does not match its SHA-256`) {
		t.Fatalf("tampered artifact: exit %d\n%s", r.code, r.err)
	}
	if list := s.mustRun("state", "list").out; list != "" {
		t.Errorf("a tampered plan changed the state:\n%s", list)
	}
	// A local plan file is checked the same way.
	r = s.run("ci", "apply-artifact", "--plan-file", filepath.Join(tamperedCopy(t, planDir), ciPlanFileName))
	if r.code != 1 || !strings.Contains(r.err, "does not match its SHA-256") {
		t.Fatalf("tampered plan file: exit %d\n%s", r.code, r.err)
	}
	lone := filepath.Join(t.TempDir(), "lone.plan")
	data, _ := os.ReadFile(filepath.Join(planDir, ciPlanFileName))
	_ = os.WriteFile(lone, data, 0o600)
	if r := s.run("ci", "apply-artifact", "--plan-file", lone); r.code != 1 || !strings.Contains(r.err, "has no hash beside it (lone.plan.sha256)") {
		t.Fatalf("plan file without hash: exit %d\n%s", r.code, r.err)
	}
	// The untouched plan file applies.
	if r := s.run("ci", "apply-artifact", "--plan-file", filepath.Join(planDir, ciPlanFileName)); r.code != 0 {
		t.Fatalf("plan file: exit %d\n%s", r.code, r.err)
	}
}

func TestCIApplyWithoutReviewedPlan(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		setup     func(gh *fakeGitHub)
		args      []string
		code      int
		want      string
		resources int
	}{
		"direct push": {
			args: []string{"ci", "apply-artifact"}, code: 1,
			want: "commit direct0 did not come from a merged pull request, so there is no reviewed plan; plan it on a pull request first, or set allow-unplanned: true",
		},
		"no artifact": {
			setup: func(gh *fakeGitHub) { gh.mergePR(3, "direct0", "head3") },
			args:  []string{"ci", "apply-artifact"}, code: 1,
			want: `pull request #3 has no plan artifact "stagecraft-plan-dev" for its last commit head3`,
		},
		"expired artifact": {
			setup: func(gh *fakeGitHub) {
				gh.mergePR(3, "direct0", "head3")
				a := gh.addArtifact("stagecraft-plan-dev", "head3", "2026-01-01T00:00:00Z", t.TempDir())
				a.Expired = true
			},
			args: []string{"ci", "apply-artifact"}, code: 1, want: "the artifact expired",
		},
		"allow unplanned": {
			args: []string{"ci", "apply-artifact", "--allow-unplanned=true"}, code: 0,
			want: "allow-unplanned is true: planning and applying in this run", resources: 4,
		},
		"allow unplanned, other stage": {
			args: []string{"ci", "apply-artifact", "--allow-unplanned=true", "--stage", "monolith"}, code: 0,
			want: "1 added", resources: 1,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			gh := newFakeGitHub(t)
			if tc.setup != nil {
				tc.setup(gh)
			}
			s := newSession(t, nil)
			work := onPush(t, s, gh, "direct0")
			r := s.run(tc.args...)
			if r.code != tc.code || !strings.Contains(r.err, tc.want) {
				t.Fatalf("exit %d (want %d), want %q in:\n%s", r.code, tc.code, tc.want, r.err)
			}
			if list := s.mustRun("state", "list").out; strings.Count(list, "\n") != tc.resources {
				t.Errorf("state tracks:\n%s\nwant %d resources", list, tc.resources)
			}
			out := readOutputs(t, filepath.Join(work, "output"))
			if want := itoa(int64(tc.code)); out["exitcode"] != want {
				t.Errorf("exitcode output %q, want %s", out["exitcode"], want)
			}
			if tc.code == 0 && !strings.HasPrefix(out["summary"], "Applied. Plan: ") {
				t.Errorf("summary output %q", out["summary"])
			}
		})
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
