package render

import (
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/stagecraft/stagecraft/stacks"
)

func TestValue(t *testing.T) {
	t.Parallel()
	long := make([]string, 8)
	for i := range long {
		long[i] = "coord-00000" + string(rune('1'+i)) + ".internal:2379"
	}
	tests := map[string]struct {
		v    cty.Value
		want string
	}{
		"null":            {cty.NullVal(cty.String), "null"},
		"no value":        {cty.NilVal, "null"},
		"unknown":         {cty.UnknownVal(cty.String), "(known after apply)"},
		"string":          {str("redis"), `"redis"`},
		"escapes":         {str("say \"hi\"\\\n${var.x} %{if}"), `"say \"hi\"\\\n$${var.x} %%{if}"`},
		"number":          {cty.NumberFloatVal(1.5), "1.5"},
		"whole number":    {num(8080), "8080"},
		"bool":            {cty.True, "true"},
		"empty list":      {cty.ListValEmpty(cty.String), "[]"},
		"empty map":       {cty.MapValEmpty(cty.String), "{}"},
		"short list":      {strs("./bin/shop", "--port", "$PORT"), `["./bin/shop", "--port", "$PORT"]`},
		"long list":       {strs(long...), "[\n  \"" + strings.Join(long, "\",\n  \"") + "\",\n]"},
		"short map":       {strMap("REDIS_ADDR", "127.0.0.1:6379"), `{ REDIS_ADDR = "127.0.0.1:6379" }`},
		"quoted map keys": {strMap("a b", "1", "c-d", "2"), `{ "a b" = "1", c-d = "2" }`},
		"nested": {cty.ListVal([]cty.Value{cty.ObjectVal(map[string]cty.Value{"path": str("/"), "weight": num(100)})}),
			"[\n  { path = \"/\", weight = 100 },\n]"},
		"unknown inside":               {cty.ListVal([]cty.Value{str("a"), cty.UnknownVal(cty.String)}), `["a", (known after apply)]`},
		"sensitive":                    {str(secret).Mark(stacks.Sensitive), "(sensitive)"},
		"sensitive inside":             {cty.ObjectVal(map[string]cty.Value{"user": str("app"), "password": str(secret).Mark(stacks.Sensitive)}), `{ password = (sensitive), user = "app" }`},
		"sensitive list":               {strs("a", secret).Mark(stacks.Sensitive), "(sensitive)"},
		"multi-line string":            {str("#!/bin/sh\nexec app\n"), "<<-EOT\n  #!/bin/sh\n  exec app\nEOT"},
		"one-line string with newline": {str("a\nb"), `"a\nb"`},
		"heredoc marker clash":         {str("one\nEOT\n"), "<<-EOT_\n  one\n  EOT\nEOT_"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if got := Value(tt.v); got != tt.want {
				t.Errorf("Value(%#v) =\n%s\nwant\n%s", tt.v, got, tt.want)
			}
		})
	}
}

func TestSummary(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"migration":  "Plan: 1 to create, 1 to update, 0 to replace, 0 to destroy.",
		"lifecycle":  "Plan: 1 to create, 1 to update, 2 to replace, 2 to destroy.",
		"destroy":    "Plan: 0 to create, 0 to update, 0 to replace, 3 to destroy.",
		"no_changes": `No changes. The environment matches stage "cached".`,
		"stage_only": `No resource changes. Applying records stage "cached-v2" and 1 changed output.`,
	}
	for name, want := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if got := Summary(fixtures[name]()); got != want {
				t.Errorf("Summary = %q, want %q", got, want)
			}
		})
	}
	t.Run("nothing to destroy", func(t *testing.T) {
		t.Parallel()
		p := destroyPlan()
		p.Changes, p.Outputs = nil, nil
		if got, want := Summary(p), "No changes. There is nothing to destroy."; got != want {
			t.Errorf("Summary = %q, want %q", got, want)
		}
	})
}
