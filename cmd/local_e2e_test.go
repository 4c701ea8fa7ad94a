package cmd

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestQuickstartOnLocal applies the README's quickstart with the real
// binary on the local provider (real processes: the app, redis-server,
// three etcd members), curls through the load balancer, migrates down a
// stage under load without a failed request, and destroys everything,
// leaving no process behind.
func TestQuickstartOnLocal(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole architecture")
	}
	if _, err := exec.LookPath("redis-server"); err != nil && os.Getenv("CI") == "" {
		t.Skip("redis-server is not installed (apt-get install redis-server)")
	}
	t.Parallel()
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "stagecraft")
	app := filepath.Join(tmp, "app")
	for _, b := range [][]string{{"-o", bin, "./cmd/stagecraft"}, {"-o", app, "./examples/app"}} {
		cmd := exec.Command("go", append([]string{"build"}, b...)...)
		cmd.Dir = ".."
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go build: %v\n%s", err, out)
		}
	}
	stack := filepath.Join(tmp, "quickstart")
	if err := os.MkdirAll(stack, 0o755); err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile(filepath.Join("..", "examples", "quickstart", "main.stack.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(stack, "main.stack.hcl"), src, 0o644); err != nil {
		t.Fatal(err)
	}
	port := freeTCPPort(t)
	vars := []string{"-var", fmt.Sprintf(`app_command=["%s"]`, app), "-var", "lb_port=" + strconv.Itoa(port)}
	run := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(bin, append(append([]string{"-C", stack}, args...), vars...)...)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			t.Fatalf("stagecraft %s: %v\n%s", strings.Join(args, " "), err, out.String())
		}
		return out.String()
	}
	t.Cleanup(func() {
		// Whatever happened, stop the supervisor by its pid.
		b, err := os.ReadFile(filepath.Join(stack, ".stagecraft", "local", "dev", "supervisor.pid"))
		if err == nil {
			if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
				_ = syscall.Kill(pid, syscall.SIGTERM)
				time.Sleep(2 * time.Second)
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	})

	run("apply", "--auto-approve")
	url := fmt.Sprintf("http://127.0.0.1:%d/", port)
	body := get(t, url)
	if !strings.Contains(body, "hello from") || !strings.Contains(body, "(redis)") || !strings.Contains(body, "instances registered") {
		t.Fatalf("the app behind the load balancer does not use the cache and the coordinator:\n%s", body)
	}
	if out := run("plan", "--detailed-exitcode"); !strings.Contains(out, "No changes") {
		t.Fatalf("plan after apply:\n%s", out)
	}
	supervisor := pidOf(t, filepath.Join(stack, ".stagecraft", "local", "dev", "supervisor.pid"))
	children := childPIDs(supervisor)
	if len(children) < 2+1+3 {
		t.Errorf("the supervisor runs %d processes, want at least 6 (2 app instances, redis, 3 etcd members)", len(children))
	}

	// Down a stage while a client keeps asking: the group rolls (its env
	// loses REDIS_ADDR and ETCD_ENDPOINTS) without a failed request.
	stop := make(chan struct{})
	failures := make(chan string, 1000)
	done := make(chan int)
	go func() {
		n := 0
		client := &http.Client{Timeout: 5 * time.Second}
		for {
			select {
			case <-stop:
				done <- n
				return
			default:
			}
			resp, err := client.Get(url)
			n++
			if err != nil {
				failures <- err.Error()
				continue
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				failures <- resp.Status
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
	run("apply", "--auto-approve", "--stage", "load-balanced", "--allow-data-loss")
	close(stop)
	requests := <-done
	close(failures)
	var failed []string
	for f := range failures {
		failed = append(failed, f)
	}
	if len(failed) > 0 || requests < 10 {
		t.Errorf("%d of %d requests failed during the migration: %v", len(failed), requests, failed)
	}
	if body := get(t, url); strings.Contains(body, "(redis)") {
		t.Errorf("after moving down, the app still uses the cache:\n%s", body)
	}

	run("destroy", "--auto-approve", "--allow-data-loss")
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
	if _, err := os.Stat(filepath.Join(stack, ".stagecraft", "local", "dev", "data", "cache.sessions")); err == nil {
		t.Error("the cache's data is left after destroy")
	}
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
