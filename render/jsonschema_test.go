package render

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
)

// A validator for the subset of JSON Schema (draft 2020-12) that
// docs/json-plan.schema.json uses. No JSON Schema module is served to this
// project, and a few keywords are all the schema needs. A keyword outside
// the subset is an error rather than ignored, so the schema cannot come to
// rely on a check that does not run.

// supportedKeywords are the keywords the validator checks, or (for
// annotations) knows to have no effect.
var supportedKeywords = map[string]bool{
	"$schema": true, "$id": true, "$defs": true, "$ref": true, "$comment": true,
	"title": true, "description": true,
	"type": true, "enum": true, "const": true,
	"properties": true, "required": true, "additionalProperties": true,
	"items": true, "minimum": true, "minLength": true,
}

type jsonSchema struct {
	root map[string]any
	// closed treats every object schema with properties as if it said
	// additionalProperties: false. The published schema lets consumers meet
	// fields added later; the tests close it to catch a field the planner
	// writes but the documentation does not describe.
	closed bool
}

// loadSchema reads a schema file and checks that it uses only supported
// keywords.
func loadSchema(path string) (*jsonSchema, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var root map[string]any
	if err := decodeJSON(data, &root); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if err := checkKeywords(root, "#"); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &jsonSchema{root: root}, nil
}

func decodeJSON(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("trailing data after the JSON value")
	}
	return nil
}

// checkKeywords walks every subschema.
func checkKeywords(s any, at string) error {
	m, ok := s.(map[string]any)
	if !ok {
		if _, isBool := s.(bool); isBool {
			return nil
		}
		return fmt.Errorf("%s: a schema must be an object or a boolean", at)
	}
	for k, v := range m {
		if !supportedKeywords[k] {
			return fmt.Errorf("%s: keyword %q is not supported by the test validator", at, k)
		}
		switch k {
		case "properties", "$defs":
			props, ok := v.(map[string]any)
			if !ok {
				return fmt.Errorf("%s/%s: want an object", at, k)
			}
			for name, sub := range props {
				if err := checkKeywords(sub, at+"/"+k+"/"+name); err != nil {
					return err
				}
			}
		case "items", "additionalProperties":
			if err := checkKeywords(v, at+"/"+k); err != nil {
				return err
			}
		}
	}
	return nil
}

// validate returns every way doc breaks the schema; none means valid.
func (s *jsonSchema) validate(doc []byte) []string {
	var inst any
	if err := decodeJSON(doc, &inst); err != nil {
		return []string{"not JSON: " + err.Error()}
	}
	var errs []string
	s.check(s.root, inst, "", &errs)
	return errs
}

func (s *jsonSchema) resolve(ref string) (any, error) {
	if ref == "#" {
		return s.root, nil
	}
	name, ok := strings.CutPrefix(ref, "#/$defs/")
	if !ok {
		return nil, fmt.Errorf("$ref %q: only #/$defs/NAME is supported", ref)
	}
	defs, _ := s.root["$defs"].(map[string]any)
	d, ok := defs[name]
	if !ok {
		return nil, fmt.Errorf("$ref %q: no such definition", ref)
	}
	return d, nil
}

func (s *jsonSchema) check(schema, inst any, at string, errs *[]string) {
	fail := func(format string, args ...any) {
		where := at
		if where == "" {
			where = "(root)"
		}
		*errs = append(*errs, where+": "+fmt.Sprintf(format, args...))
	}
	if b, ok := schema.(bool); ok {
		if !b {
			fail("no value is allowed here")
		}
		return
	}
	m := schema.(map[string]any)
	if ref, ok := m["$ref"].(string); ok {
		target, err := s.resolve(ref)
		if err != nil {
			fail("%v", err)
			return
		}
		s.check(target, inst, at, errs)
	}
	if t, ok := m["type"]; ok && !typeMatches(t, inst) {
		fail("is %s, want %v", jsonType(inst), t)
		return
	}
	if c, ok := m["const"]; ok && !jsonEqual(c, inst) {
		fail("is %v, want %v", inst, c)
	}
	if e, ok := m["enum"].([]any); ok {
		found := false
		for _, want := range e {
			found = found || jsonEqual(want, inst)
		}
		if !found {
			fail("is %v, want one of %v", inst, e)
		}
	}
	switch v := inst.(type) {
	case map[string]any:
		props, _ := m["properties"].(map[string]any)
		if req, ok := m["required"].([]any); ok {
			for _, r := range req {
				if _, ok := v[r.(string)]; !ok {
					fail("lacks required property %q", r)
				}
			}
		}
		names := make([]string, 0, len(v))
		for k := range v {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			if sub, ok := props[k]; ok {
				s.check(sub, v[k], at+"/"+k, errs)
				continue
			}
			switch ap := m["additionalProperties"].(type) {
			case nil:
				if s.closed && props != nil {
					fail("has property %q, which the schema does not describe", k)
				}
			default:
				s.check(ap, v[k], at+"/"+k, errs)
			}
		}
	case []any:
		if items, ok := m["items"]; ok {
			for i, e := range v {
				s.check(items, e, fmt.Sprintf("%s/%d", at, i), errs)
			}
		}
	case json.Number:
		if min, ok := m["minimum"].(json.Number); ok {
			a, _ := new(big.Float).SetString(v.String())
			b, _ := new(big.Float).SetString(min.String())
			if a != nil && b != nil && a.Cmp(b) < 0 {
				fail("is %s, below the minimum %s", v, min)
			}
		}
	case string:
		if n, ok := m["minLength"].(json.Number); ok {
			if want, _ := n.Int64(); int64(len([]rune(v))) < want {
				fail("is shorter than %d characters", want)
			}
		}
	}
}

// jsonType names an instance's JSON type, integer for whole numbers.
func jsonType(v any) string {
	switch n := v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	case json.Number:
		if _, err := n.Int64(); err == nil && !strings.ContainsAny(n.String(), ".eE") {
			return "integer"
		}
		return "number"
	}
	return fmt.Sprintf("%T", v)
}

func typeMatches(t, inst any) bool {
	var types []any
	switch tt := t.(type) {
	case string:
		types = []any{tt}
	case []any:
		types = tt
	}
	got := jsonType(inst)
	for _, want := range types {
		if want == got || (want == "number" && got == "integer") {
			return true
		}
	}
	return false
}

func jsonEqual(a, b any) bool {
	if na, ok := a.(json.Number); ok {
		nb, ok := b.(json.Number)
		if !ok {
			return false
		}
		fa, _ := new(big.Float).SetString(na.String())
		fb, _ := new(big.Float).SetString(nb.String())
		return fa != nil && fb != nil && fa.Cmp(fb) == 0
	}
	return reflect.DeepEqual(a, b)
}

// planSchemaPath is where the schema the JSON plan is documented with
// lives.
var planSchemaPath = filepath.Join("..", "docs", "json-plan.schema.json")
