package funcs

import (
	"testing"

	"github.com/zclconf/go-cty/cty"
)

func TestStringFunctions(t *testing.T) {
	t.Parallel()
	runExprCases(t, stringCases())
}

func stringCases() map[string]exprCase {
	// A URL whose value is known only after apply, but known to start with
	// "https://".
	pendingURL := cty.UnknownVal(cty.String).Refine().StringPrefix("https://").NewValue()
	return map[string]exprCase{
		"replace substring": {expr: `replace("1 + 2 + 3", "+", "-")`, want: cty.StringVal("1 - 2 - 3")},
		"replace regex":     {expr: `replace("hello world", "/w.*d/", "everybody")`, want: cty.StringVal("hello everybody")},
		"replace regex with groups": {
			expr: `replace("version 1.2.3", "/(\\d+)\\.(\\d+)/", "$2.$1")`,
			want: cty.StringVal("version 2.1.3"),
		},
		"replace a lone slash is a substring": {expr: `replace("a/b", "/", "-")`, want: cty.StringVal("a-b")},
		"replace invalid regex": {
			expr:    `replace("x", "/(/", "y")`,
			wantErr: "/(/ is not a valid regular expression",
		},
		"startswith":     {expr: `startswith("hello world", "hello")`, want: cty.True},
		"startswith not": {expr: `startswith("hello world", "world")`, want: cty.False},
		"startswith known prefix of unknown string": {
			expr: `startswith(url, "https:")`,
			vars: map[string]cty.Value{"url": pendingURL},
			want: cty.True,
		},
		"startswith other prefix of unknown string": {
			expr: `startswith(url, "http://")`,
			vars: map[string]cty.Value{"url": pendingURL},
			want: cty.False,
		},
		"endswith":        {expr: `endswith("hello world", "world")`, want: cty.True},
		"endswith not":    {expr: `endswith("hello world", "hello")`, want: cty.False},
		"strcontains":     {expr: `strcontains("hello world", "wor")`, want: cty.True},
		"strcontains not": {expr: `strcontains("hello world", "wow")`, want: cty.False},
	}
}
