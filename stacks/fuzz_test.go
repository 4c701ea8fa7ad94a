package stacks

import (
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"golang.org/x/tools/txtar"
)

// FuzzLoad feeds arbitrary bytes to the loader, the validator and the
// evaluator as one stack file and, split in two, as a stack file and a
// module. No input may panic or hang. The seed corpus is every fixture
// under testdata, testdata/fuzz/FuzzLoad, and inputs at and past the
// limits of stacks/limits: deep nesting of every construct and functions
// asked for huge results.
func FuzzLoad(f *testing.F) {
	for _, src := range limitSeeds() {
		f.Add([]byte(src), strings.HasPrefix(src, "{"))
	}
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

// limitSeeds are stack files just past the nesting limit in each
// construct, and stacks whose functions would build results of gigabytes.
func limitSeeds() []string {
	const n = 300 // past limits.MaxDepth, small enough to mutate quickly
	nest := func(open, inner, close string) string {
		return "stage \"s\" {}\noutput \"x\" {\n  value = " + strings.Repeat(open, n) + inner + strings.Repeat(close, n) + "\n}\n"
	}
	seeds := []string{
		nest("(", "1", ")"), nest("[", "1", "]"), nest("{a=", "1", "}"),
		nest(`"${`, "1", `}"`), nest("abs(", "1", ")"), nest("!", "true", ""), nest("-", "1", ""),
		nest("<<EOT\n${", "1", "}\nEOT\n"), nest(`"%{if true}`, "", `%{endif}"`),
		strings.Repeat("stage \"a\" {\n", n) + strings.Repeat("}\n", n),
		`{"output": {"x": {"value": ` + strings.Repeat("[", n) + "1" + strings.Repeat("]", n) + "}}}",
		`{"output": {"x": {"value": ` + strings.Repeat(`{"a":`, n) + "1" + strings.Repeat("}", n) + "}}}",
		`{"output": {"x": {"value": "${` + strings.Repeat("(", n) + "1" + strings.Repeat(")", n) + `}"}}}`,
	}
	for _, expr := range []string{
		`setproduct(range(300), range(300), range(300))`,
		`[for a in range(1000) : [for b in range(1000) : [for c in range(1000) : a + b + c]]]`,
		`flatten([for i in range(1001) : range(1000)])`,
		`concat([for i in range(1001) : range(1000)]...)`,
		`join(",", [for i in range(1000) : format("%8000s", "x")])`,
		`format("%100000000d", 1)`,
		`replace(format("%8000s", "x"), "", format("%8000s", "x"))`,
		`jsondecode(join("", [for i in range(1000) : "["]))`,
		`templatefile("templates/page.tmpl", {})`,
		`file("../../../proc/self/environ")`,
	} {
		seeds = append(seeds, "stage \"s\" {}\noutput \"x\" {\n  value = "+expr+"\n}\n")
	}
	return seeds
}
