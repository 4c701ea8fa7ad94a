package cmd

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// localStack is the quickstart copied to a temporary directory and run
// with the real binary on the local provider, on a free load balancer port,
// with the demo app prebuilt.
type localStack struct {
	t     *testing.T
	bin   string
	dir   string
	port  int
	vars  []string
	pidFn string
}

func newLocalStack(t *testing.T, extra string) *localStack {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil && os.Getenv("CI") == "" {
		t.Skip("redis-server is not installed (apt-get install redis-server)")
	}
	tmp := t.TempDir()
	s := &localStack{t: t, bin: filepath.Join(tmp, "stagecraft"), dir: filepath.Join(tmp, "quickstart")}
	app := filepath.Join(tmp, "app")
	for _, b := range [][]string{{"-o", s.bin, "./cmd/stagecraft"}, {"-o", app, "./examples/app"}} {
		cmd := exec.Command("go", append([]string{"build"}, b...)...)
		cmd.Dir = ".."
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go build: %v\n%s", err, out)
		}
	}
	if err := os.MkdirAll(s.dir, 0o755); err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile(filepath.Join("..", "examples", "quickstart", "main.stack.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(s.dir, "main.stack.hcl"), append(src, []byte(extra)...), 0o644); err != nil {
		t.Fatal(err)
	}
	s.port = freeTCPPort(t)
	s.vars = []string{"-var", fmt.Sprintf(`app_command=["%s"]`, app), "-var", "lb_port=" + strconv.Itoa(s.port), "-var", "shift_bake=1s"}
	s.pidFn = filepath.Join(s.dir, ".stagecraft", "local", "dev", "supervisor.pid")
	t.Cleanup(func() {
		// Whatever happened, stop the supervisor by its pid.
		b, err := os.ReadFile(s.pidFn)
		if err == nil {
			if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
				_ = syscall.Kill(pid, syscall.SIGTERM)
				time.Sleep(2 * time.Second)
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	})
	return s
}

// run runs the binary and returns its output; wantErr says whether it
// should fail.
func (s *localStack) run(wantErr bool, args ...string) string {
	s.t.Helper()
	cmd := exec.Command(s.bin, append(append([]string{"-C", s.dir}, args...), s.vars...)...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if (err != nil) != wantErr {
		s.t.Fatalf("stagecraft %s: error %v, want error %v\n%s", strings.Join(args, " "), err, wantErr, out.String())
	}
	return out.String()
}

func (s *localStack) url(path string) string {
	return fmt.Sprintf("http://127.0.0.1:%d%s", s.port, path)
}

// load sends requests to the load balancer at a bounded rate until stop
// is called, recording every status.
type load struct {
	stop    chan struct{}
	done    chan struct{}
	mu      sync.Mutex
	counts  map[string]int
	byPhase map[string]map[string]int
	phase   string
}

func startLoad(urls []string, perSecond int) *load {
	l := &load{stop: make(chan struct{}), done: make(chan struct{}), counts: map[string]int{}, byPhase: map[string]map[string]int{}}
	go func() {
		defer close(l.done)
		client := &http.Client{Timeout: 5 * time.Second}
		tick := time.NewTicker(time.Second / time.Duration(perSecond))
		defer tick.Stop()
		var wg sync.WaitGroup
		for i := 0; ; i++ {
			select {
			case <-l.stop:
				wg.Wait()
				return
			case <-tick.C:
			}
			u := urls[i%len(urls)]
			wg.Add(1)
			go func() {
				defer wg.Done()
				status := "connection error"
				resp, err := client.Get(u)
				if err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					status = strconv.Itoa(resp.StatusCode)
				}
				l.mu.Lock()
				l.counts[status]++
				if l.byPhase[l.phase] == nil {
					l.byPhase[l.phase] = map[string]int{}
				}
				l.byPhase[l.phase][status]++
				l.mu.Unlock()
			}()
		}
	}()
	return l
}

func (l *load) setPhase(p string) {
	l.mu.Lock()
	l.phase = p
	l.mu.Unlock()
}

func (l *load) finish() map[string]int {
	close(l.stop)
	<-l.done
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.counts
}

// TestMigrationsKeepTraffic applies the quickstart's ladder with the real
// binary on the local provider (real processes: the app, redis-server,
// three etcd members), up from monolith to microservices and back down,
// while a client sends 50 requests a second through the load balancer
// (from the stage that has one). Every request must succeed: the groups
// roll with surge, /orders/ moves to its own service and back in weighted
// steps with gates, and nothing is deleted while it still gets traffic.
// The app authenticates to the cache and the coordinator with the
// credentials its environment is given, which no output and no log shows.
// Destroy leaves no process behind.
func TestMigrationsKeepTraffic(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole architecture")
	}
	t.Parallel()
	s := newLocalStack(t, "")
	var outputs []string
	outputs = append(outputs, s.run(false, "apply", "--auto-approve", "--stage", "monolith"))
	outputs = append(outputs, s.run(false, "apply", "--auto-approve", "--stage", "load-balanced"))
	l := startLoad([]string{s.url("/"), s.url("/orders/1")}, 50)
	ladder := []string{"cached", "coordinated", "microservices", "coordinated", "cached", "load-balanced"}
	var supervisor int
	var children []int
	for i, stage := range ladder {
		l.setPhase(fmt.Sprintf("%d %s", i+1, stage))
		outputs = append(outputs, s.run(false, "apply", "--auto-approve", "--stage", stage, "--allow-data-loss"))
		if stage == "microservices" {
			body := get(t, s.url("/orders/1"))
			if !strings.Contains(body, "(redis); instances registered") {
				t.Errorf("/orders/ is not served by the app with its cache and coordinator:\n%s", body)
			}
			supervisor = pidOf(t, s.pidFn)
			children = childPIDs(supervisor)
			for _, args := range [][]string{{"plan"}, {"plan", "-o", "json"}, {"plan", "-o", "markdown"}, {"show"}, {"state", "show", "autoscaling_group.orders"}} {
				outputs = append(outputs, s.run(false, args...))
			}
			checkSecretsHidden(t, s.dir, outputs)
		}
	}
	counts := l.finish()
	total, failed := 0, 0
	for status, n := range counts {
		total += n
		if status != "200" {
			failed += n
		}
	}
	t.Logf("requests during the migrations: %d, by status: %v", total, counts)
	for i, stage := range ladder {
		t.Logf("  while moving to %s: %v", stage, l.byPhase[fmt.Sprintf("%d %s", i+1, stage)])
	}
	if failed > 0 || total < 100 {
		t.Errorf("%d of %d requests failed during the migrations: %v", failed, total, counts)
	}
	s.run(false, "apply", "--auto-approve", "--stage", "monolith", "--allow-data-loss")
	s.run(false, "destroy", "--auto-approve", "--allow-data-loss")
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) && alive(supervisor) {
		time.Sleep(100 * time.Millisecond)
	}
	if alive(supervisor) {
		t.Errorf("the supervisor (pid %d) still runs after destroy", supervisor)
	}
	for _, pid := range children {
		if alive(pid) {
			t.Errorf("process %d still runs after destroy", pid)
		}
	}
	if _, err := os.Stat(filepath.Join(s.dir, ".stagecraft", "local", "dev", "data", "cache.sessions")); err == nil {
		t.Error("the cache's data is left after destroy")
	}
}

// checkSecretsHidden reads the passwords of the cache and the coordinator
// from the state, where they must be marked sensitive (and so must the
// group environment variables that carry them), and fails the test for
// every output and log file that shows one.
func checkSecretsHidden(t *testing.T, dir string, outputs []string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, ".stagecraft", "state", "dev.json"))
	if err != nil {
		t.Fatal(err)
	}
	var st struct {
		Resources []struct {
			Address        string         `json:"address"`
			Attributes     map[string]any `json:"attributes"`
			SensitivePaths []string       `json:"sensitive_paths"`
		} `json:"resources"`
	}
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"cache.sessions":           {"password"},
		"coordinator.locks":        {"password"},
		"autoscaling_group.orders": {"env.COORDINATOR_PASSWORD", "env.REDIS_PASSWORD"},
	}
	var secrets []string
	for _, r := range st.Resources {
		if w, ok := want[r.Address]; ok && !slices.Equal(r.SensitivePaths, w) {
			t.Errorf("the state marks %v of %s sensitive, want %v", r.SensitivePaths, r.Address, w)
		}
		if pw, ok := r.Attributes["password"].(string); ok && pw != "" {
			secrets = append(secrets, pw)
		}
	}
	if len(secrets) != 2 {
		t.Fatalf("the state holds %d passwords, want the cache's and the coordinator's", len(secrets))
	}
	for i, out := range outputs {
		for _, pw := range secrets {
			if strings.Contains(out, pw) {
				t.Errorf("output %d shows a password:\n%s", i, out)
			}
		}
	}
	_ = filepath.WalkDir(filepath.Join(dir, ".stagecraft", "local"), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".log") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return nil
		}
		for _, pw := range secrets {
			if bytes.Contains(b, []byte(pw)) {
				t.Errorf("the log %s shows a password", path)
			}
		}
		return nil
	})
}

// badOrders is a stage whose orders service passes its health checks but
// fails every request: a broken new version.
const badOrders = `
stage "bad-orders" {
  extends = "microservices"
  autoscaling_group "orders" {
    env = {
      SERVICE    = "orders"
      ERROR_RATE = "1"
    }
  }
}

`

// TestGateStopsBrokenVersion moves /orders/ to a new service that fails
// every request. The first step's gate sees the failures, the traffic goes
// back to the old target, apply fails saying so, and the state records the
// stopped shift; users saw errors only for the canary share during one bake.
func TestGateStopsBrokenVersion(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole architecture")
	}
	t.Parallel()
	s := newLocalStack(t, badOrders)
	s.run(false, "apply", "--auto-approve", "--stage", "coordinated")
	l := startLoad([]string{s.url("/orders/1")}, 50)
	out := s.run(true, "apply", "--auto-approve", "--stage", "bad-orders")
	counts := l.finish()
	if !strings.Contains(out, "shifting /orders/ stopped at step 10%") || !strings.Contains(out, "the traffic is back at 0%") {
		t.Fatalf("apply did not report the stopped shift:\n%s", out)
	}
	total, failed := 0, 0
	for status, n := range counts {
		total += n
		if status != "200" {
			failed += n
		}
	}
	t.Logf("requests while the broken version was tried: %d, by status: %v", total, counts)
	// About 10 % of /orders/ requests reach the canary during its one
	// 1-second bake: 50 a second gives about 5. Allow for timing.
	if failed == 0 || failed > 25 {
		t.Errorf("%d of %d requests failed; want a few (the canary share during one bake)", failed, total)
	}
	if body := get(t, s.url("/orders/1")); !strings.HasPrefix(body, "hello from") {
		t.Errorf("after the gate failed, /orders/ is not served by the old target:\n%s", body)
	}
	plan := strings.Join(strings.Fields(strings.ReplaceAll(s.run(false, "plan", "--stage", "bad-orders"), "│", " ")), " ")
	if !strings.Contains(plan, "The last apply stopped shifting /orders/ on load_balancer.edge at 0%") {
		t.Errorf("the plan does not say the shift stopped:\n%s", plan)
	}
	s.run(false, "destroy", "--auto-approve", "--allow-data-loss")
}

func freeTCPPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func pidOf(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("no supervisor pid file: %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	return pid
}

// childPIDs lists the processes whose parent is pid, and their children.
func childPIDs(pid int) []int {
	entries, _ := os.ReadDir("/proc")
	parent := map[int]int{}
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		s := string(stat)
		fields := strings.Fields(s[strings.LastIndex(s, ")")+1:])
		if len(fields) > 1 {
			pp, _ := strconv.Atoi(fields[1])
			parent[p] = pp
		}
	}
	var out []int
	var walk func(int)
	walk = func(root int) {
		for p, pp := range parent {
			if pp == root {
				out = append(out, p)
				walk(p)
			}
		}
	}
	walk(pid)
	return out
}

func alive(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	stat, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return false
	}
	// A zombie has exited; only its parent has not reaped it yet.
	s := string(stat)
	fields := strings.Fields(s[strings.LastIndex(s, ")")+1:])
	return len(fields) > 0 && fields[0] != "Z"
}

// acceptanceEnv runs the local acceptance tests that take minutes.
const acceptanceEnv = "STAGECRAFT_LOCAL_ACCEPTANCE"

// hitsLine is the hit counter as the demo app's page shows it.
var hitsLine = regexp.MustCompile(`hits across all instances: (\d+) \(redis\)`)

// hits reads the hit counter through the load balancer (which counts
// one more hit).
func (s *localStack) hits(t *testing.T) int {
	t.Helper()
	body := get(t, s.url("/"))
	m := hitsLine.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("the page shows no hit counter:\n%s", body)
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// start runs the binary in the background with its output collected.
func (s *localStack) start(args ...string) (*exec.Cmd, *syncBuffer) {
	s.t.Helper()
	cmd := exec.Command(s.bin, append(append([]string{"-C", s.dir}, args...), s.vars...)...)
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	pid := cmd.Process.Pid
	s.t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGKILL) })
	return cmd, out
}

// TestInterruptedMoveConverges moves the quickstart from microservices
// down to coordinated (/orders/ goes back to app in three steps, then
// the orders group is deleted) and stops the apply at every step of that
// shift, once with Ctrl-C (SIGINT) and once with kill -9, in the middle
// of the step's bake. After each stop one apply finishes the move. A
// client sends 20 requests a second through the load balancer the whole
// time: none may fail, and the hit counter in the cache only grows, by at
// least the requests answered.
//
// It runs for minutes, so only with STAGECRAFT_LOCAL_ACCEPTANCE=1.
func TestInterruptedMoveConverges(t *testing.T) {
	if os.Getenv(acceptanceEnv) == "" {
		t.Skip("runs for minutes; set " + acceptanceEnv + "=1")
	}
	s := newLocalStack(t, "")
	s.run(false, "apply", "--auto-approve", "--stage", "microservices")
	before := s.hits(t)
	l := startLoad([]string{s.url("/"), s.url("/orders/1")}, 20)
	steps := []int{10, 50, 100}
	for i, share := range steps {
		for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGKILL} {
			round := fmt.Sprintf("%s at step %d (%d%%)", sig, i+1, share)
			l.setPhase(round)
			cmd, out := s.start("apply", "--auto-approve", "--stage", "coordinated", "--allow-data-loss")
			mark := fmt.Sprintf("load_balancer.edge: shifting /orders/ to %d%%...", share)
			deadline := time.Now().Add(3 * time.Minute)
			for !strings.Contains(out.String(), mark) {
				if time.Now().After(deadline) {
					t.Fatalf("%s: the apply never reached the step:\n%s", round, out.String())
				}
				time.Sleep(20 * time.Millisecond)
			}
			// Half the 1-second bake: the step's weights are in force.
			time.Sleep(500 * time.Millisecond)
			_ = cmd.Process.Signal(sig)
			err := cmd.Wait()
			if sig == syscall.SIGINT {
				want := fmt.Sprintf("interrupted at shift step %d of 3; run apply to continue", i+1)
				if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 || !strings.Contains(out.String(), want) {
					t.Fatalf("%s: apply ended %v, want exit 1 saying %q:\n%s", round, err, want, out.String())
				}
			}
			plan := s.run(false, "plan", "--stage", "coordinated", "--allow-data-loss")
			shiftAt := strings.Index(plan, "shift /orders/")
			deleteAt := strings.Index(plan, "delete autoscaling_group.orders")
			if shiftAt >= 0 && deleteAt >= 0 && deleteAt < shiftAt {
				t.Errorf("%s: the next plan deletes orders before the shift is done:\n%s", round, plan)
			}
			l.setPhase(round + ", then apply")
			resumed := s.run(false, "apply", "--auto-approve", "--stage", "coordinated", "--allow-data-loss")
			if !strings.Contains(resumed, "Apply complete") {
				t.Fatalf("%s: the next apply did not complete:\n%s", round, resumed)
			}
			if p := s.run(false, "plan", "--stage", "coordinated", "--detailed-exitcode"); !strings.Contains(p, "No changes") {
				t.Errorf("%s: plan after the resumed apply:\n%s", round, p)
			}
			// Back up for the next round.
			l.setPhase(round + ", back up")
			s.run(false, "apply", "--auto-approve", "--stage", "microservices")
		}
	}
	counts := l.finish()
	after := s.hits(t)
	total, failed := 0, 0
	for status, n := range counts {
		total += n
		if status != "200" {
			failed += n
		}
	}
	t.Logf("requests: %d, by status: %v; hit counter %d -> %d", total, counts, before, after)
	for i, share := range steps {
		for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGKILL} {
			round := fmt.Sprintf("%s at step %d (%d%%)", sig, i+1, share)
			t.Logf("  %s: %v; then apply: %v", round, l.byPhase[round], l.byPhase[round+", then apply"])
		}
	}
	if failed > 0 || total < 100 {
		t.Errorf("%d of %d requests failed", failed, total)
	}
	if after < before+total-failed {
		t.Errorf("the hit counter went from %d to %d over %d answered requests: it lost hits", before, after, total-failed)
	}
	s.run(false, "destroy", "--auto-approve", "--allow-data-loss")
}
