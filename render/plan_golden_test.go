package render

import (
	"strings"
	"testing"

	"github.com/stagecraft/stagecraft/planner/plan"
)

// renderers are every rendering of a plan, by golden file extension.
var renderers = map[string]func(p *plan.Plan) (string, error){
	"txt": func(p *plan.Plan) (string, error) {
		var b strings.Builder
		err := PlanText(&b, p, Options{})
		return b.String(), err
	},
	"ansi.txt": func(p *plan.Plan) (string, error) {
		var b strings.Builder
		err := PlanText(&b, p, Options{Color: true})
		return b.String(), err
	},
	"md": func(p *plan.Plan) (string, error) {
		var b strings.Builder
		err := PlanMarkdown(&b, p, Options{})
		return b.String(), err
	},
	"json": func(p *plan.Plan) (string, error) {
		var b strings.Builder
		err := PlanJSON(&b, p)
		return b.String(), err
	},
	"mmd": func(p *plan.Plan) (string, error) { return Mermaid(p), nil },
	"dot": func(p *plan.Plan) (string, error) { return Dot(p), nil },
}

// TestPlanGolden renders every fixture plan every way and compares with
// testdata/plans/NAME.EXT.
func TestPlanGolden(t *testing.T) {
	t.Parallel()
	eachRendering(t, func(t *testing.T, name, ext, got string) {
		golden(t, "plans/"+name+"."+ext, got)
	})
}

// eachRendering renders every fixture plan every way, each in a parallel
// subtest NAME.EXT, and hands check what it printed.
func eachRendering(t *testing.T, check func(t *testing.T, name, ext, got string)) {
	for name, plan := range fixtures {
		for ext, render := range renderers {
			t.Run(name+"."+ext, func(t *testing.T) {
				t.Parallel()
				got, err := render(plan())
				if err != nil {
					t.Fatal(err)
				}
				check(t, name, ext, got)
			})
		}
	}
}

// TestNoSecretInAnyOutput checks that no rendering of any fixture shows a
// sensitive value, whether the value carries its mark or (in drift, as
// values read back from a provider do not) only the change's values do.
func TestNoSecretInAnyOutput(t *testing.T) {
	t.Parallel()
	eachRendering(t, func(t *testing.T, _, ext, got string) {
		if strings.Contains(got, secret) {
			t.Errorf("the %s rendering shows a sensitive value:\n%s", ext, got)
		}
	})
}

func TestColourOnlyWhenAsked(t *testing.T) {
	t.Parallel()
	for name, plan := range fixtures {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			for ext, render := range renderers {
				got, err := render(plan())
				if err != nil {
					t.Fatal(err)
				}
				if has := strings.Contains(got, "\x1b["); has != (ext == "ansi.txt") {
					t.Errorf("%s: holds ANSI escape sequences: %v, want %v", ext, has, ext == "ansi.txt")
				}
			}
		})
	}
}
