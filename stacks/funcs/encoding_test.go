package funcs

import (
	"testing"

	"github.com/zclconf/go-cty/cty"
)

func TestEncodingFunctions(t *testing.T) {
	t.Parallel()
	runExprCases(t, encodingCases())
}

func encodingCases() map[string]exprCase {
	return map[string]exprCase{
		"base64encode":         {expr: `base64encode("Hello World")`, want: cty.StringVal("SGVsbG8gV29ybGQ=")},
		"base64decode":         {expr: `base64decode("SGVsbG8gV29ybGQ=")`, want: cty.StringVal("Hello World")},
		"base64 round trip":    {expr: `base64decode(base64encode("☃ snow"))`, want: cty.StringVal("☃ snow")},
		"base64decode garbage": {expr: `base64decode("not base64!")`, wantErr: "the string is not valid standard Base64"},
		"base64decode binary":  {expr: `base64decode("/w==")`, wantErr: "the decoded bytes are not valid UTF-8 text"},
		"urlencode":            {expr: `urlencode("Hello World!")`, want: cty.StringVal("Hello+World%21")},
		"urlencode unicode":    {expr: `urlencode("☃")`, want: cty.StringVal("%E2%98%83")},
		"urlencode a query":    {expr: `"https://example.com/?q=${urlencode("a&b=c")}"`, want: cty.StringVal("https://example.com/?q=a%26b%3Dc")},
	}
}
