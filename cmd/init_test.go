package cmd

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/stagecraft/stagecraft/modules"
	"github.com/stagecraft/stagecraft/providers"
	"github.com/stagecraft/stagecraft/providers/sim"
	"github.com/stagecraft/stagecraft/stacks"
)

// settingless is a provider that init can configure and that runs
// nothing: it stands in for the local provider, which the startup
// template's environment uses and cmd does not import. Like the local
// provider it takes no settings.
type settingless struct{ name string }

func (p settingless) Name() string { return p.name }

func (p settingless) Configure(_ context.Context, config cty.Value) hcl.Diagnostics {
	if config == cty.NilVal || config.IsNull() || !config.Type().IsObjectType() {
		return nil
	}
	var diags hcl.Diagnostics
	for name := range config.Type().AttributeTypes() {
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Unsupported argument",
			Detail: "The " + p.name + " provider has no setting \"" + name + "\"."})
	}
	return diags
}

func (settingless) Kind(string) (providers.ResourceKind, bool) { return nil, false }

// runLocal is run with a provider named local registered too, as the real
// binary has one (init only configures it), and with the stack directory
// shown as STACKDIR on stdout as well.
func (s *session) runLocal(args ...string) result {
	s.t.Helper()
	var out, errOut bytes.Buffer
	reg := providers.NewRegistry()
	reg.Register(sim.Name, sim.New)
	reg.Register("local", func() providers.Provider { return settingless{name: "local"} })
	deps := &Deps{
		IO:       &IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut},
		Registry: reg,
		Getenv:   func(k string) string { return s.env[k] },
	}
	code := Execute(context.Background(), deps, append([]string{"-C", s.dir}, args...))
	clean := func(b *bytes.Buffer) string {
		return scrubStackDir(b.String(), s.dir)
	}
	return result{code: code, out: clean(&out), err: clean(&errOut)}
}

func TestInitTemplate(t *testing.T) {
	t.Parallel()
	s := newSession(t, map[string]string{})
	// The directory does not exist yet: init --template creates it, and
	// the stack is named after it.
	dir := filepath.Join(s.dir, "shop")
	r := s.runLocal("init", "--template", "startup", "-C", dir)
	if r.code != 0 {
		t.Fatalf("init --template startup: exit %d\n%s%s", r.code, r.out, r.err)
	}
	golden(t, "init_template", r.out)
	path := filepath.Join(dir, "main.stack.hcl")
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := modules.Fill(modules.StartupTemplate(), map[string]string{"STACK": "shop"})
	if !bytes.Equal(got, want) {
		t.Errorf("main.stack.hcl is not the filled startup template:\n%s", got)
	}
	if _, err := os.Stat(filepath.Join(dir, dataDirName, ".gitignore")); err != nil {
		t.Errorf("init did not go on to prepare the directory: %v", err)
	}
	st, diags := stacks.Load(dir)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if d := st.Validate(stacks.ValidateRequest{KnownProviders: []string{"local", "aws", "sim"}}); len(d) > 0 {
		t.Errorf("the written stack does not validate: %s", d)
	}

	// Running it again would overwrite the user's edits: refused, nothing
	// written.
	edited := append(got, []byte("# my edit\n")...)
	if err := os.WriteFile(path, edited, 0o644); err != nil {
		t.Fatal(err)
	}
	r = s.runLocal("init", "--template", "startup", "-C", dir)
	if r.code != 1 || !strings.Contains(r.err, "the directory already has stack files (main.stack.hcl)") || !strings.Contains(r.err, "--force") {
		t.Fatalf("init --template over a stack: exit %d\n%s", r.code, r.err)
	}
	if now, _ := os.ReadFile(path); !bytes.Equal(now, edited) {
		t.Errorf("a refused init --template changed main.stack.hcl")
	}
	// --force writes it anyway.
	if r := s.runLocal("init", "--template", "startup", "--force", "-C", dir); r.code != 0 {
		t.Fatalf("init --template --force: exit %d\n%s", r.code, r.err)
	}
	if now, _ := os.ReadFile(path); !bytes.Equal(now, want) {
		t.Errorf("init --template --force did not rewrite main.stack.hcl")
	}
	// The new stack works with the commands that come next.
	if r := s.runLocal("stages", "-C", dir); r.code != 0 || !strings.Contains(r.out, "5. microservices") {
		t.Errorf("stages on the new stack: exit %d\n%s%s", r.code, r.out, r.err)
	}
}

func TestInitTemplateErrors(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		files map[string]string
		args  []string
		want  string
	}{
		"other stack files": {
			files: map[string]string{"a.hcl": "locals {}\n", "b.hcl.json": "{}\n", "dev.vars.hcl": "x = 1\n", "notes.txt": "hi\n"},
			args:  []string{"init", "--template", "startup"},
			want:  "Error: the directory already has stack files (a.hcl, b.hcl.json); the template would overwrite or mix with them. Run init --template in an empty directory (-C NEW_DIR), or pass --force to write main.stack.hcl anyway.\n",
		},
		"unknown template": {
			args: []string{"init", "--template", "enterprise"},
			want: "Error: there is no template \"enterprise\"; the templates are startup (and, for stagecraft stage add, cache, coordinator, load-balancer, split-service).\n",
		},
		"stage template": {
			args: []string{"init", "--template", "cache"},
			want: "Error: \"cache\" is a stage template: add it to a stack with stagecraft stage add NAME --template cache. The stack templates are startup.\n",
		},
		"force without template": {
			args: []string{"init", "--force"},
			want: "Error: --force only applies with --template, to write main.stack.hcl into a directory that has stack files.\n",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			files := tc.files
			if files == nil {
				files = map[string]string{}
			}
			s := newSession(t, files)
			r := s.runLocal(tc.args...)
			if r.code != 1 || r.err != tc.want {
				t.Errorf("exit %d, stderr:\n%s\nwant exit 1 and:\n%s", r.code, r.err, tc.want)
			}
			if _, err := os.Stat(filepath.Join(s.dir, "main.stack.hcl")); err == nil {
				t.Errorf("a refused init --template wrote main.stack.hcl")
			}
		})
	}
}

// TestInitDuringDestroy: init configures the sim provider, which may
// compact its cloud file; run beside a destroy it used to swap the file
// under the destroy's appends, leaving resources behind while destroy
// exited 0. init now takes the state lock: whatever it reports, destroy
// removes everything and the cloud file replays to an empty cloud.
func TestInitDuringDestroy(t *testing.T) {
	t.Parallel()
	s := newSession(t, map[string]string{"main.stack.hcl": `
stack "shop" {}

provider "sim" {
  latency = "2ms"
}

environment "dev" {
  provider = "sim"
  stage    = "many"
}

stage "many" {
  autoscaling_group "app" {
    count = 300
    min   = 1
    max   = 1
    port  = 8080
  }
}
`})
	s.mustRun("init")
	s.mustRun("apply", "--auto-approve")

	destroyed := make(chan result, 1)
	go func() { destroyed <- s.run("destroy", "--auto-approve") }()
	inits, locked := 0, 0
	var r result
wait:
	for {
		select {
		case r = <-destroyed:
			break wait
		default:
		}
		ir := s.run("init")
		inits++
		if ir.code != 0 {
			if !strings.Contains(ir.err, "lock") {
				t.Fatalf("init beside destroy: exit %d, stderr %q; want success or the state lock's holder", ir.code, ir.err)
			}
			locked++
		}
	}
	if r.code != 0 {
		t.Fatalf("destroy: exit %d\n%s%s", r.code, r.out, r.err)
	}
	t.Logf("%d inits ran beside destroy, %d found the state locked", inits, locked)

	left := simResources(t, s.dir)
	if len(left) > 0 {
		t.Errorf("%d groups left behind after destroy exited 0, such as %s", len(left), left[0])
	}
}
