package render

import (
	"context"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/stagecraft/stagecraft/planner"
	"github.com/stagecraft/stagecraft/planner/apply"
	"github.com/stagecraft/stagecraft/planner/plan"
	"github.com/stagecraft/stagecraft/providers/sim"
	"github.com/stagecraft/stagecraft/stacks"
	"github.com/stagecraft/stagecraft/stacks/addrs"
	"github.com/stagecraft/stagecraft/state"
)

// shopStack is the stack of DESIGN.md, trimmed to three stages, with a
// sensitive variable that reaches an attribute. (It has no sensitive
// output: applying one fails today, as the planner hands a marked value to
// state.EncodeOutput.)
const shopStack = `
stack "shop" {}

variable "db_password" {
  type      = string
  sensitive = true
}

environment "dev" {
  provider = "sim"
  stage    = "monolith"
}

stage "monolith" {
  autoscaling_group "app" {
    min  = 1
    max  = 1
    port = 8080
    env = {
      DB_PASSWORD = var.db_password
    }
    health_check {
      path = "/healthz"
    }
  }
}

stage "load-balanced" {
  extends = "monolith"

  autoscaling_group "app" {
    min = 2
    max = 6
    scaling {
      target_cpu = 60
    }
  }

  load_balancer "edge" {
    listener {
      port = 80
    }
    route {
      path   = "/*"
      target = autoscaling_group.app
    }
  }
}

stage "cached" {
  extends = "load-balanced"

  cache "sessions" {
    engine    = "redis"
    nodes     = 2
    memory_mb = 256
  }

  autoscaling_group "app" {
    env = {
      DB_PASSWORD = var.db_password
      REDIS_ADDR  = cache.sessions.endpoint
    }
  }
}

output "url" {
  value = load_balancer.edge.url
}
`

// simEnv is one environment of shopStack on a sim cloud with a local state
// backend, as the planner's own tests set it up.
type simEnv struct {
	t       *testing.T
	stack   *stacks.Stack
	backend *state.Local
	planner *planner.Planner
	req     stacks.Request
}

func newSimEnv(t *testing.T) *simEnv {
	t.Helper()
	st, diags := stacks.LoadFS(fstest.MapFS{"shop.stack.hcl": &fstest.MapFile{Data: []byte(shopStack)}}, ".")
	if diags.HasErrors() {
		t.Fatalf("load: %s", diags.Error())
	}
	prov := sim.New()
	if d := prov.Configure(context.Background(), cty.EmptyObjectVal); d.HasErrors() {
		t.Fatalf("configure sim: %s", d.Error())
	}
	e := &simEnv{t: t, stack: st, backend: state.NewLocal(t.TempDir(), "dev")}
	e.planner = &planner.Planner{Provider: prov, ProviderName: "sim", Stack: st.Name, Environment: "dev", Parallelism: 1,
		Evaluate: func(known map[addrs.Instance]cty.Value, reuse *stacks.Reuse) (*stacks.DesiredSet, hcl.Diagnostics) {
			r := e.req
			r.Known = known
			r.Reuse = reuse
			return e.stack.Evaluate(r)
		}}
	return e
}

// plan plans stage with the password given.
func (e *simEnv) plan(stage, password string) (*plan.Plan, *state.State) {
	e.t.Helper()
	e.req = stacks.Request{Environment: "dev", Stage: stage, Vars: []stacks.VarInput{{Name: "db_password", Value: password}}}
	rec, err := e.backend.Recover(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	var st *state.State
	var intents []state.JournalEntry
	if rec != nil {
		st, intents = rec.State, rec.PendingIntents
	}
	p, err := e.planner.Plan(context.Background(), planner.PlanOptions{State: st, Intents: intents})
	if err != nil {
		e.t.Fatalf("plan %s: %v", stage, err)
	}
	return p, st
}

func (e *simEnv) apply(stage, password string) {
	e.t.Helper()
	p, st := e.plan(stage, password)
	if _, err := e.planner.Apply(context.Background(), p, apply.Options{Backend: e.backend, State: st}); err != nil {
		e.t.Fatalf("apply %s: %v", stage, err)
	}
}

// TestRealPlans renders plans the planner makes against the sim provider:
// a migration to the cached stage that also rotates the sensitive
// password. The old password comes back from the provider without its
// mark; no rendering may show either one.
func TestRealPlans(t *testing.T) {
	t.Parallel()
	const oldPassword, newPassword = secret + "-old", secret + "-new"
	e := newSimEnv(t)
	e.apply("load-balanced", oldPassword)
	p, _ := e.plan("cached", newPassword)

	schema, err := loadSchema(planSchemaPath)
	if err != nil {
		t.Fatal(err)
	}
	schema.closed = true
	want := map[string][]string{
		"txt": {
			`Stagecraft will perform the following actions to move environment "dev" from`,
			"  # cache.sessions will be created",
			"  # autoscaling_group.app will be updated in-place",
			"          ~ DB_PASSWORD = (sensitive)",
			"          + REDIS_ADDR  = (known after apply)",
			"Plan: 1 to create, 1 to update, 0 to replace, 0 to destroy.",
		},
		"md": {
			"### Stagecraft plan for `dev`: `load-balanced` → `cached`",
			"```mermaid",
			"<details><summary><code>cache.sessions</code> will be created</summary>",
		},
		"mmd": {"r_autoscaling_group_app --> r_cache_sessions", "class r_cache_sessions create"},
		"dot": {"r_autoscaling_group_app -> r_cache_sessions;"},
	}
	for ext, render := range renderers {
		t.Run(ext, func(t *testing.T) {
			got, err := render(p)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(got, secret) {
				t.Errorf("the %s rendering of a real plan shows the password:\n%s", ext, got)
			}
			for _, w := range want[ext] {
				if !strings.Contains(got, w) {
					t.Errorf("the %s rendering lacks %q:\n%s", ext, w, got)
				}
			}
			if ext == "json" {
				if errs := schema.validate([]byte(got)); len(errs) > 0 {
					t.Errorf("the JSON plan does not match the schema:\n%s", strings.Join(errs, "\n"))
				}
			}
		})
	}
}
