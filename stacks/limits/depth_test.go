package limits

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// deep nests one construct n levels deep, as a stack file would.
func deep(open, inner, close string, n int) []byte {
	return []byte("locals {\n  x = " + strings.Repeat(open, n) + inner + strings.Repeat(close, n) + "\n}\n")
}

func TestCheckNativeRefusesDeepNesting(t *testing.T) {
	const n = 100_000
	cases := map[string][]byte{
		"parentheses": deep("(", "1", ")", n),
		"lists":       deep("[", "1", "]", n),
		"objects":     deep("{a=", "1", "}", n),
		"templates":   deep(`"${`, "1", `}"`, n),
		"calls":       deep("abs(", "1", ")", n),
		"not":         deep("!", "true", "", n),
		"negation":    deep("-", "1", "", n),
		"blocks":      []byte(strings.Repeat("stage \"a\" {\n", n) + strings.Repeat("}\n", n)),
		"heredocs":    []byte("x = <<EOT\n" + strings.Repeat("${<<EOT\n", n) + "EOT\n"),
		"directives":  []byte("x = \"" + strings.Repeat("%{if true}", n) + strings.Repeat("%{endif}", n) + "\"\n"),
	}
	for name, src := range cases {
		t.Run(name, func(t *testing.T) {
			diags := CheckNative(src, "deep.hcl", hcl.InitialPos)
			if !diags.HasErrors() {
				t.Fatal("no error for nesting 100,000 deep")
			}
			d := diags[0]
			if d.Subject == nil || d.Subject.Filename != "deep.hcl" || d.Subject.Start.Line < 1 {
				t.Fatalf("diagnostic not located: %+v", d)
			}
			if !strings.Contains(d.Detail, "256") {
				t.Errorf("the detail does not state the limit: %s", d.Detail)
			}
		})
	}
}

func TestCheckNativeLocatesTheLevelOverTheLimit(t *testing.T) {
	src := deep("(", "1", ")", MaxDepth+1)
	diags := CheckNative(src, "f.hcl", hcl.InitialPos)
	if !diags.HasErrors() {
		t.Fatal("no error one level over the limit")
	}
	// "locals {" is one level, so the 256th parenthesis is the 257th level.
	if got, want := diags[0].Subject.Start, (hcl.Pos{Line: 2, Column: 6 + MaxDepth, Byte: 15 + MaxDepth - 1}); got != want {
		t.Errorf("located at %+v, want %+v", got, want)
	}
	if diags := CheckNative(deep("(", "1", ")", MaxDepth-1), "f.hcl", hcl.InitialPos); diags.HasErrors() {
		t.Errorf("refused nesting at the limit: %s", diags.Error())
	}
}

func TestCheckNativeIgnoresBracketsInStringsAndComments(t *testing.T) {
	many := strings.Repeat("(", 1000)
	for name, src := range map[string]string{
		"string":         `x = "` + many + `"`,
		"escaped quote":  `x = "\"` + many + `"`,
		"line comment":   "# " + many + "\nx = 1",
		"slash comment":  "// " + many + "\nx = 1",
		"block comment":  "/* " + many + " */ x = 1",
		"heredoc":        "x = <<-EOT\n  " + many + "\n  EOT\n",
		"escaped interp": `x = "$${` + many + `"`,
		"dashes":         "# " + strings.Repeat("-", 1000) + "\nx = \"" + strings.Repeat("-", 1000) + "\"",
	} {
		if diags := CheckNative([]byte(src), "f.hcl", hcl.InitialPos); diags.HasErrors() {
			t.Errorf("%s: refused: %s", name, diags.Error())
		}
	}
}

func TestCheckTemplate(t *testing.T) {
	if diags := CheckTemplate([]byte(strings.Repeat("${", 100_000)), "t.tmpl", hcl.InitialPos); !diags.HasErrors() {
		t.Error("no error for a template nesting 100,000 interpolations")
	}
	if diags := CheckTemplate([]byte(`"`+strings.Repeat("(", 1000)+`" %{ if x }${y}%{ endif }`), "t.tmpl", hcl.InitialPos); diags.HasErrors() {
		t.Errorf("refused a flat template: %s", diags.Error())
	}
}

func TestCheckJSON(t *testing.T) {
	const n = 100_000
	for name, src := range map[string]string{
		"arrays":           `{"locals": {"x": ` + strings.Repeat("[", n) + "1" + strings.Repeat("]", n) + "}}",
		"objects":          `{"locals": {"x": ` + strings.Repeat(`{"a":`, n) + "1" + strings.Repeat("}", n) + "}}",
		"template":         `{"locals": {"x": "${` + strings.Repeat("(", n) + "1" + strings.Repeat(")", n) + `}"}}`,
		"escaped template": `{"locals": {"x": "${` + strings.Repeat(`\u0028`, n) + `}"}}`,
		"type expression":  `{"variable": {"v": {"type": "` + strings.Repeat("list(", n) + `string` + strings.Repeat(")", n) + `"}}}`,
	} {
		diags := CheckJSON([]byte(src), "deep.hcl.json")
		if !diags.HasErrors() || diags[0].Subject == nil {
			t.Errorf("%s: no located error for nesting 100,000 deep", name)
		}
	}
	if diags := CheckJSON([]byte(`{"a": "[[[[ ]", "b": [[1], {"c": "\"${x}"}]}`), "ok.hcl.json"); diags.HasErrors() {
		t.Errorf("refused flat JSON: %s", diags.Error())
	}
	if err := JSONDepth([]byte(strings.Repeat("[", n))); err == nil {
		t.Error("JSONDepth accepted arrays nested 100,000 deep")
	}
	if err := JSONDepth([]byte(`["${((((((("]`)); err != nil {
		t.Errorf("JSONDepth looked into a string: %s", err)
	}
}

// lexDepth is how deep HCL's own lexer sees src nest, counted as the
// scans count: brackets, interpolations, if and for directives, and unary
// operators in a row.
func lexDepth(src []byte, template bool) int {
	var toks hclsyntax.Tokens
	if template {
		toks, _ = hclsyntax.LexTemplate(src, "f", hcl.InitialPos)
	} else {
		toks, _ = hclsyntax.LexConfig(src, "f", hcl.InitialPos)
	}
	// Closing tokens never take a count below zero: a stray one does not
	// make the parser's recursion shallower.
	braces, parens, controls, run, deepest := 0, 0, 0, 0, 0
	for i, tok := range toks {
		switch tok.Type {
		case hclsyntax.TokenOParen, hclsyntax.TokenOBrack:
			parens++
		case hclsyntax.TokenCParen, hclsyntax.TokenCBrack:
			parens = max0(parens - 1)
		case hclsyntax.TokenOBrace, hclsyntax.TokenTemplateInterp:
			braces++
		case hclsyntax.TokenCBrace, hclsyntax.TokenTemplateSeqEnd:
			braces = max0(braces - 1)
		case hclsyntax.TokenTemplateControl:
			braces++
			if i+1 < len(toks) && toks[i+1].Type == hclsyntax.TokenIdent {
				switch string(toks[i+1].Bytes) {
				case "if", "for":
					controls++
				case "endif", "endfor":
					controls = max0(controls - 1)
				}
			}
		}
		depth := braces + parens + controls
		if tok.Type == hclsyntax.TokenBang || tok.Type == hclsyntax.TokenMinus {
			run++
		} else if tok.Type != hclsyntax.TokenNewline && tok.Type != hclsyntax.TokenComment {
			run = 0
		}
		deepest = max(deepest, depth+run)
	}
	return deepest
}

// FuzzScanNative checks the byte scan against HCL's lexer: whatever the
// lexer sees nest deeper than a small limit, the scan refuses too, so that
// no input can slip past the scan into the parser's recursion.
func FuzzScanNative(f *testing.F) {
	for _, s := range []string{
		`x = ((((1))))`, `x = "${"${"${1}"}"}"`, "x = <<EOT\n${(((1)))}\nEOT\n",
		`x = "$${(((("`, `x = "%{if a}%{if b}((%{endif}%{endif}"`, "x = !!!!!-1",
		"# ((((\nx = [[[[1]]]]", "/* \" */ x = ((((1))))", `x = "\"((((" `, "x = \"a\n((((\"",
		"x = <<-A\n  ${<<B\n((((\nB\n}\n  A\n", "a { b { c { d {} } } }",
	} {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	const limit = 3
	f.Fuzz(func(t *testing.T, src []byte, template bool) {
		if !utf8.Valid(src) {
			return // refused before the scan
		}
		if got := lexDepth(src, template); got > limit && scanNative(src, template, limit) < 0 {
			t.Fatalf("HCL's lexer nests %d deep, the scan let it pass the limit %d", got, limit)
		}
	})
}

// BenchmarkCheckNative measures the scan on a stack of many resource
// blocks, to compare with parsing the same bytes.
func BenchmarkCheckNative(b *testing.B) {
	var sb strings.Builder
	for i := 0; i < 20000; i++ {
		sb.WriteString("  autoscaling_group \"app" + strings.Repeat("x", i%7) + "\" {\n    min = 1\n    max = var.max + 2\n    env = { A = \"${local.a}-x\", B = join(\",\", [for x in local.xs : x]) }\n    # a comment\n  }\n")
	}
	src := []byte("stage \"s\" {\n" + sb.String() + "}\n")
	b.SetBytes(int64(len(src)))
	b.Run("scan", func(b *testing.B) {
		for b.Loop() {
			if d := CheckNative(src, "f.hcl", hcl.InitialPos); d.HasErrors() {
				b.Fatal(d)
			}
		}
	})
	b.Run("parse", func(b *testing.B) {
		for b.Loop() {
			hclsyntax.ParseConfig(src, "f.hcl", hcl.InitialPos)
		}
	})
}
