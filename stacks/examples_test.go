package stacks

import (
	"os"
	"path/filepath"
	"testing"
)

// TestExamplesValidate loads and validates every stack under examples/.
func TestExamplesValidate(t *testing.T) {
	t.Parallel()
	dirs, _ := filepath.Glob(filepath.Join("..", "examples", "*"))
	found := 0
	for _, dir := range dirs {
		if names, _ := filepath.Glob(filepath.Join(dir, "*.hcl")); len(names) == 0 {
			continue
		}
		found++
		t.Run(filepath.Base(dir), func(t *testing.T) {
			t.Parallel()
			st, diags := Load(dir)
			if diags.HasErrors() {
				t.Fatalf("load %s: %s", dir, diags.Error())
			}
			if d := st.Validate(ValidateRequest{Getenv: os.Getenv}); d.HasErrors() {
				t.Fatalf("validate %s: %s", dir, d.Error())
			}
			if len(st.Stages) < 3 {
				t.Errorf("%s has %d stages; an example shows at least three", dir, len(st.Stages))
			}
			for _, env := range st.EnvironmentNames() {
				if _, d := st.Evaluate(Request{Environment: env}); d.HasErrors() {
					t.Errorf("evaluate %s/%s: %s", dir, env, d.Error())
				}
			}
		})
	}
	if found == 0 {
		t.Fatal("no example stacks found")
	}
}
