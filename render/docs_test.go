package render

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/stagecraft/stagecraft/planner/plan"
	"github.com/stagecraft/stagecraft/stacks"
)

var planDocPath = filepath.Join("..", "docs", "json-plan.md")

// jsonBlocks returns the ```json blocks of a Markdown file, in order.
func jsonBlocks(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var blocks []string
	for _, m := range regexp.MustCompile("(?s)```json\n(.*?)```").FindAllStringSubmatch(string(data), -1) {
		blocks = append(blocks, m[1])
	}
	return blocks
}

// docExamplePlan is the plan docs/json-plan.md shows.
func docExamplePlan() *plan.Plan {
	return &plan.Plan{Stack: "shop", Environment: "dev", Provider: "sim", AppliedStage: "load-balanced", TargetStage: "cached",
		Lineage: "7f8e2c1a-0d4b-4c55-9a61-3b2f6f0e9d17", Serial: 4, StackHash: "sha256:4be1c0f6",
		Changes: []*plan.Change{
			create("sim", "cache", "cache.sessions", map[string]cty.Value{"engine": str("redis"), "nodes": num(2), "memory_mb": num(256)}),
		},
		Outputs: []*plan.OutputChange{
			{Name: "db_url", Action: plan.ActionUpdate, Sensitive: true, Before: str(secret + "-a"), After: str(secret + "-b").Mark(stacks.Sensitive)},
			{Name: "redis", Action: plan.ActionCreate, Before: cty.NullVal(cty.DynamicPseudoType), After: cty.UnknownVal(cty.String)},
		},
	}
}

// TestPlanDocExamples keeps the examples of docs/json-plan.md true: the
// example plan is what PlanJSON prints for it, the value example matches
// the schema's value definition, and the diagnostics example decodes into
// exactly the fields DiagnosticsJSON writes.
func TestPlanDocExamples(t *testing.T) {
	t.Parallel()
	blocks := jsonBlocks(t, planDocPath)
	if len(blocks) != 3 {
		t.Fatalf("docs/json-plan.md has %d json blocks, want 3 (a value, a plan, diagnostics)", len(blocks))
	}
	schema, err := loadSchema(planSchemaPath)
	if err != nil {
		t.Fatal(err)
	}
	schema.closed = true

	if errs := schema.validateAt("/$defs/maybe_value", []byte(blocks[0])); len(errs) > 0 {
		t.Errorf("the value example does not match the schema:\n%s", strings.Join(errs, "\n"))
	}

	var b strings.Builder
	if err := PlanJSON(&b, docExamplePlan()); err != nil {
		t.Fatal(err)
	}
	if b.String() != blocks[1] {
		t.Errorf("the example plan in docs/json-plan.md is not what PlanJSON prints for it; PlanJSON prints:\n%s", b.String())
	}

	dec := json.NewDecoder(bytes.NewReader([]byte(blocks[2])))
	dec.DisallowUnknownFields()
	var diags jsonDiagnostics
	if err := dec.Decode(&diags); err != nil {
		t.Errorf("the diagnostics example does not decode as DiagnosticsJSON's output: %v", err)
	}
}

// TestPlanDocCoversSchema checks that docs/json-plan.md has a table row
// for every property the schema describes.
func TestPlanDocCoversSchema(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile(planDocPath)
	if err != nil {
		t.Fatal(err)
	}
	schema, err := loadSchema(planSchemaPath)
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	var collect func(s any)
	collect = func(s any) {
		m, ok := s.(map[string]any)
		if !ok {
			return
		}
		if props, ok := m["properties"].(map[string]any); ok {
			for name, sub := range props {
				names[name] = true
				collect(sub)
			}
		}
		if defs, ok := m["$defs"].(map[string]any); ok {
			for _, sub := range defs {
				collect(sub)
			}
		}
	}
	collect(schema.root)
	var missing []string
	for name := range names {
		if name == "create" || name == "update" || name == "replace" || name == "delete" || name == "no-op" {
			continue // the summary's counts, described in one row
		}
		if !strings.Contains(string(doc), "| `"+name+"` |") {
			missing = append(missing, name)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("docs/json-plan.md has no table row for %s", strings.Join(missing, ", "))
	}
}
