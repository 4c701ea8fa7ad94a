package modules_test

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/stagecraft/stagecraft/modules"
	"github.com/stagecraft/stagecraft/stacks"
	"github.com/stagecraft/stagecraft/stacks/addrs"
)

// knownProviders are the providers the templates are written for.
var knownProviders = []string{"local", "aws", "sim"}

// startupStages is the ladder init --template startup writes.
var startupStages = []string{"monolith", "load-balanced", "cached", "coordinated", "microservices"}

func TestTemplateNames(t *testing.T) {
	t.Parallel()
	if diff := cmp.Diff([]string{"cache", "coordinator", "load-balancer", "split-service"}, modules.StageTemplateNames()); diff != "" {
		t.Errorf("StageTemplateNames (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"startup"}, modules.StackTemplateNames()); diff != "" {
		t.Errorf("StackTemplateNames (-want +got):\n%s", diff)
	}
	// The templates directory is embedded beside the modules, but is not a
	// module: source = "stagecraft/templates" must not resolve.
	if slices.Contains(modules.Names(), "templates") {
		t.Errorf("Names() lists the templates directory as a module: %v", modules.Names())
	}
	if !slices.Contains(modules.Names(), "web-tier") {
		t.Errorf("Names() lost the web-tier module: %v", modules.Names())
	}
	for _, bad := range []string{"startup", "startup.stack", "../web-tier/main", "nope"} {
		if _, ok := modules.Template(bad); ok {
			t.Errorf("Template(%q) found a stage template", bad)
		}
	}
	if _, ok := modules.StackTemplate("cache"); ok {
		t.Error(`StackTemplate("cache") found a stack template`)
	}
}

// TestTemplatesFormatted keeps the templates in the layout stagecraft fmt
// writes, so what they add to a user's file needs no formatting.
func TestTemplatesFormatted(t *testing.T) {
	t.Parallel()
	all := map[string][]byte{"startup": modules.StartupTemplate()}
	for _, n := range modules.StageTemplateNames() {
		all[n], _ = modules.Template(n)
	}
	for name, src := range all {
		got, err := stacks.Format(src)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if !bytes.Equal(got, src) {
			t.Errorf("%s is not formatted; stagecraft fmt would write:\n%s", name, got)
		}
	}
}

// loadStartup loads the startup template (with extra files appended to its
// main file) as a stack directory "shop".
func loadStartup(t *testing.T, extra ...[]byte) *stacks.Stack {
	t.Helper()
	src, err := modules.Fill(modules.StartupTemplate(), map[string]string{"STACK": "shop"})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range extra {
		src = append(append(src, '\n'), e...)
	}
	st, diags := stacks.LoadFS(fstest.MapFS{"shop/main.stack.hcl": {Data: src}}, "shop")
	if diags.HasErrors() {
		t.Fatalf("loading: %s\n%s", diags, src)
	}
	if d := st.Validate(stacks.ValidateRequest{KnownProviders: knownProviders}); len(d) > 0 {
		t.Fatalf("validate: %s\n%s", d, src)
	}
	return st
}

func TestStartupTemplate(t *testing.T) {
	t.Parallel()
	st := loadStartup(t)
	if st.Name != "shop" {
		t.Errorf("stack name %q, want the filled placeholder %q", st.Name, "shop")
	}
	if diff := cmp.Diff(startupStages, st.StageNames()); diff != "" {
		t.Errorf("stages (-want +got):\n%s", diff)
	}
	want := map[string]string{"dev": "local", "prod": "aws"}
	if got := st.EnvironmentNames(); !slices.Equal(got, []string{"dev", "prod"}) {
		t.Fatalf("environments %v, want dev and prod", got)
	}
	for _, env := range st.Environments {
		if env.Provider != want[env.Name] {
			t.Errorf("environment %s uses %q, want %q", env.Name, env.Provider, want[env.Name])
		}
		if env.Backend != nil {
			t.Errorf("environment %s has a %s backend; the template must work before the s3 backend exists", env.Name, env.Backend.Type)
		}
	}
	// Every stage evaluates for every environment without any -var: the
	// stack works right after init.
	for _, env := range st.EnvironmentNames() {
		for i, stage := range startupStages {
			ds, diags := st.Evaluate(stacks.Request{Environment: env, Stage: stage})
			if diags.HasErrors() {
				t.Errorf("%s at %s: %s", env, stage, diags)
				continue
			}
			if i > 0 && len(ds.Resources) <= 1 && stage != "monolith" {
				t.Errorf("%s at %s: %d resources; each stage adds to the one before", env, stage, len(ds.Resources))
			}
		}
	}
	ds, diags := st.Evaluate(stacks.Request{Environment: "dev", Stage: "microservices"})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if got := routes(t, ds, "load_balancer.edge"); !slices.Equal(got, []string{"/orders/* -> autoscaling_group.orders", "/* -> autoscaling_group.app"}) {
		t.Errorf("microservices routes: %v", got)
	}
	// The load balancer spells its migration settings out (they equal the
	// defaults): the template is where people learn the block exists.
	f, _ := hclsyntax.ParseConfig(modules.StartupTemplate(), "startup.stack.hcl", hcl.InitialPos)
	var migration *hclsyntax.Block
	for _, b := range f.Body.(*hclsyntax.Body).Blocks {
		if b.Type == "stage" && b.Labels[0] == "load-balanced" {
			for _, r := range b.Body.Blocks {
				if r.Type == "load_balancer" {
					for _, m := range r.Body.Blocks {
						if m.Type == "migration" {
							migration = m
						}
					}
				}
			}
		}
	}
	if migration == nil {
		t.Fatal("the load-balanced stage's load balancer has no migration block")
	}
	for _, a := range []string{"steps", "bake", "max_error_rate"} {
		if _, ok := migration.Body.Attributes[a]; !ok {
			t.Errorf("the migration block does not set %s", a)
		}
	}
}

// TestStageTemplates appends every stage template, filled as stage add
// fills it, to the startup stack and checks that the stack still loads,
// validates and evaluates at the new stage.
func TestStageTemplates(t *testing.T) {
	t.Parallel()
	known := []string{"NAME", "PARENT", "GROUP", "LB", "SERVICE"}
	for _, name := range modules.StageTemplateNames() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			src, _ := modules.Template(name)
			for _, p := range modules.Placeholders(src) {
				if !slices.Contains(known, p) {
					t.Errorf("placeholder __%s__ is not one stage add fills (%v)", p, known)
				}
			}
			f, diags := hclsyntax.ParseConfig(src, name+".hcl", hcl.InitialPos)
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			blocks := f.Body.(*hclsyntax.Body).Blocks
			if len(blocks) != 1 || blocks[0].Type != "stage" {
				t.Fatalf("a stage template holds exactly one stage block; got %d blocks", len(blocks))
			}
			if !strings.HasPrefix(string(src), "# Stage template \""+name+"\"") {
				t.Errorf("the template does not start with the comment that documents its placeholders")
			}
			// The parent is the startup ladder's first stage that has what
			// the template needs and not what it adds.
			parent := "monolith"
			if slices.Contains(modules.Placeholders(src), "LB") {
				parent = "load-balanced"
			}
			filled, err := modules.Fill(src, map[string]string{"NAME": "added", "PARENT": parent, "GROUP": "app", "LB": "edge", "SERVICE": "payments"})
			if err != nil {
				t.Fatal(err)
			}
			st := loadStartup(t, filled)
			if names := st.StageNames(); names[len(names)-1] != "added" {
				t.Errorf("stages %v: the appended stage is not last", names)
			}
			if slices.Contains(modules.Placeholders(src), "SERVICE") {
				// A new service gets its local and aws blocks from the
				// group it is split from, which stage add copies in; the
				// command's tests evaluate the completed stage.
				return
			}
			for _, env := range st.EnvironmentNames() {
				if _, diags := st.Evaluate(stacks.Request{Environment: env, Stage: "added"}); diags.HasErrors() {
					t.Errorf("%s at the added stage: %s", env, diags)
				}
			}
		})
	}
}

func TestFill(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		src     string
		values  map[string]string
		want    string
		wantErr string
	}{
		"filled":      {src: `stage "__NAME__" { extends = "__PARENT__" }`, values: map[string]string{"NAME": "b", "PARENT": "a"}, want: `stage "b" { extends = "a" }`},
		"repeated":    {src: "__NAME__ __NAME__", values: map[string]string{"NAME": "x"}, want: "x x"},
		"not a name":  {src: "__init__ __lower__ ___", values: nil, want: "__init__ __lower__ ___"},
		"missing one": {src: "__NAME__ __PARENT__ __PARENT__", values: map[string]string{"NAME": "x"}, wantErr: "__PARENT__"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, err := modules.Fill([]byte(tc.src), tc.values)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one naming %s", err, tc.wantErr)
				}
				return
			}
			if err != nil || string(got) != tc.want {
				t.Errorf("Fill = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

// routes lists a load balancer's routes as "PATH -> TARGET".
func routes(t *testing.T, ds *stacks.DesiredSet, addr string) []string {
	t.Helper()
	lb, ok := ds.Resource(addrs.MustParse(addr))
	if !ok {
		t.Fatalf("stage %s has no %s", ds.Stage, addr)
	}
	var out []string
	for _, r := range lb.Config.GetAttr("route").AsValueSlice() {
		out = append(out, r.GetAttr("path").AsString()+" -> "+r.GetAttr("target").AsString())
	}
	return out
}
