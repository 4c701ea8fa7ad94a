package cmd

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/stagecraft/stagecraft/providers"
	"github.com/stagecraft/stagecraft/providers/kinds"
	"github.com/stagecraft/stagecraft/providers/sim"
)

// simResources lists, by address, what the bare sim cloud of the session's
// stack "shop", environment "dev" holds, as a next command would find it.
func simResources(t *testing.T, dir string) []string {
	t.Helper()
	p := sim.New()
	p.(providers.Workspace).SetWorkspace(providers.WorkspaceInfo{Dir: dir, DataDir: filepath.Join(dir, ".stagecraft"), Stack: "shop", Environment: "dev"})
	if diags := p.Configure(t.Context(), cty.EmptyObjectVal); diags.HasErrors() {
		t.Fatalf("the sim cloud file does not replay: %s", diags.Error())
	}
	defer closeProvider(p)
	var out []string
	for _, name := range kinds.Names() {
		k, _ := p.Kind(name)
		found, err := k.(providers.Discoverer).Discover(t.Context(), "shop", "dev")
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range found {
			out = append(out, f.Ref.Address)
		}
	}
	return out
}

// TestLostStateApplyRefused: with .stagecraft/state deleted, apply used to
// create a second copy of everything; it now refuses with one sentence
// that says how to get the state back, and creates nothing.
func TestLostStateApplyRefused(t *testing.T) {
	t.Parallel()
	s := newSession(t, map[string]string{"main.stack.hcl": bareSimStack})
	s.mustRun("init")
	s.mustRun("apply", "--auto-approve")
	if err := os.RemoveAll(filepath.Join(s.dir, ".stagecraft", "state")); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"plan"}, {"apply", "--auto-approve"}} {
		r := s.run(args...)
		want := "Error: 2 resources of this environment already exist; run `stagecraft state recover --write`"
		if r.code != 1 || !strings.HasPrefix(r.err, want) || strings.Count(strings.TrimSpace(r.err), "\n") > 0 {
			t.Errorf("stagecraft %s with the state lost: exit %d, stderr %q; want 1 and one line starting %q", strings.Join(args, " "), r.code, r.err, want)
		}
	}
	if got := simResources(t, s.dir); len(got) != 2 {
		t.Errorf("after the refused apply the cloud holds %v, want the 2 resources of the first apply", got)
	}
}

// TestLostStateAdopt: apply --adopt takes over what the lost state
// tracked, creates no duplicate, and the next plan has no changes.
func TestLostStateAdopt(t *testing.T) {
	t.Parallel()
	s := newSession(t, map[string]string{"main.stack.hcl": bareSimStack})
	s.mustRun("init")
	s.mustRun("apply", "--auto-approve")
	before := simResources(t, s.dir)
	if err := os.RemoveAll(filepath.Join(s.dir, ".stagecraft", "state")); err != nil {
		t.Fatal(err)
	}
	r := s.mustRun("apply", "--auto-approve", "--adopt")
	if !strings.Contains(r.out, "adopt") {
		t.Errorf("apply --adopt does not say it adopts:\n%s", r.out)
	}
	if after := simResources(t, s.dir); strings.Join(after, " ") != strings.Join(before, " ") {
		t.Errorf("after apply --adopt the cloud holds %v, want %v (no duplicate)", after, before)
	}
	if r := s.run("plan", "--detailed-exitcode"); r.code != 0 {
		t.Errorf("plan after apply --adopt: exit %d, want 0 (no changes)\n%s%s", r.code, r.out, r.err)
	}
}
