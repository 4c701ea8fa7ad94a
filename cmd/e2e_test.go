package cmd

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// buildStagecraft builds the binary into a test directory.
func buildStagecraft(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "stagecraft")
	build := exec.Command("go", "build", "-o", bin, "./cmd/stagecraft")
	build.Dir = ".."
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestEndToEnd builds the binary and drives it as a user does: init ->
// validate -> plan -out -> apply the plan -> plan (no changes, exit 0 with
// --detailed-exitcode) -> destroy.
func TestEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	t.Parallel()
	bin := buildStagecraft(t)
	devNull, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { devNull.Close() })
	s := newSession(t, nil)
	planFile := filepath.Join(t.TempDir(), "dev.plan")
	steps := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"init"}, 0, `environment "dev": provider "sim" ready`},
		{[]string{"validate"}, 0, "Success!"},
		{[]string{"plan", "-out", planFile, "--detailed-exitcode"}, 2, "Plan: 4 to create"},
		// Standard input is the null device: a character device, but no
		// terminal to ask on.
		{[]string{"apply"}, 1, "Error: apply needs confirmation and there is no terminal to ask on; review the plan and run again with --auto-approve"},
		{[]string{"apply", planFile}, 0, "Apply complete"},
		{[]string{"plan", "--detailed-exitcode"}, 0, "No changes."},
		{[]string{"destroy", "--auto-approve", "--allow-data-loss"}, 0, "Destroy complete"},
		{[]string{"plan", "--detailed-exitcode", "-var", "app_port=80"}, 1, "Use an unprivileged port"},
	}
	for _, st := range steps {
		cmd := exec.Command(bin, append([]string{"-C", s.dir}, st.args...)...)
		cmd.Stdin = devNull
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		all := out.String() + errOut.String()
		if code != st.code || !strings.Contains(all, st.want) {
			t.Fatalf("stagecraft %s: exit %d (want %d), want %q in:\n%s", strings.Join(st.args, " "), code, st.code, st.want, all)
		}
		if strings.Contains(all, "goroutine ") {
			t.Fatalf("stack trace:\n%s", all)
		}
	}
	// version is stamped through -ldflags, as the release does.
	stamped := filepath.Join(t.TempDir(), "stagecraft")
	b := exec.Command("go", "build", "-o", stamped, "-ldflags", "-X main.version=v1.2.3 -X main.commit=abc1234", "./cmd/stagecraft")
	b.Dir = ".."
	if out, err := b.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(stamped, "version").Output()
	if err != nil || !strings.HasPrefix(string(out), "stagecraft v1.2.3 (commit abc1234)") || !strings.Contains(string(out), "github.com/hashicorp/hcl/v2 v2.25.0") {
		t.Errorf("version: %v\n%s", err, out)
	}
}

// TestInterruptedApply sends SIGINT twice to an apply in flight: the
// first stops new work, the second stops at once while calls are still in
// flight, naming them; it exits 1 with a clear message, and the next apply
// completes the rest without creating anything twice.
func TestInterruptedApply(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	t.Parallel()
	bin := buildStagecraft(t)
	s := newSession(t, simFiles("1s", "s", `
stage "s" {
  autoscaling_group "g" {
    count = 12
  }
}
`))
	cmd := exec.Command(bin, "-C", s.dir, "apply", "--auto-approve", "--parallelism", "2")
	var out, errOut syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGKILL) })
	// Wait until the apply has started (a first operation finished), then
	// interrupt twice while the next ones are in flight (each takes 1s).
	deadline := time.Now().Add(20 * time.Second)
	// ("... done in" is a resource's line; a phase's is "Reading the
	// state: done in".)
	for time.Now().Before(deadline) && !strings.Contains(errOut.String(), "... done in") {
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond)
	_ = syscall.Kill(pid, syscall.SIGINT)
	time.Sleep(200 * time.Millisecond)
	_ = syscall.Kill(pid, syscall.SIGINT)
	err := cmd.Wait()
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.ExitCode() != 1 {
		t.Fatalf("interrupted apply: %v\n%s", err, errOut.String())
	}
	e := errOut.String()
	for _, want := range []string{"Interrupt received", "Second interrupt: stopping at once. Still in flight: autoscaling_group.g[", "Apply interrupted"} {
		if !strings.Contains(e, want) {
			t.Errorf("stderr lacks %q:\n%s", want, e)
		}
	}
	again := exec.Command(bin, "-C", s.dir, "apply", "--auto-approve")
	o, err := again.CombinedOutput()
	if err != nil || !strings.Contains(string(o), "Apply complete") {
		t.Fatalf("apply after the interrupt: %v\n%s", err, o)
	}
	if strings.Contains(string(o), "12 added") {
		t.Errorf("the second apply created everything again; the first one's work was lost:\n%s", o)
	}
	list, _ := exec.Command(bin, "-C", s.dir, "state", "list").Output()
	if n := strings.Count(string(list), "\n"); n != 12 {
		t.Errorf("state tracks %d resources, want 12", n)
	}
	_ = os.Remove(bin)
}

// simFiles is a stack of the given stages on the sim provider, whose
// cloud persists under .stagecraft (so that every command sees it) and
// whose every call takes latency; environment "dev" is at stage.
func simFiles(latency, stage, stages string) map[string]string {
	return map[string]string{"main.hcl": fmt.Sprintf(`
provider "sim" {
  path    = ".stagecraft/cloud.jsonl"
  latency = %q
}
environment "dev" {
  provider = "sim"
  stage    = %q
}
`, latency, stage) + stages}
}

// syncBuffer is a bytes.Buffer safe to read while a process writes it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// quickstartOnSim is the quickstart (examples/quickstart) with its
// environment on the sim provider, whose cloud persists under
// .stagecraft: its stages and traffic shifts without running anything.
func quickstartOnSim(t *testing.T) map[string]string {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("..", "examples", "quickstart", "main.stack.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	env := strings.Replace(string(src), `provider = "local"`, `provider = "sim"`, 1)
	return map[string]string{"main.stack.hcl": env + `
provider "sim" {
  path = ".stagecraft/sim-cloud.jsonl"
}
`}
}

// TestInterruptedShift stops the binary's apply in the middle of the
// quickstart's move from microservices down to coordinated (on the sim
// provider; /orders/ goes back to app in three steps of a 1-second bake,
// then the orders group is deleted), with Ctrl-C (SIGINT) at the second
// step and with kill -9 at the first: Ctrl-C ends the apply at once with
// exit 1 and the step it stopped at; after either, the next plan finishes
// the shift before it deletes the old target, and one apply reaches a
// clean plan.
func TestInterruptedShift(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	t.Parallel()
	bin := buildStagecraft(t)
	for _, tc := range []struct {
		sig   syscall.Signal
		share int
		step  int
	}{{syscall.SIGINT, 50, 2}, {syscall.SIGKILL, 10, 1}} {
		s := newSession(t, quickstartOnSim(t))
		run := func(code int, args ...string) string {
			t.Helper()
			args = append(append([]string{"-C", s.dir}, args...), "-var", "shift_bake=1s")
			out, err := exec.Command(bin, args...).CombinedOutput()
			got := 0
			if ee, ok := err.(*exec.ExitError); ok {
				got = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if got != code {
				t.Fatalf("stagecraft %s: exit %d, want %d:\n%s", strings.Join(args, " "), got, code, out)
			}
			return string(out)
		}
		run(0, "apply", "--auto-approve", "--stage", "microservices")
		cmd := exec.Command(bin, "-C", s.dir, "apply", "--auto-approve", "--stage", "coordinated", "-var", "shift_bake=1s")
		var out syncBuffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		pid := cmd.Process.Pid
		t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGKILL) })
		mark := fmt.Sprintf("load_balancer.edge: shifting /orders/ to %d%%...", tc.share)
		deadline := time.Now().Add(time.Minute)
		for !strings.Contains(out.String(), mark) && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		time.Sleep(300 * time.Millisecond) // into the step's bake
		_ = syscall.Kill(pid, tc.sig)
		err := cmd.Wait()
		if tc.sig == syscall.SIGINT {
			want := fmt.Sprintf("shifting /orders/, %d%% moved, interrupted at shift step %d of 3; run apply to continue", tc.share, tc.step)
			if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 || !strings.Contains(out.String(), want) || !strings.Contains(out.String(), "Apply interrupted") {
				t.Fatalf("%s: apply ended %v, want exit 1 saying %q:\n%s", tc.sig, err, want, out.String())
			}
		}
		plan := run(2, "plan", "--detailed-exitcode", "--stage", "coordinated")
		shiftAt, deleteAt := strings.Index(plan, "shift /orders/"), strings.Index(plan, "delete autoscaling_group.orders")
		if shiftAt < 0 || deleteAt < 0 || deleteAt < shiftAt {
			t.Errorf("%s at %d%%: the next plan must finish the shift, then delete orders:\n%s", tc.sig, tc.share, plan)
		}
		if applied := run(0, "apply", "--auto-approve", "--stage", "coordinated"); !strings.Contains(applied, "Apply complete") {
			t.Errorf("%s at %d%%: the next apply:\n%s", tc.sig, tc.share, applied)
		}
		run(0, "plan", "--detailed-exitcode", "--stage", "coordinated")
	}
}
