package render

import (
	"encoding/json"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"

	"github.com/stagecraft/stagecraft/stacks"
)

// diagSources are the stack files the diagnostics cases point into.
var diagSources = map[string]string{
	"main.stack.hcl": `stage "cached" {
  cache "sessions" {
    engine    = "valkey"
    memory_mb = 256
  }

  autoscaling_group "app" {
    min = 4
    max = 2
  }
}
`,
	"env.stack.hcl": `environment "dev" {
  provider = "sim"
  stage    = "cahced"
}
`,
	"broken.stack.hcl": `stage "monolith" {
  autoscaling_group "app" {
    port = 8080
`,
}

// parseSources parses diagSources the way the stack language does, keeping
// the parser's own diagnostics (the broken file has a syntax error).
func parseSources() (map[string]*hcl.File, hcl.Diagnostics) {
	p := hclparse.NewParser()
	var diags hcl.Diagnostics
	for _, name := range []string{"broken.stack.hcl", "env.stack.hcl", "main.stack.hcl"} {
		_, d := p.ParseHCL([]byte(diagSources[name]), name)
		diags = append(diags, d...)
	}
	return p.Files(), diags
}

// rangeOf is the range of the first occurrence of text in a source file.
func rangeOf(t *testing.T, files map[string]*hcl.File, name, text string) *hcl.Range {
	t.Helper()
	src := string(files[name].Bytes)
	i := strings.Index(src, text)
	if i < 0 {
		t.Fatalf("%s does not contain %q", name, text)
	}
	pos := func(off int) hcl.Pos {
		line := strings.Count(src[:off], "\n") + 1
		col := off - strings.LastIndex(src[:off], "\n")
		return hcl.Pos{Line: line, Column: col, Byte: off}
	}
	return &hcl.Range{Filename: name, Start: pos(i), End: pos(i + len(text))}
}

func diagnosticsCases(t *testing.T) (map[string]*hcl.File, map[string]hcl.Diagnostics) {
	files, syntax := parseSources()
	if !syntax.HasErrors() {
		t.Fatal("broken.stack.hcl parsed without an error")
	}
	engine := &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid value for engine",
		Detail:  `"valkey" is not allowed here; use one of "redis", "memcached".`,
		Subject: rangeOf(t, files, "main.stack.hcl", `"valkey"`)}
	bounds := &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Group min is greater than max",
		Detail:  "min is 4 but max is 2; raise max to at least 4 or lower min.",
		Subject: rangeOf(t, files, "main.stack.hcl", "min = 4")}
	stage := &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Unknown stage",
		Detail:  `Environment "dev" names stage "cahced", which the stack does not define. Did you mean "cached"? The stages are: "cached", "monolith".`,
		Subject: rangeOf(t, files, "env.stack.hcl", `"cahced"`)}
	unused := &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: "Value for undeclared variable",
		Detail: `A value was given for variable "region", which the stack does not declare; it is ignored. Remove it from the command line or the variable file, or declare the variable.`}
	return files, map[string]hcl.Diagnostics{
		"one_error":  {engine},
		"several":    {engine, bounds, stage, unused},
		"syntax":     syntax,
		"no_range":   {unused},
		"no_problem": nil,
	}
}

func TestDiagnosticsGolden(t *testing.T) {
	t.Parallel()
	files, cases := diagnosticsCases(t)
	for name, diags := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var text, color, js strings.Builder
			if err := Diagnostics(&text, files, diags, Options{}); err != nil {
				t.Fatal(err)
			}
			if err := Diagnostics(&color, files, diags, Options{Color: true}); err != nil {
				t.Fatal(err)
			}
			if err := DiagnosticsJSON(&js, diags); err != nil {
				t.Fatal(err)
			}
			golden(t, "diagnostics/"+name+".txt", text.String())
			golden(t, "diagnostics/"+name+".ansi.txt", color.String())
			golden(t, "diagnostics/"+name+".json", js.String())
			if strings.Contains(text.String(), "\x1b[") {
				t.Error("diagnostics without colour hold an ANSI escape sequence")
			}
		})
	}
}

// TestDiagnosticsJSONCounts checks the figures tools act on: valid, the
// counts, and ranges where there is one.
func TestDiagnosticsJSONCounts(t *testing.T) {
	t.Parallel()
	_, cases := diagnosticsCases(t)
	tests := map[string]struct {
		valid            bool
		errors, warnings int
	}{
		"one_error":  {false, 1, 0},
		"several":    {false, 3, 1},
		"no_range":   {true, 0, 1},
		"no_problem": {true, 0, 0},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var b strings.Builder
			if err := DiagnosticsJSON(&b, cases[name]); err != nil {
				t.Fatal(err)
			}
			var got jsonDiagnostics
			if err := json.Unmarshal([]byte(b.String()), &got); err != nil {
				t.Fatal(err)
			}
			if got.FormatVersion != 1 || got.Valid != tt.valid || got.ErrorCount != tt.errors || got.WarningCount != tt.warnings {
				t.Errorf("got format_version %d, valid %v, %d errors, %d warnings; want 1, %v, %d, %d",
					got.FormatVersion, got.Valid, got.ErrorCount, got.WarningCount, tt.valid, tt.errors, tt.warnings)
			}
			if got.Diagnostics == nil {
				t.Error("diagnostics is null, want a list")
			}
			for i, d := range got.Diagnostics {
				if (d.Range != nil) != (cases[name][i].Subject != nil) {
					t.Errorf("diagnostic %d: range %v for subject %v", i, d.Range, cases[name][i].Subject)
				}
			}
		})
	}
}

// TestDiagnosticsFromTheStackLanguage renders what the stack language
// reports for a real mistake: the file, line and column, the source line,
// and the fix.
func TestDiagnosticsFromTheStackLanguage(t *testing.T) {
	t.Parallel()
	fsys := fstest.MapFS{
		"main.stack.hcl": &fstest.MapFile{Data: []byte(diagSources["main.stack.hcl"])},
		"env.stack.hcl":  &fstest.MapFile{Data: []byte("environment \"dev\" {\n  provider = \"sim\"\n  stage    = \"cached\"\n}\n")},
	}
	st, diags := stacks.LoadFS(fsys, ".")
	if !diags.HasErrors() {
		diags = append(diags, st.Validate(stacks.ValidateRequest{})...)
	}
	if !diags.HasErrors() {
		t.Fatal("the stack language found nothing wrong with engine = \"valkey\"")
	}
	var files map[string]*hcl.File
	if st != nil {
		files = st.Files
	}
	var b strings.Builder
	if err := Diagnostics(&b, files, diags, Options{Width: 60}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Error: ", "main.stack.hcl:3:17", `engine    = "valkey"`, "redis"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("rendered diagnostics lack %q:\n%s", want, b.String())
		}
	}
}
