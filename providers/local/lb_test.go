package local

import (
	"fmt"
	"math"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/stagecraft/stagecraft/providers"
	"github.com/stagecraft/stagecraft/providers/kinds"
	"github.com/stagecraft/stagecraft/providers/local/supervisor"
)

// TestLoadBalancerRoutes sends requests through a load balancer to two
// groups: the longest matching prefix wins ("/orders/*" over "/*"),
// requests spread over a group's instances, a route whose group does not
// run answers 503 with a plain-text reason, an instance's 5xx answers and
// latencies show in the per-target figures, and a tcp load balancer
// forwards connections.
func TestLoadBalancerRoutes(t *testing.T) {
	t.Parallel()
	e := newGroupTestEnv(t, time.Minute)
	app, _ := e.create(t, kinds.AutoscalingGroup, "app", e.groupConfig(t, nil))
	orders, _ := e.create(t, kinds.AutoscalingGroup, "orders", e.groupConfig(t, cfgAttrs{"min": cty.NumberIntVal(1), "max": cty.NumberIntVal(1)}))
	edge, v := e.create(t, kinds.LoadBalancer, "edge", e.lbConfig(0,
		[]any{"/orders/*", orders.Address},
		[]any{"/*", app.Address},
		[]any{"/none/", "autoscaling_group.none"},
	))
	base := v.GetAttr("url").AsString()
	if got := v.GetAttr("dns_name").AsString(); got != "localhost" {
		t.Errorf("dns_name = %q, want localhost", got)
	}
	if !strings.HasPrefix(base, "http://127.0.0.1:") || v.GetAttr("address").AsString() != strings.TrimPrefix(base, "http://") {
		t.Errorf("url %q and address %q do not name the same loopback port", base, v.GetAttr("address").AsString())
	}
	c := loopbackClient()

	for _, tc := range []struct {
		path  string
		group providers.Ref
	}{
		{"/", app},
		{"/orders/42", orders},
		{"/orders/", orders},
		{"/orders", app}, // "/orders/*" needs the slash
		{"/ordersx", app},
		{"/none", app},
	} {
		seen := map[string]bool{}
		for range 6 {
			r, err := getHello(c, base+tc.path)
			if err != nil {
				t.Fatalf("GET %s: %v", tc.path, err)
			}
			if r.status != http.StatusOK || !strings.HasPrefix(r.instance, tc.group.ID+"-") {
				t.Fatalf("GET %s: %d %q; want an answer from %s (id %s)", tc.path, r.status, r.body, tc.group.Address, tc.group.ID)
			}
			seen[r.instance] = true
		}
		if tc.group == app && len(seen) != 2 {
			t.Errorf("GET %s six times reached instances %v; want both of %s", tc.path, seen, app.Address)
		}
	}

	resp, err := c.Get(base + "/none/x")
	if err != nil {
		t.Fatal(err)
	}
	body := readBody(t, resp)
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") ||
		!strings.Contains(body, "autoscaling_group.none is not running") {
		t.Errorf("GET /none/x: %d %q %q; want a plain-text 503 naming autoscaling_group.none", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}

	for range 4 {
		r, err := getHello(c, base+"/status/503")
		if err != nil || r.status != http.StatusServiceUnavailable {
			t.Fatalf("GET /status/503: %+v, %v; want the instance's 503 passed on", r, err)
		}
	}
	if r, err := getHello(c, base+"/slow?ms=50"); err != nil || r.status != http.StatusOK {
		t.Fatalf("GET /slow: %+v, %v", r, err)
	}
	obs := e.observe(t, edge)
	if obs.Healthy || !strings.Contains(obs.Detail, "autoscaling_group.none is not running") {
		t.Errorf("observe: healthy %v, detail %q; want unhealthy because of the /none/ route", obs.Healthy, obs.Detail)
	}
	byGroup := map[string]int{}
	var errs5xx int64
	maxP99 := 0.0
	for _, tg := range obs.Targets {
		byGroup[tg.Group]++
		if !tg.Healthy || tg.Requests == 0 || tg.LatencyP50 <= 0 || tg.LatencyP99 < tg.LatencyP50 {
			t.Errorf("target %+v: want healthy, with requests and latencies", tg)
		}
		errs5xx += tg.Errors5xx
		maxP99 = math.Max(maxP99, tg.LatencyP99)
	}
	if byGroup[app.Address] != 2 || byGroup[orders.Address] != 1 || len(obs.Targets) != 3 {
		t.Errorf("observe lists targets %+v; want one per instance: 2 of %s, 1 of %s", obs.Targets, app.Address, orders.Address)
	}
	if errs5xx != 4 || obs.Errors5xx != 5 {
		t.Errorf("5xx: %d on targets, %d in all; want 4 from /status/503 and one more for the 503 of /none/", errs5xx, obs.Errors5xx)
	}
	if maxP99 < 0.04 {
		t.Errorf("the highest p99 latency is %.3fs; a 50 ms request went through", maxP99)
	}

	// A tcp load balancer forwards whole connections.
	_, tv := e.create(t, kinds.LoadBalancer, "raw", providertestTCP(e, orders.Address))
	if got := tv.GetAttr("url").AsString(); !strings.HasPrefix(got, "tcp://127.0.0.1:") {
		t.Fatalf("tcp url = %q", got)
	}
	r, err := getHello(c, "http://"+tv.GetAttr("address").AsString()+"/")
	if err != nil || r.status != http.StatusOK || !strings.HasPrefix(r.instance, orders.ID+"-") {
		t.Errorf("GET through the tcp load balancer: %+v, %v; want an answer from %s", r, err, orders.Address)
	}
}

func providertestTCP(e *groupTestEnv, target string) cty.Value {
	v := e.lbConfig(0, []any{"/", target})
	m := v.AsValueMap()
	m["type"] = cty.StringVal("tcp")
	return cty.ObjectVal(m)
}

func readBody(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	var sb strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := resp.Body.Read(buf)
		sb.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return sb.String()
}

// TestLoadBalancerWeights splits one path between two groups by weight,
// then changes the weights while a load generator runs: no request fails
// and the new split holds.
func TestLoadBalancerWeights(t *testing.T) {
	t.Parallel()
	e := newGroupTestEnv(t, time.Minute)
	single := cfgAttrs{"min": cty.NumberIntVal(1), "max": cty.NumberIntVal(1)}
	blue, _ := e.create(t, kinds.AutoscalingGroup, "blue", e.groupConfig(t, single))
	green, _ := e.create(t, kinds.AutoscalingGroup, "green", e.groupConfig(t, single))
	edge, v := e.create(t, kinds.LoadBalancer, "edge", e.lbConfig(0, []any{"/*", blue.Address, 80}, []any{"/*", green.Address, 20}))
	base := v.GetAttr("url").AsString()

	share := func(records []loadRecord) (float64, int) {
		n, b := 0, 0
		for _, r := range records {
			if r.err != "" || r.instance == "" {
				continue // a failure, or /slow, which does not say who answered
			}
			n++
			if strings.HasPrefix(r.instance, blue.ID+"-") {
				b++
			}
		}
		return float64(b) / float64(max(n, 1)), n
	}
	const tolerance = 0.08 // 400 requests: four standard deviations of an 80/20 split

	l := startLoad(e.ctx, base, 4, 0, "/")
	e.waitFor(t, 20*time.Second, "400 requests", func() bool { return l.sent.Load() >= 400 })
	first := l.stop()
	if f := failedRecords(first); len(f) > 0 {
		t.Fatalf("%d of %d requests failed, first: %s", len(f), len(first), f[0])
	}
	if got, n := share(first); math.Abs(got-0.8) > tolerance {
		t.Errorf("blue took %.0f%% of %d requests at weight 80", got*100, n)
	}

	l = startLoad(e.ctx, base, 4, 2*time.Millisecond, "/", "/slow?ms=100")
	e.waitFor(t, 10*time.Second, "load before the change", func() bool { return l.sent.Load() >= 50 })
	e.update(t, edge, e.lbConfig(0, []any{"/*", blue.Address, 20}, []any{"/*", green.Address, 80}))
	changed := time.Now()
	before := l.sent.Load()
	e.waitFor(t, 20*time.Second, "load after the change", func() bool { return l.sent.Load() >= before+400 })
	records := l.stop()
	if f := failedRecords(records); len(f) > 0 {
		t.Fatalf("%d of %d requests failed across the weight change, first: %s", len(f), len(records), f[0])
	}
	var after []loadRecord
	for _, r := range records {
		if r.start.After(changed) {
			after = append(after, r)
		}
	}
	if got, n := share(after); math.Abs(got-0.2) > tolerance {
		t.Errorf("after the change blue took %.0f%% of %d requests at weight 20", got*100, n)
	}
	for _, tg := range e.observe(t, edge).Targets {
		want := map[string]int{blue.Address: 20, green.Address: 80}[tg.Group]
		if tg.Weight != want {
			t.Errorf("target %s of %s has weight %d, want %d", tg.ID, tg.Group, tg.Weight, want)
		}
	}
}

// TestLoadBalancerListenerPorts checks that a taken port fails with a
// message naming it, that changing a listener's port re-binds it, and that
// a failed re-bind leaves the old port serving.
func TestLoadBalancerListenerPorts(t *testing.T) {
	t.Parallel()
	e := newGroupTestEnv(t, time.Minute)
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	busy := taken.Addr().(*net.TCPAddr).Port
	ref := e.ref(kinds.LoadBalancer, "edge")
	_, err = e.kind(ref.Kind).Create(e.ctx, ref, e.lbConfig(busy, []any{"/", "autoscaling_group.app"}))
	want := fmt.Sprintf("port %d on 127.0.0.1 is in use; pick another listener port or stop what uses it", busy)
	if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), ref.Address) {
		t.Fatalf("create on a taken port: %v; want an error naming %s and saying %q", err, ref.Address, want)
	}

	ref, v := e.create(t, ref.Kind, "edge", e.lbConfig(0, []any{"/", "autoscaling_group.app"}))
	oldPort := int(listenerPort(v))
	c := loopbackClient()
	answers := func(port int) bool {
		resp, err := c.Get(fmt.Sprintf("http://127.0.0.1:%d/", port))
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusServiceUnavailable // no group behind it
	}
	if !answers(oldPort) {
		t.Fatalf("the load balancer does not answer on its port %d", oldPort)
	}
	newPort, err := supervisor.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	v = e.update(t, ref, e.lbConfig(newPort, []any{"/", "autoscaling_group.app"}))
	if got := int(listenerPort(v)); got != newPort || v.GetAttr("address").AsString() != supervisor.HostPort(newPort) {
		t.Errorf("after the update the listener is on %d (%s), want %d", got, v.GetAttr("address").AsString(), newPort)
	}
	if !answers(newPort) {
		t.Errorf("nothing answers on the new port %d", newPort)
	}
	e.waitFor(t, 5*time.Second, "the old port closed", func() bool { return !answers(oldPort) })

	_, err = e.kind(ref.Kind).Update(e.ctx, ref, cty.NilVal, e.lbConfig(busy, []any{"/", "autoscaling_group.app"}))
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("update to a taken port: %v; want %q", err, want)
	}
	if !answers(newPort) {
		t.Errorf("after a failed re-bind the load balancer no longer answers on %d", newPort)
	}
}

func listenerPort(v cty.Value) int64 {
	p, _ := v.GetAttr("listener").Index(cty.NumberIntVal(0)).GetAttr("port").AsBigFloat().Int64()
	return p
}

// TestLoadBalancerFindsGroups creates a load balancer before its group
// (it answers 503 until the group runs), then replaces the group the way
// the planner does (create the new one at the same address, delete the
// old) under load: no request fails and the new group's instances take
// over.
func TestLoadBalancerFindsGroups(t *testing.T) {
	t.Parallel()
	e := newGroupTestEnv(t, time.Minute)
	addr := kinds.AutoscalingGroup + ".app"
	_, v := e.create(t, kinds.LoadBalancer, "edge", e.lbConfig(0, []any{"/*", addr}))
	base := v.GetAttr("url").AsString()
	c := loopbackClient()
	if r, err := getHello(c, base+"/"); err != nil || r.status != http.StatusServiceUnavailable {
		t.Fatalf("GET / before the group exists: %+v, %v; want 503", r, err)
	}
	old, _ := e.create(t, kinds.AutoscalingGroup, "app", e.groupConfig(t, nil))
	if r, err := getHello(c, base+"/"); err != nil || !strings.HasPrefix(r.instance, old.ID+"-") {
		t.Fatalf("GET / once the group runs: %+v, %v; want an answer from %s", r, err, old.ID)
	}

	l := startLoad(e.ctx, base, 3, 2*time.Millisecond, "/", "/slow?ms=200")
	e.waitFor(t, 10*time.Second, "load on the old group", func() bool { return l.sent.Load() >= 30 })
	next, _ := e.create(t, kinds.AutoscalingGroup, "app", e.groupConfig(t, nil))
	if err := e.kind(old.Kind).Delete(e.ctx, old, cty.NilVal); err != nil {
		t.Fatal(err)
	}
	deleted := time.Now()
	time.Sleep(500 * time.Millisecond)
	records := l.stop()
	if f := failedRecords(records); len(f) > 0 {
		t.Fatalf("%d of %d requests failed while the group was replaced, first: %s", len(f), len(records), f[0])
	}
	servedNew := false
	for _, r := range records {
		if r.start.After(deleted) && r.instance != "" {
			if !strings.HasPrefix(r.instance, next.ID+"-") {
				t.Fatalf("a request after the old group was deleted reached %s", r.instance)
			}
			servedNew = true
		}
	}
	if !servedNew {
		t.Error("no request reached the new group")
	}
}
