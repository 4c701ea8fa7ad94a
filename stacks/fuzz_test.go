package stacks

import (
	"path/filepath"
	"testing"
	"testing/fstest"

	"golang.org/x/tools/txtar"
)

// FuzzLoad feeds arbitrary bytes to the loader, the validator and the
// evaluator as one stack file and, split in two, as a stack file and a
// module. No input may panic or hang. The seed corpus is every fixture
// under testdata plus testdata/fuzz/FuzzLoad.
func FuzzLoad(f *testing.F) {
	for _, dir := range []string{"valid", "invalid"} {
		paths, _ := filepath.Glob(filepath.Join("testdata", dir, "*.txtar"))
		for _, p := range paths {
			ar, err := txtar.ParseFile(p)
			if err != nil {
				f.Fatal(err)
			}
			for _, file := range ar.Files {
				f.Add(file.Data, false)
			}
		}
	}
	f.Fuzz(func(t *testing.T, src []byte, json bool) {
		name := "main.stack.hcl"
		if json {
			name = "main.stack.hcl.json"
		}
		fsys := fstest.MapFS{
			name:                    {Data: src},
			"mod/main.hcl":          {Data: src},
			"modules/web/main.hcl":  {Data: src},
			"other/vars.vars.hcl":   {Data: src},
			"templates/page.tmpl":   {Data: src},
			"templates/empty.tmpl":  {Data: nil},
			"files/data.txt":        {Data: []byte("data")},
			"modules/empty/.keep":   {Data: nil},
			"modules/nested/a.hcl":  {Data: []byte(`module "x" { source = "../web" }`)},
			"modules/nested/b.hcl":  {Data: []byte(`variable "v" {}`)},
			"modules/loop/main.hcl": {Data: []byte(`module "self" { source = "./" }`)},
		}
		st, diags := LoadFS(fsys, ".")
		if st == nil {
			if !diags.HasErrors() {
				t.Fatal("no stack and no error")
			}
			return
		}
		st.Validate(ValidateRequest{KnownProviders: []string{"local", "sim", "aws"}})
		for _, env := range st.EnvironmentNames() {
			st.Evaluate(Request{Environment: env})
		}
		for _, stage := range st.StageNames() {
			for _, env := range st.EnvironmentNames() {
				st.Evaluate(Request{Environment: env, Stage: stage})
			}
		}
		_, _ = Format(src)
	})
}
