package stacks

import (
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
)

func TestForBudget(t *testing.T) {
	ctx := &hcl.EvalContext{
		Functions: map[string]function.Function{"range": stdlib.RangeFunc},
		Variables: map[string]cty.Value{"n": cty.NumberIntVal(1000)},
	}
	for _, tc := range []struct {
		name, src, refused string
	}{
		{"three nested loops", `[for a in range(1000): [for b in range(1000): [for c in range(1000): a+b+c]]]`, "would run 1000000000 times"},
		{"over by one level", `[for a in range(1000): [for b in range(1001): b]]`, "would run 1001000 times"},
		{"at the limit", `[for a in range(1000): [for b in range(1000): b]]`, ""},
		{"bomb inside a collection", `[for x in [for a in range(1000): [for b in range(1000): [for c in range(2): c]]]: x]`, "would run 2000000 times"},
		{"bomb in a condition", `[for a in range(1000): a if length([for b in range(1000): [for c in range(2): c]]) > 0]`, "would run 2000000 times"},
		{"template directive", "\"%{ for a in range(1000) }%{ for b in range(1000) }%{ for c in range(2) }x%{ endfor }%{ endfor }%{ endfor }\"", "would run 2000000 times"},
		{"literal lists without functions", "[for a in [" + strings.Repeat("1,", 1000) + "]: [for b in [" + strings.Repeat("1,", 1001) + "]: b]]", "would run 1001000 times"},
		{"collection from the loop variable", `[for a in range(1000): [for b in range(a): b]]`, ""},
		{"empty outer loop", `[for a in []: [for b in range(1000): [for c in range(1000): c]]]`, ""},
		{"sibling loops add up", `[[for a in range(1000): a], [for b in range(1000): b]]`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			expr, diags := hclsyntax.ParseExpression([]byte(tc.src), "test.hcl", hcl.InitialPos)
			if diags.HasErrors() {
				t.Fatalf("parse: %s", diags.Error())
			}
			c := ctx
			if strings.HasPrefix(tc.name, "literal") {
				c = nil
			}
			_, diags = exprValue(expr, c)
			if tc.refused == "" {
				if diags.HasErrors() {
					t.Fatalf("refused: %s", diags.Error())
				}
				return
			}
			if !diags.HasErrors() || !strings.Contains(diags.Error(), tc.refused) {
				t.Fatalf("want a refusal saying %q, got %v", tc.refused, diags)
			}
			if diags[0].Subject == nil || diags[0].Subject.Filename != "test.hcl" {
				t.Fatalf("diagnostic has no location: %v", diags[0])
			}
		})
	}
}
