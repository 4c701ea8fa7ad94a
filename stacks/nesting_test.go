package stacks

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/hashicorp/hcl/v2"
)

// deepStacks are stack files nesting one construct 100,000 levels deep,
// which would overflow the parser's stack if they reached it.
func deepStacks() map[string]string {
	const n = 100_000
	nest := func(open, inner, close string) string {
		return "output \"x\" {\n  value = " + strings.Repeat(open, n) + inner + strings.Repeat(close, n) + "\n}\n"
	}
	return map[string]string{
		"parentheses.hcl":  nest("(", "1", ")"),
		"lists.hcl":        nest("[", "1", "]"),
		"objects.hcl":      nest("{a=", "1", "}"),
		"templates.hcl":    nest(`"${`, "1", `}"`),
		"calls.hcl":        nest("abs(", "1", ")"),
		"not.hcl":          nest("!", "true", ""),
		"blocks.hcl":       strings.Repeat("stage \"a\" {\n", n) + strings.Repeat("}\n", n),
		"arrays.hcl.json":  `{"output": {"x": {"value": ` + strings.Repeat("[", n) + "1" + strings.Repeat("]", n) + "}}}",
		"objects.hcl.json": `{"output": {"x": {"value": ` + strings.Repeat(`{"a":`, n) + "1" + strings.Repeat("}", n) + "}}}",
		"strings.hcl.json": `{"output": {"x": {"value": "${` + strings.Repeat("(", n) + "1" + strings.Repeat(")", n) + `}"}}}`,
	}
}

func TestLoadRefusesDeepNesting(t *testing.T) {
	t.Parallel()
	for name, src := range deepStacks() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, diags := LoadFS(fstest.MapFS{name: {Data: []byte(src)}}, ".")
			if !diags.HasErrors() {
				t.Fatal("loaded a stack nesting 100,000 levels deep")
			}
			d := diags[0]
			if d.Summary != "Nesting too deep" || d.Subject == nil || d.Subject.Filename != name {
				t.Fatalf("want a located \"Nesting too deep\" error in %s, got %s", name, diags.Error())
			}
		})
	}
}

func TestDeepNestingInTemplatesAndValues(t *testing.T) {
	t.Parallel()
	const n = 100_000
	st := loadFiles(t, map[string]string{
		"main.hcl": `variable "v" {
  type    = list(any)
  default = []
}
stage "one" {}
output "t" {
  value = templatefile("deep.tmpl", {})
}
output "j" {
  value = jsondecode(file("deep.json"))
}
`,
		"deep.tmpl": strings.Repeat("${", n),
		"deep.json": strings.Repeat("[", n) + strings.Repeat("]", n),
	})
	diags := st.Validate(ValidateRequest{Vars: []VarInput{{Name: "v", Value: strings.Repeat("[", n)}}})
	var all []string
	for _, d := range diags {
		all = append(all, d.Error())
	}
	text := strings.Join(all, "\n")
	for _, want := range []string{
		"deep.tmpl:1,514-515: Nesting too deep", // the brace of the 257th ${ is byte 513
		"jsondecode: the JSON nests arrays and objects more than 256 levels deep",
		"-var v:1,257-258: Nesting too deep",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("no error saying %q; got:\n%s", want, text)
		}
	}
}

func TestFormatRefusesDeepNesting(t *testing.T) {
	t.Parallel()
	_, err := Format([]byte("x = " + strings.Repeat("(", 100_000)))
	fe, ok := err.(*FormatError)
	if !ok || len(fe.Diags) == 0 || fe.Diags[0].Summary != "Nesting too deep" {
		t.Fatalf("Format of deep input: got %v", err)
	}
	if !hcl.Diagnostics(fe.Diags).HasErrors() {
		t.Fatal("not an error")
	}
}
