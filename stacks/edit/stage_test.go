package edit_test

import (
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stagecraft/stagecraft/modules"
	"github.com/stagecraft/stagecraft/stacks"
	"github.com/stagecraft/stagecraft/stacks/addrs"
	"github.com/stagecraft/stagecraft/stacks/edit"
)

var update = flag.Bool("update", false, "rewrite golden files")

// render renders a stage from a template onto the stack in dir, extending
// its last stage.
func render(t *testing.T, dir, name, template, service string) (*edit.Stage, error) {
	t.Helper()
	st := loadStack(t, dir)
	src, ok := modules.Template(template)
	if !ok {
		t.Fatalf("no stage template %q", template)
	}
	parent := st.Stages[len(st.Stages)-1].Name
	return edit.Render(st, edit.Request{Name: name, Parent: parent, Template: template, Source: src, Service: service})
}

// addStage renders a stage and appends it to the stack file, as stage add
// does.
func addStage(t *testing.T, dir, name, template, service string) *edit.Stage {
	t.Helper()
	s, err := render(t, dir, name, template, service)
	if err != nil {
		t.Fatalf("render %s: %v", name, err)
	}
	if err := edit.Append(filepath.Join(dir, stackFile), s.Block); err != nil {
		t.Fatalf("append %s: %v", name, err)
	}
	return s
}

// TestRenderLadder grows a one-stage stack into the whole ladder with the
// four templates, as a user would, and checks what each stage ends up with.
func TestRenderLadder(t *testing.T) {
	t.Parallel()
	src := handWritten(t) + "\n"
	dir := writeStack(t, src)
	var changes []string
	for _, step := range [][3]string{
		{"load-balanced", "load-balancer"},
		{"cached", "cache"},
		{"coordinated", "coordinator"},
		{"microservices", "split-service", "orders"},
	} {
		s := addStage(t, dir, step[0], step[1], step[2])
		changes = append(changes, step[0]+": "+strings.Join(s.Changes, ", "))
	}
	want := []string{
		"load-balanced: ~ autoscaling_group.app, + load_balancer.edge",
		"cached: + cache.sessions, ~ autoscaling_group.app (env keeps A)",
		"coordinated: + coordinator.locks, ~ autoscaling_group.app (env keeps A, REDIS_ADDR)",
		"microservices: + autoscaling_group.orders (copies port, env, health_check, local from autoscaling_group.app), ~ load_balancer.edge (routes keep /*)",
	}
	if diff := cmp.Diff(want, changes); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
	golden(t, "ladder", readFile(t, dir, stackFile)[len(src):])
	st := loadStack(t, dir)
	if diags := st.Validate(stacks.ValidateRequest{}); diags.HasErrors() {
		t.Fatalf("the grown stack does not validate: %s", diags)
	}

	// env entries accumulate instead of replacing the parent's.
	if got := envKeys(t, evaluate(t, st, "dev", "coordinated"), "autoscaling_group.app"); !slices.Equal(got, []string{"A", "ETCD_ENDPOINTS", "REDIS_ADDR"}) {
		t.Errorf("coordinated app env %v, want the parent's A and REDIS_ADDR kept", got)
	}
	ds := evaluate(t, st, "dev", "microservices")
	if diff := cmp.Diff([]string{"/orders/* -> autoscaling_group.orders", "/* -> autoscaling_group.app"}, lbRoutes(t, ds, "load_balancer.edge")); diff != "" {
		t.Errorf("microservices routes (-want +got):\n%s", diff)
	}
	// The split-out service runs what the app ran (the local block, which
	// the sim provider does not see, is in the golden file).
	orders := desiredResource(t, ds, "autoscaling_group.orders").Config
	app := desiredResource(t, ds, "autoscaling_group.app").Config
	for _, a := range []string{"env", "port", "health_check"} {
		if !orders.GetAttr(a).RawEquals(app.GetAttr(a)) {
			t.Errorf("orders' %s was not copied from app:\norders %#v\napp    %#v", a, orders.GetAttr(a), app.GetAttr(a))
		}
	}
}

// TestRenderSplitService splits a payments service out of the startup
// stack's last stage: the load balancer keeps the parent's routes.
func TestRenderSplitService(t *testing.T) {
	t.Parallel()
	src, err := modules.Fill(modules.StartupTemplate(), map[string]string{"STACK": "shop"})
	if err != nil {
		t.Fatal(err)
	}
	dir := writeStack(t, string(src))
	s := addStage(t, dir, "payments", "split-service", "payments")
	want := []string{
		"+ autoscaling_group.payments (copies port, env, health_check, local, aws from autoscaling_group.app)",
		"~ load_balancer.edge (routes keep /orders/*, /*)",
	}
	if diff := cmp.Diff(want, s.Changes); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
	if got := readFile(t, dir, stackFile); !strings.HasPrefix(got, string(src)) {
		t.Fatal("the startup stack's text changed")
	}
	st := loadStack(t, dir)
	for _, env := range []string{"dev", "prod"} {
		ds := evaluate(t, st, env, "payments")
		want := []string{"/payments/* -> autoscaling_group.payments", "/orders/* -> autoscaling_group.orders", "/* -> autoscaling_group.app"}
		if diff := cmp.Diff(want, lbRoutes(t, ds, "load_balancer.edge")); diff != "" {
			t.Errorf("%s: payments routes (-want +got):\n%s", env, diff)
		}
		if got := envKeys(t, ds, "autoscaling_group.payments"); !slices.Equal(got, []string{"ETCD_ENDPOINTS", "REDIS_ADDR"}) {
			t.Errorf("%s: payments env %v, want the app's", env, got)
		}
	}
}

// TestRenderErrors: a template that needs what the parent lacks, or adds
// what it has, is refused with the way out.
func TestRenderErrors(t *testing.T) {
	t.Parallel()
	startup, err := modules.Fill(modules.StartupTemplate(), map[string]string{"STACK": "shop"})
	if err != nil {
		t.Fatal(err)
	}
	noGroup := "stage \"empty\" {\n}\n"
	tests := map[string]struct {
		src, template string
		want          string
	}{
		"split-service without a load balancer": {src: handWritten(t), template: "split-service",
			want: "the split-service template routes traffic on the parent stage's load balancer, and stage \"monolith\" has none; add a stage with --template load-balancer first."},
		"load balancer without a group": {src: noGroup, template: "load-balancer",
			want: "the load-balancer template works on the parent stage's autoscaling group, and stage \"empty\" has none; add one to it first."},
		"cache already there": {src: string(startup), template: "cache",
			want: "stage \"microservices\" already has cache.sessions, which the cache template adds; extend a stage without it, or rename or remove that block first."},
		"service already there": {src: string(startup), template: "split-service",
			want: "stage \"microservices\" already has autoscaling_group.orders, which the split-service template adds; extend a stage without it, or rename or remove that block first."},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := render(t, writeStack(t, tc.src), "next", tc.template, "orders")
			if err == nil || err.Error() != tc.want {
				t.Errorf("error %v\nwant: %s", err, tc.want)
			}
		})
	}
}

// golden compares text with testdata/NAME.golden.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./stacks/edit -update)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (go test ./stacks/edit -update if intended)\n--- got ---\n%s\n--- want ---\n%s", path, got, want)
	}
}

// evaluate evaluates a stack for an environment at a stage.
func evaluate(t *testing.T, st *stacks.Stack, env, stage string) *stacks.DesiredSet {
	t.Helper()
	ds, diags := st.Evaluate(stacks.Request{Environment: env, Stage: stage})
	if diags.HasErrors() {
		t.Fatalf("%s at %s: %s", env, stage, diags)
	}
	return ds
}

func desiredResource(t *testing.T, ds *stacks.DesiredSet, addr string) *stacks.Resource {
	t.Helper()
	r, ok := ds.Resource(addrs.MustParse(addr))
	if !ok {
		t.Fatalf("stage %s has no %s", ds.Stage, addr)
	}
	return r
}

// lbRoutes lists a load balancer's routes as "PATH -> TARGET".
func lbRoutes(t *testing.T, ds *stacks.DesiredSet, addr string) []string {
	t.Helper()
	var out []string
	for _, r := range desiredResource(t, ds, addr).Config.GetAttr("route").AsValueSlice() {
		out = append(out, r.GetAttr("path").AsString()+" -> "+r.GetAttr("target").AsString())
	}
	return out
}

// envKeys lists the keys of a group's env.
func envKeys(t *testing.T, ds *stacks.DesiredSet, addr string) []string {
	t.Helper()
	var keys []string
	for k := range desiredResource(t, ds, addr).Config.GetAttr("env").AsValueMap() {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
