package render

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/zclconf/go-cty/cty"

	"github.com/stagecraft/stagecraft/planner/plan"
)

// bigPlan creates n resources, with drift and a warning per resource: far
// more than one pull-request comment holds.
func bigPlan(n int) *plan.Plan {
	p := &plan.Plan{Stack: "shop", Environment: "load", Provider: "sim", AppliedStage: "monolith", TargetStage: "microservices"}
	for i := range n {
		addr := fmt.Sprintf("autoscaling_group.svc[%d]", i)
		c := create("sim", "autoscaling_group", addr, map[string]cty.Value{"port": num(int64(9000 + i)), "env": strMap("INDEX", fmt.Sprint(i))})
		if i > 0 {
			c.DependsOn = addresses([]string{fmt.Sprintf("autoscaling_group.svc[%d]", i-1)})
		}
		p.Changes = append(p.Changes, c)
		p.Warnings = append(p.Warnings, fmt.Sprintf("%s is one of many.", addr))
	}
	return p
}

// TestMarkdownFitsAComment checks that a plan of any size stays under
// GitHub's 65536-character limit and says what it left out.
func TestMarkdownFitsAComment(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		plan      *plan.Plan
		truncated bool
	}{
		"small":   {migrationPlan(), false},
		"large":   {bigPlan(300), true},
		"huge":    {bigPlan(3000), true},
		"secrets": {sensitivePlan(), false},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var b strings.Builder
			if err := PlanMarkdown(&b, tt.plan, Options{}); err != nil {
				t.Fatal(err)
			}
			got := b.String()
			if n := utf8.RuneCountInString(got); n > 65536 || len(got) > 65536 {
				t.Errorf("comment is %d characters (%d bytes), over GitHub's limit of 65536", n, len(got))
			}
			if has := strings.Contains(got, "not shown; see the job log"); has != tt.truncated {
				t.Errorf("says it left resources out: %v, want %v", has, tt.truncated)
			}
			if tt.truncated && !strings.Contains(got, "more resources not shown; see the job log.") {
				t.Errorf("the truncated comment does not count what it left out:\n%s", got[len(got)-500:])
			}
			if strings.Count(got, "<details>") != strings.Count(got, "</details>") {
				t.Error("a <details> section is cut off")
			}
			if strings.Count(got, "```")%2 != 0 {
				t.Error("a code fence is left open")
			}
		})
	}
}

// TestMarkdownDiffColumns checks that each diff line starts with the
// symbol GitHub colours: + added, - removed, ! changed.
func TestMarkdownDiffColumns(t *testing.T) {
	t.Parallel()
	tests := map[string]struct{ in, want string }{
		"added":        {"      + engine = \"redis\"", "+       engine = \"redis\""},
		"removed":      {"      - id = \"x\" -> null", "-       id = \"x\" -> null"},
		"changed":      {"      ~ min = 1 -> 2", "!       min = 1 -> 2"},
		"resource":     {"  + cache \"c\" {", "+   cache \"c\" {"},
		"replacement":  {"-/+ cache \"c\" {", "-/+ cache \"c\" {"},
		"unchanged":    {"        id = \"x\"", "        id = \"x\""},
		"comment":      {"        # (2 unchanged attributes hidden)", "        # (2 unchanged attributes hidden)"},
		"text with -":  {"        port-range = 1", "        port-range = 1"},
		"closing line": {"        ] -> (known after apply)", "        ] -> (known after apply)"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if got := githubDiff(tt.in); got != tt.want {
				t.Errorf("githubDiff(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestFenceOutlastsBackticks(t *testing.T) {
	t.Parallel()
	got := fence("diff", "+ a = \"```\"\n")
	if !strings.HasPrefix(got, "````diff\n") || !strings.HasSuffix(got, "\n````\n") {
		t.Errorf("fence = %q, want four backticks around text holding three", got)
	}
}

// TestMermaidEscapesLabels checks that an instance key cannot break out of
// a node label.
func TestMermaidEscapesLabels(t *testing.T) {
	t.Parallel()
	p := &plan.Plan{Changes: []*plan.Change{
		create("sim", "cache", `cache.c["a\"]#b"]`, map[string]cty.Value{"engine": str("redis")}),
	}}
	got := Mermaid(p)
	if !strings.Contains(got, `r_cache_c__a____b__[("cache.c[&quot;a\&quot;]&num;b&quot;]<br/>(create)")]`) {
		t.Errorf("Mermaid did not escape the label:\n%s", got)
	}
	dot := Dot(p)
	if !strings.Contains(dot, `label="cache.c[\"a\\\"]#b\"]\n(create)"`) {
		t.Errorf("Dot did not escape the label:\n%s", dot)
	}
}
