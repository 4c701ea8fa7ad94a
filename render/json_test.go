package render

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stagecraft/stagecraft/planner/plan"
)

// TestPlanJSONMatchesSchema renders every fixture plan as JSON and
// validates it against docs/json-plan.schema.json, closed: a field the
// planner writes but the schema does not describe fails too. The form
// plan files store (unredacted, with types) must match as well.
func TestPlanJSONMatchesSchema(t *testing.T) {
	t.Parallel()
	schema := closedPlanSchema(t)
	for name, mk := range fixtures {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var b strings.Builder
			if err := PlanJSON(&b, mk()); err != nil {
				t.Fatal(err)
			}
			if errs := schema.validate([]byte(b.String())); len(errs) > 0 {
				t.Errorf("PlanJSON output does not match the schema:\n%s", strings.Join(errs, "\n"))
			}
			full, err := plan.Marshal(mk(), false)
			if err != nil {
				t.Fatal(err)
			}
			if errs := schema.validate(full); len(errs) > 0 {
				t.Errorf("the plan file form does not match the schema:\n%s", strings.Join(errs, "\n"))
			}
		})
	}
}

// TestSchemaRejectsBrokenPlans shows the validation can fail: each
// document is a valid plan with one thing broken.
func TestSchemaRejectsBrokenPlans(t *testing.T) {
	t.Parallel()
	schema := closedPlanSchema(t)
	change := func(doc map[string]any, i int) map[string]any {
		return doc["changes"].([]any)[i].(map[string]any)
	}
	tests := map[string]struct {
		breakIt func(doc map[string]any)
		want    string
	}{
		"newer format version":   {func(d map[string]any) { d["format_version"] = 2 }, "format_version"},
		"format version as text": {func(d map[string]any) { d["format_version"] = "1" }, "format_version"},
		"no changes list":        {func(d map[string]any) { delete(d, "changes") }, "'changes'"},
		"unknown action":         {func(d map[string]any) { change(d, 0)["action"] = "destroy" }, "/changes/0/action"},
		"change without after":   {func(d map[string]any) { delete(change(d, 0), "after") }, "'after'"},
		"value without value":    {func(d map[string]any) { change(d, 0)["before"] = map[string]any{"unknown": true} }, "'value'"},
		"negative serial":        {func(d map[string]any) { d["serial"] = -1 }, "serial"},
		"fractional count":       {func(d map[string]any) { d["summary"].(map[string]any)["create"] = 1.5 }, "summary/create"},
		"unknown tree of text": {func(d map[string]any) {
			change(d, 1)["after"].(map[string]any)["unknown"] = "endpoint"
		}, "/changes/1/after/unknown"},
		"empty address":        {func(d map[string]any) { change(d, 2)["address"] = "" }, "/changes/2/address"},
		"undocumented field":   {func(d map[string]any) { d["cost_estimate"] = 12 }, "cost_estimate"},
		"bad replace order":    {func(d map[string]any) { change(d, 0)["replace_order"] = "eventually" }, "replace_order"},
		"warnings as one text": {func(d map[string]any) { d["warnings"] = "none" }, "warnings"},
	}
	var b strings.Builder
	if err := PlanJSON(&b, migrationPlan()); err != nil {
		t.Fatal(err)
	}
	valid := b.String()
	if errs := schema.validate([]byte(valid)); len(errs) > 0 {
		t.Fatalf("the unbroken document is invalid already:\n%s", strings.Join(errs, "\n"))
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var doc map[string]any
			if err := json.Unmarshal([]byte(valid), &doc); err != nil {
				t.Fatal(err)
			}
			tt.breakIt(doc)
			broken, err := json.Marshal(doc)
			if err != nil {
				t.Fatal(err)
			}
			errs := schema.validate(broken)
			if len(errs) == 0 {
				t.Fatalf("the schema accepts a plan broken by %s", name)
			}
			all := strings.Join(errs, "\n")
			t.Log(all)
			if !strings.Contains(all, tt.want) {
				t.Errorf("errors do not mention %q:\n%s", tt.want, all)
			}
		})
	}
}

// TestPlanJSONIsTheRedactedEncoding checks that PlanJSON prints the
// planner's redacted encoding with a final newline, and that it hides a
// secret the values read back from the provider hold without a mark.
func TestPlanJSONIsTheRedactedEncoding(t *testing.T) {
	t.Parallel()
	p := migrationPlan()
	var b strings.Builder
	if err := PlanJSON(&b, p); err != nil {
		t.Fatal(err)
	}
	want, err := plan.Marshal(p, true)
	if err != nil {
		t.Fatal(err)
	}
	if got := b.String(); got != string(want)+"\n" {
		t.Errorf("PlanJSON = %s\nwant MarshalPlan(p, true) and a newline:\n%s", got, want)
	}

	b.Reset()
	if err := PlanJSON(&b, sensitivePlan()); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Changes []struct {
			Address string `json:"address"`
			Before  struct {
				Value     map[string]any `json:"value"`
				Sensitive map[string]any `json:"sensitive"`
			} `json:"before"`
		} `json:"changes"`
	}
	if err := json.Unmarshal([]byte(b.String()), &doc); err != nil {
		t.Fatal(err)
	}
	app := doc.Changes[0]
	if app.Address != "autoscaling_group.app" {
		t.Fatalf("first change is %s, want autoscaling_group.app", app.Address)
	}
	env := app.Before.Value["env"].(map[string]any)
	if env["DB_PASSWORD"] != nil || env["DB_HOST"] != "db.internal" {
		t.Errorf("before.value.env = %v, want DB_PASSWORD null and DB_HOST kept", env)
	}
	if got := app.Before.Sensitive["env"]; got == nil {
		t.Errorf("before.sensitive = %v, want env.DB_PASSWORD marked", app.Before.Sensitive)
	}
}
