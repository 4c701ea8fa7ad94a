package render

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// planSchemaPath is where the schema the JSON plan is documented with
// lives.
var planSchemaPath = filepath.Join("..", "docs", "json-plan.schema.json")

// jsonSchema is a JSON Schema document (draft 2020-12) the tests validate
// plans against, with the decoded document kept for the tests that read
// the schema itself.
type jsonSchema struct {
	path string
	data []byte
	root map[string]any
	// closed treats every object schema with properties as if it said
	// additionalProperties: false. The published schema lets consumers meet
	// fields added later; the tests close it to catch a field the planner
	// writes but the documentation does not describe.
	closed bool
}

// loadSchema reads a schema file and compiles it once, so that a schema
// that is not valid JSON Schema fails here rather than in a validation.
func loadSchema(path string) (*jsonSchema, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	s := &jsonSchema{path: path, data: data}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	root, ok := doc.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s: a schema must be a JSON object", path)
	}
	s.root = root
	if _, err := s.compile(""); err != nil {
		return nil, err
	}
	return s, nil
}

// compile compiles the schema, closed if s.closed is set, and returns the
// subschema at the JSON pointer fragment (empty for the whole schema).
func (s *jsonSchema) compile(fragment string) (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(s.data))
	if err != nil {
		return nil, err
	}
	if s.closed {
		closeObjects(doc)
	}
	url, err := filepath.Abs(s.path)
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(url, doc); err != nil {
		return nil, err
	}
	return c.Compile(url + "#" + fragment)
}

// closeObjects adds additionalProperties: false to every object schema
// in doc that lists properties and says nothing about others.
func closeObjects(doc any) {
	switch v := doc.(type) {
	case map[string]any:
		if _, ok := v["properties"]; ok {
			if _, ok := v["additionalProperties"]; !ok {
				v["additionalProperties"] = false
			}
		}
		for _, sub := range v {
			closeObjects(sub)
		}
	case []any:
		for _, sub := range v {
			closeObjects(sub)
		}
	}
}

// validate returns every way doc breaks the schema, one line each; none
// means valid.
func (s *jsonSchema) validate(doc []byte) []string {
	return s.validateAt("", doc)
}

// validateAt validates doc against the subschema at the JSON pointer
// fragment, such as "/$defs/maybe_value".
func (s *jsonSchema) validateAt(fragment string, doc []byte) []string {
	sch, err := s.compile(fragment)
	if err != nil {
		return []string{err.Error()}
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return []string{"not JSON: " + err.Error()}
	}
	if err := sch.Validate(inst); err != nil {
		return strings.Split(err.Error(), "\n")
	}
	return nil
}

// closedPlanSchema loads the plan schema closed: a field the planner
// writes but the schema does not describe fails validation.
func closedPlanSchema(t *testing.T) *jsonSchema {
	t.Helper()
	schema, err := loadSchema(planSchemaPath)
	if err != nil {
		t.Fatal(err)
	}
	schema.closed = true
	return schema
}

// goldenPlans are the JSON plans under testdata/plans, by file name.
func goldenPlans(t *testing.T) map[string][]byte {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("testdata", "plans", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) == 0 {
		t.Fatal("no JSON plans under testdata/plans")
	}
	plans := map[string][]byte{}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		plans[filepath.Base(p)] = data
	}
	return plans
}

// TestGoldenPlansMatchSchema validates every golden JSON plan against the
// closed schema, so the files reviewers read are documented plans.
func TestGoldenPlansMatchSchema(t *testing.T) {
	t.Parallel()
	schema := closedPlanSchema(t)
	for name, plan := range goldenPlans(t) {
		if errs := schema.validate(plan); len(errs) > 0 {
			t.Errorf("%s does not match the schema:\n%s", name, strings.Join(errs, "\n"))
		}
	}
}

// TestSchemaRejectsBrokenGoldenPlan breaks a golden plan twice, a count
// given as text and the changes list taken out, and expects the validator
// to report both, so the check above can fail.
func TestSchemaRejectsBrokenGoldenPlan(t *testing.T) {
	t.Parallel()
	schema := closedPlanSchema(t)
	var doc map[string]any
	if err := json.Unmarshal(goldenPlans(t)["migration.json"], &doc); err != nil {
		t.Fatal(err)
	}
	doc["serial"] = "7"
	delete(doc, "changes")
	broken, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	errs := schema.validate(broken)
	all := strings.Join(errs, "\n")
	for _, want := range []string{"at '/serial': got string, want integer", "missing property 'changes'"} {
		if !strings.Contains(all, want) {
			t.Errorf("validating a plan with a text serial and no changes: errors lack %q:\n%s", want, all)
		}
	}
}

// TestSchemaIsCheckedByTheValidator makes sure loadSchema refuses a
// schema that breaks the JSON Schema metaschema instead of ignoring it.
func TestSchemaIsCheckedByTheValidator(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "schema.json")
	if err := os.WriteFile(path, []byte(`{"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "record"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := loadSchema(path); err == nil {
		t.Error("loadSchema accepted a schema with an unknown type")
	}
}
