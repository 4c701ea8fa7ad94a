package cmd

import (
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stagecraft/stagecraft/state"
	"github.com/stagecraft/stagecraft/state/localfile/localfiletest"
)

// bareSimStack is a stack on provider "sim" {} without a path: its cloud
// persists under .stagecraft/sim/.
const bareSimStack = `
stack "shop" {}

provider "sim" {}

environment "dev" {
  provider = "sim"
  stage    = "cached"
}

stage "cached" {
  autoscaling_group "app" {
    min  = 1
    max  = 2
    port = 8080
  }
  cache "sessions" {
    engine    = "redis"
    memory_mb = 128
  }
}
`

// TestBareSimPersistsAcrossCommands: with provider "sim" {} the next
// command finds what apply made, instead of planning it all again as
// deleted outside Stagecraft.
func TestBareSimPersistsAcrossCommands(t *testing.T) {
	t.Parallel()
	s := newSession(t, map[string]string{"main.stack.hcl": bareSimStack})
	s.mustRun("init")
	s.mustRun("apply", "--auto-approve")
	r := s.run("plan", "--detailed-exitcode")
	if r.code != 0 || strings.Contains(r.out, "deleted outside") {
		t.Errorf("plan after apply: exit %d, want 0 (no changes)\n%s%s", r.code, r.out, r.err)
	}
	if _, err := os.Stat(filepath.Join(s.dir, ".stagecraft", "sim", "dev.jsonl")); err != nil {
		t.Errorf("the sim cloud is not in .stagecraft/sim/dev.jsonl: %v", err)
	}
}

// checkPrivate fails for every file under dir (outside local/, which the
// local provider keeps) that is not 0600 and every directory not 0700.
func checkPrivate(t *testing.T, dir, after string) {
	t.Helper()
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && p == filepath.Join(dir, "local") {
			return filepath.SkipDir
		}
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		want := os.FileMode(0o600)
		if fi.IsDir() {
			want = 0o700
		}
		if fi.Mode().Perm() != want || (!fi.IsDir() && !fi.Mode().IsRegular()) {
			t.Errorf("after %s: %s has mode %s, want %o", after, p, fi.Mode(), want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestFileModesUnderDataDir: everything Stagecraft keeps under
// .stagecraft (the state, its journal and lock, the sim cloud) and the
// saved plan are private after each command, with the state key set or
// not, even where an older version left them world-readable.
func TestFileModesUnderDataDir(t *testing.T) {
	t.Parallel()
	if runtime.GOOS == "windows" {
		t.Skip("Windows has no Unix modes")
	}
	for name, key := range map[string]string{"plain": "", "encrypted": strings.Repeat("11", 32)} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := newSession(t, map[string]string{"main.stack.hcl": bareSimStack})
			if key != "" {
				s.env[state.EnvStateKey] = key
			}
			data := filepath.Join(s.dir, ".stagecraft")
			s.mustRun("init")
			checkPrivate(t, data, "init")
			planFile := filepath.Join(s.dir, "tfplan")
			s.mustRun("plan", "-out", planFile)
			checkPrivate(t, data, "plan -out")
			if fi, err := os.Stat(planFile); err != nil || fi.Mode().Perm() != 0o600 {
				t.Errorf("the saved plan: %v (%v), want mode 600", fi.Mode(), err)
			}
			s.mustRun("apply", planFile)
			checkPrivate(t, data, "apply")
			// As an older version left them.
			for _, p := range []string{data, filepath.Join(data, "sim"), filepath.Join(data, "state")} {
				if err := os.Chmod(p, 0o755); err != nil {
					t.Fatal(err)
				}
			}
			if err := os.Chmod(filepath.Join(data, "sim", "dev.jsonl"), 0o644); err != nil {
				t.Fatal(err)
			}
			s.mustRun("destroy", "--auto-approve", "--allow-data-loss")
			checkPrivate(t, data, "destroy")
		})
	}
}

// TestEncryptedPlanFile: with STAGECRAFT_STATE_KEY set, plan -out writes
// the plan sealed with it; apply reads it back with the key and, without
// the key or with another, says so in one sentence and changes nothing.
func TestEncryptedPlanFile(t *testing.T) {
	t.Parallel()
	s := newSession(t, map[string]string{"main.stack.hcl": bareSimStack})
	s.env[state.EnvStateKey] = strings.Repeat("11", 32)
	s.mustRun("init")
	planFile := filepath.Join(s.dir, "tfplan")
	s.mustRun("plan", "-out", planFile)
	data, err := os.ReadFile(planFile)
	if err != nil {
		t.Fatal(err)
	}
	if !state.IsEncrypted(data) || strings.Contains(string(data), "sessions") {
		t.Fatalf("the saved plan is not encrypted:\n%s", data)
	}
	for name, key := range map[string]string{"no key": "", "another key": strings.Repeat("22", 32)} {
		if key == "" {
			delete(s.env, state.EnvStateKey)
		} else {
			s.env[state.EnvStateKey] = key
		}
		r := s.run("apply", planFile)
		want := map[string]string{
			"no key":      "STACKDIR/tfplan is encrypted; set STAGECRAFT_STATE_KEY (or STAGECRAFT_STATE_PASSPHRASE) to the key it was written with.",
			"another key": "cannot decrypt STACKDIR/tfplan with the key from STAGECRAFT_STATE_KEY",
		}[name]
		if r.code != 1 || !strings.Contains(r.err, want) || strings.Count(strings.TrimSpace(r.err), "\n") > 0 {
			t.Errorf("%s: apply PLANFILE: exit %d, stderr %q; want 1 and one line with %q", name, r.code, r.err, want)
		}
	}
	s.env[state.EnvStateKey] = strings.Repeat("11", 32)
	s.mustRun("apply", planFile)
	if r := s.run("plan", "--detailed-exitcode"); r.code != 0 {
		t.Errorf("plan after applying the encrypted plan: exit %d, want 0\n%s%s", r.code, r.out, r.err)
	}
}

// runBounded runs a command that must not hang, failing the test when it
// has not returned in a generous time.
func (s *session) runBounded(args ...string) result {
	s.t.Helper()
	done := make(chan result, 1)
	go func() { done <- s.run(args...) }()
	select {
	case r := <-done:
		return r
	case <-time.After(2 * time.Minute):
		s.t.Fatalf("stagecraft %s did not return", strings.Join(args, " "))
		return result{}
	}
}

// TestSpecialStateAndPlanFiles: a state file symlinked to /dev/zero, a
// named pipe or a directory in its place, and a plan file that is one of
// those, each end the command at once with one sentence, not a hang or a
// read that never ends.
func TestSpecialStateAndPlanFiles(t *testing.T) {
	t.Parallel()
	for what, mk := range localfiletest.Makers(t) {
		t.Run(what, func(t *testing.T) {
			t.Parallel()
			s := newSession(t, map[string]string{"main.stack.hcl": bareSimStack})
			s.mustRun("init")
			planFile := filepath.Join(s.dir, "tfplan")
			statePath := filepath.Join(s.dir, ".stagecraft", "state", "dev.json")
			for _, p := range []string{planFile, statePath} {
				if err := mk(p); err != nil {
					t.Fatal(err)
				}
			}
			for _, args := range [][]string{{"plan"}, {"apply", planFile}, {"show", planFile}} {
				r := s.runBounded(args...)
				msg := strings.TrimSpace(r.err)
				if r.code != 1 || !strings.Contains(msg, "not a regular file") || strings.Contains(msg, "\n") {
					t.Errorf("stagecraft %s with a %s: exit %d, stderr %q; want 1 and one line saying it is not a regular file", strings.Join(args, " "), what, r.code, r.err)
				}
			}
		})
	}
}
