package local

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/stagecraft/stagecraft/providers"
	"github.com/stagecraft/stagecraft/providers/kinds"
	"github.com/stagecraft/stagecraft/providers/local/supervisor"
	"github.com/stagecraft/stagecraft/providers/providertest"
)

// Helpers of the load balancer and group tests: the demo app they run,
// configurations, a load generator, and a check that no instance outlives
// its test.

var demoAppOnce struct {
	sync.Once
	path string
	err  error
}

// demoApp builds examples/app once per test binary and returns its path.
// The binary is kept in the temporary directory under a name derived from
// its source, so later runs reuse it instead of leaving a copy each.
func demoApp(t *testing.T) string {
	t.Helper()
	demoAppOnce.Do(func() {
		src := filepath.Join("..", "..", "examples", "app")
		h := sha256.New()
		files, _ := filepath.Glob(filepath.Join(src, "*.go"))
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				demoAppOnce.err = err
				return
			}
			h.Write(b)
		}
		out := filepath.Join(os.TempDir(), "stagecraft-demo-app-"+hex.EncodeToString(h.Sum(nil))[:16])
		if _, err := os.Stat(out); err == nil {
			demoAppOnce.path = out
			return
		}
		tmp := out + ".tmp" + strconv.Itoa(os.Getpid())
		cmd := exec.Command("go", "build", "-o", tmp, filepath.ToSlash(src))
		if b, err := cmd.CombinedOutput(); err != nil {
			demoAppOnce.err = fmt.Errorf("build the demo app: %v\n%s", err, b)
			return
		}
		demoAppOnce.err = os.Rename(tmp, out)
		demoAppOnce.path = out
	})
	if demoAppOnce.err != nil {
		t.Fatal(demoAppOnce.err)
	}
	return demoAppOnce.path
}

// groupTestEnv is a test environment whose instances carry a tag in their
// environment, so the test can find them in /proc; at the end (after the
// supervisor has stopped) it fails if any is left, and kills it.
type groupTestEnv struct {
	*testEnv
	tag string
	ctx context.Context
}

func newGroupTestEnv(t *testing.T, timeout time.Duration) *groupTestEnv {
	t.Helper()
	tag := fmt.Sprintf("%s-%d-%d", t.Name(), os.Getpid(), time.Now().UnixNano())
	t.Cleanup(func() {
		deadline := time.Now().Add(10 * time.Second)
		var left []int
		for {
			left = taggedProcesses(tag)
			if len(left) == 0 || time.Now().After(deadline) {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		for _, pid := range left {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		if len(left) > 0 {
			t.Errorf("instances still run after the supervisor stopped: pids %v", left)
		}
	})
	e := newTestEnv(t)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("the supervisor's log ends:\n%s", supervisor.Tail(supervisor.NewPaths(e.dataDir, "dev").Log(), 80))
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	t.Cleanup(cancel)
	return &groupTestEnv{testEnv: e, tag: tag, ctx: ctx}
}

// taggedProcesses lists the processes whose environment holds the tag.
func taggedProcesses(tag string) []int {
	want := []byte("STAGECRAFT_TEST_TAG=" + tag + "\x00")
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	var out []int
	for _, d := range dirs {
		b, err := os.ReadFile(filepath.Join(d, "environ"))
		if err != nil || !strings.Contains(string(b), string(want)) {
			continue
		}
		if pid, err := strconv.Atoi(filepath.Base(d)); err == nil && !procZombie(pid) {
			out = append(out, pid)
		}
	}
	return out
}

func procZombie(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] == 'Z'
}

type cfgAttrs = map[string]cty.Value

// groupConfig is a group of the demo app with quick health checks,
// overridden by over.
func (e *groupTestEnv) groupConfig(t *testing.T, over cfgAttrs) cty.Value {
	t.Helper()
	a := cfgAttrs{
		"min": cty.NumberIntVal(2),
		"max": cty.NumberIntVal(2),
		"env": e.env(nil),
		"health_check": cty.ObjectVal(cfgAttrs{
			"interval":            cty.StringVal("200ms"),
			"timeout":             cty.StringVal("2s"),
			"healthy_threshold":   cty.NumberIntVal(2),
			"unhealthy_threshold": cty.NumberIntVal(2),
		}),
		"local": cty.ObjectVal(cfgAttrs{"command": cty.ListVal([]cty.Value{cty.StringVal(demoApp(t))})}),
	}
	for k, v := range over {
		a[k] = v
	}
	return providertest.Desired(e.kind(kinds.AutoscalingGroup).Schema(), a)
}

// env is the group's env map: the tag and extra.
func (e *groupTestEnv) env(extra map[string]string) cty.Value {
	m := map[string]cty.Value{"STAGECRAFT_TEST_TAG": cty.StringVal(e.tag)}
	for k, v := range extra {
		m[k] = cty.StringVal(v)
	}
	return cty.MapVal(m)
}

// lbConfig is a load balancer with one listener on port (0: any) and the
// given routes, each {path, target[, weight]}.
func (e *groupTestEnv) lbConfig(port int, routes ...[]any) cty.Value {
	var rs []cty.Value
	for _, r := range routes {
		ra := map[string]cty.Value{"path": cty.StringVal(r[0].(string)), "target": cty.StringVal(r[1].(string))}
		if len(r) > 2 {
			ra["weight"] = cty.NumberIntVal(int64(r[2].(int)))
		}
		rs = append(rs, cty.ObjectVal(ra))
	}
	l := map[string]cty.Value{}
	if port != 0 {
		l["port"] = cty.NumberIntVal(int64(port))
	}
	return providertest.Desired(e.kind(kinds.LoadBalancer).Schema(), cfgAttrs{
		"listener": cty.TupleVal([]cty.Value{cty.ObjectVal(l)}),
		"route":    cty.TupleVal(rs),
	})
}

// create creates KIND.NAME and returns its ref (with the id) and value.
func (e *groupTestEnv) create(t *testing.T, kind, name string, cfg cty.Value) (providers.Ref, cty.Value) {
	t.Helper()
	ref := e.ref(kind, name)
	v, err := e.kind(kind).Create(e.ctx, ref, cfg)
	if err != nil {
		t.Fatalf("create %s: %v", ref.Address, err)
	}
	ref.ID = v.GetAttr("id").AsString()
	return ref, v
}

func (e *groupTestEnv) update(t *testing.T, ref providers.Ref, cfg cty.Value) cty.Value {
	t.Helper()
	v, err := e.kind(ref.Kind).Update(e.ctx, ref, cty.NilVal, cfg)
	if err != nil {
		t.Fatalf("update %s: %v", ref.Address, err)
	}
	return v
}

func (e *groupTestEnv) observe(t *testing.T, ref providers.Ref) providers.Observation {
	t.Helper()
	obs, err := e.kind(ref.Kind).(providers.Observer).Observe(e.ctx, ref, cty.NilVal)
	if err != nil {
		t.Fatalf("observe %s: %v", ref.Address, err)
	}
	return obs
}

// waitFor polls cond until it holds or the deadline passes.
func (e *groupTestEnv) waitFor(t *testing.T, within time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for time.Since(start) < within {
		if cond() {
			return time.Since(start)
		}
		if e.ctx.Err() != nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s: not within %s", what, within)
	return 0
}

// healthyTargets lists the ids of an observation's healthy targets.
func healthyTargets(obs providers.Observation) map[string]bool {
	out := map[string]bool{}
	for _, tg := range obs.Targets {
		if tg.Healthy {
			out[tg.ID] = true
		}
	}
	return out
}

// loopbackClient talks to load balancers and instances on loopback.
func loopbackClient() *http.Client {
	return &http.Client{
		Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 64},
		Timeout:   15 * time.Second,
	}
}

// helloReply is the demo app's answer at /.
type helloReply struct {
	status   int
	body     string
	instance string
	pid      int
	port     string
}

var helloRe = regexp.MustCompile(`^hello from (\S+) \(pid (\d+), port (\d+)\)`)

func getHello(c *http.Client, url string) (helloReply, error) {
	resp, err := c.Get(url)
	if err != nil {
		return helloReply{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return helloReply{}, err
	}
	r := helloReply{status: resp.StatusCode, body: string(b)}
	if m := helloRe.FindStringSubmatch(r.body); m != nil {
		r.instance, r.port = m[1], m[3]
		r.pid, _ = strconv.Atoi(m[2])
	}
	return r, nil
}

// loadGen is a bounded loopback load generator: a few workers sending
// requests to a load balancer until stopped, recording every outcome.
type loadGen struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup
	sent   atomic.Int64

	mu      sync.Mutex
	records []loadRecord
}

type loadRecord struct {
	start    time.Time
	instance string
	pid      int
	err      string // empty when the answer was what the path should give
}

// startLoad starts workers, each cycling through paths with a pause
// between requests.
func startLoad(ctx context.Context, base string, workers int, pause time.Duration, paths ...string) *loadGen {
	ctx, cancel := context.WithCancel(ctx)
	l := &loadGen{cancel: cancel}
	c := loopbackClient()
	for w := range workers {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for i := w; ctx.Err() == nil; i++ {
				path := paths[i%len(paths)]
				rec := loadRecord{start: time.Now()}
				r, err := getHello(c, base+path)
				switch {
				case err != nil:
					rec.err = err.Error()
				case r.status != http.StatusOK:
					rec.err = fmt.Sprintf("GET %s: %d %s", path, r.status, strings.TrimSpace(r.body))
				}
				rec.instance, rec.pid = r.instance, r.pid
				l.sent.Add(1)
				l.mu.Lock()
				l.records = append(l.records, rec)
				l.mu.Unlock()
				select {
				case <-ctx.Done():
				case <-time.After(pause):
				}
			}
		}()
	}
	return l
}

// stop ends the load and returns its records.
func (l *loadGen) stop() []loadRecord {
	l.cancel()
	l.wg.Wait()
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.records
}

// failedRecords lists the failed requests of records.
func failedRecords(records []loadRecord) []string {
	var out []string
	for _, r := range records {
		if r.err != "" {
			out = append(out, r.start.Format("15:04:05.000")+" "+r.err)
		}
	}
	return out
}

// procAlive reports whether a process runs (and is not a zombie).
func procAlive(pid int) bool {
	return pid > 0 && syscall.Kill(pid, 0) == nil && !procZombie(pid)
}
