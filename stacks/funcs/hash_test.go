package funcs

import (
	"testing"

	"github.com/zclconf/go-cty/cty"
)

func TestHashFunctions(t *testing.T) {
	t.Parallel()
	runExprCases(t, hashCases())
}

// hashCases compare with the digests that md5sum, sha1sum and sha256sum print
// for the same bytes.
func hashCases() map[string]exprCase {
	return map[string]exprCase{
		"md5":          {expr: `md5("hello world")`, want: cty.StringVal("5eb63bbbe01eeed093cb22bb8f5acdc3")},
		"sha1":         {expr: `sha1("hello world")`, want: cty.StringVal("2aae6c35c94fcfb415dbe95f408b9ce91ee846ed")},
		"sha256":       {expr: `sha256("hello world")`, want: cty.StringVal("b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9")},
		"sha256 empty": {expr: `sha256("")`, want: cty.StringVal("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")},
	}
}
