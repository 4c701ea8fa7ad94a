package funcs

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"hash"

	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
)

// md5Func, sha1Func and sha256Func are Terraform's md5, sha1 and sha256: the
// hash of a string's UTF-8 bytes, as lowercase hexadecimal. MD5 and SHA-1 are
// here for compatibility with systems that ask for them (ETags, cache keys),
// not for security.
var (
	md5Func    = makeHashFunc("MD5", md5.New)
	sha1Func   = makeHashFunc("SHA-1", sha1.New)
	sha256Func = makeHashFunc("SHA-256", sha256.New)
)

// makeHashFunc builds a function that returns the hexadecimal digest of its
// string argument with the hash newHash makes.
func makeHashFunc(name string, newHash func() hash.Hash) function.Function {
	return function.New(&function.Spec{
		Description: "Returns the " + name + " hash of a string's UTF-8 bytes, in hexadecimal.",
		Params: []function.Parameter{
			{Name: "str", Type: cty.String},
		},
		Type:         function.StaticReturnType(cty.String),
		RefineResult: refineNotNull,
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			h := newHash()
			h.Write([]byte(args[0].AsString()))
			return cty.StringVal(hex.EncodeToString(h.Sum(nil))), nil
		},
	})
}
