package funcs

import (
	"io/fs"

	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
)

// Functions returns the function table for evaluating stack expressions.
//
// baseDir is the directory (inside fsys, slash-separated, "." for the root)
// that file paths in file(), templatefile() and fileexists() are relative to.
// fsys is where files are read from; paths that would leave it are refused.
//
// Every call returns a new map, so a caller may add or remove entries without
// affecting any other evaluation.
//
// The functions that can build a result far larger than their arguments
// (setproduct, flatten, concat, setunion, join, format, formatlist, replace,
// indent, jsonencode) are wrapped by limited (limit.go): they
// refuse to build more than limits.MaxElements elements or a string over
// limits.MaxStringSize.
func Functions(fsys fs.FS, baseDir string) map[string]function.Function {
	files := fileReader{fsys: fsys, baseDir: baseDir}
	table := map[string]function.Function{
		// Numbers.
		"abs":      stdlib.AbsoluteFunc,
		"ceil":     stdlib.CeilFunc,
		"floor":    stdlib.FloorFunc,
		"log":      stdlib.LogFunc,
		"max":      stdlib.MaxFunc,
		"min":      stdlib.MinFunc,
		"parseint": stdlib.ParseIntFunc,
		"pow":      stdlib.PowFunc,
		"signum":   stdlib.SignumFunc,
		"sum":      sumFunc,

		// Strings.
		"chomp":       stdlib.ChompFunc,
		"endswith":    endsWithFunc,
		"format":      limited(stdlib.FormatFunc, formatCheck),
		"formatlist":  limited(stdlib.FormatListFunc, formatlistCheck),
		"indent":      limited(stdlib.IndentFunc, indentCheck),
		"join":        limited(stdlib.JoinFunc, joinCheck),
		"lower":       stdlib.LowerFunc,
		"regex":       stdlib.RegexFunc,
		"regexall":    stdlib.RegexAllFunc,
		"replace":     limited(replaceFunc, replaceCheck),
		"split":       stdlib.SplitFunc,
		"startswith":  startsWithFunc,
		"strcontains": strContainsFunc,
		"strrev":      stdlib.ReverseFunc,
		"substr":      stdlib.SubstrFunc,
		"title":       stdlib.TitleFunc,
		"trim":        stdlib.TrimFunc,
		"trimprefix":  stdlib.TrimPrefixFunc,
		"trimspace":   stdlib.TrimSpaceFunc,
		"trimsuffix":  stdlib.TrimSuffixFunc,
		"upper":       stdlib.UpperFunc,

		// Collections.
		"alltrue":         allTrueFunc,
		"anytrue":         anyTrueFunc,
		"chunklist":       stdlib.ChunklistFunc,
		"coalesce":        coalesceFunc,
		"coalescelist":    stdlib.CoalesceListFunc,
		"compact":         stdlib.CompactFunc,
		"concat":          limited(stdlib.ConcatFunc, sumCheck("concat")),
		"contains":        stdlib.ContainsFunc,
		"distinct":        stdlib.DistinctFunc,
		"element":         stdlib.ElementFunc,
		"flatten":         limited(stdlib.FlattenFunc, flattenCheck),
		"index":           indexFunc, // stdlib's index looks up by key; Terraform's searches for a value.
		"keys":            stdlib.KeysFunc,
		"length":          lengthFunc, // stdlib's length does not count the characters of a string.
		"lookup":          stdlib.LookupFunc,
		"merge":           stdlib.MergeFunc,
		"one":             oneFunc,
		"range":           stdlib.RangeFunc, // refuses more than 1024 values itself
		"reverse":         stdlib.ReverseListFunc,
		"setintersection": stdlib.SetIntersectionFunc,
		"setproduct":      limited(stdlib.SetProductFunc, productCheck),
		"setsubtract":     stdlib.SetSubtractFunc,
		"setunion":        limited(stdlib.SetUnionFunc, sumCheck("setunion")),
		"slice":           stdlib.SliceFunc,
		"sort":            stdlib.SortFunc,
		"values":          stdlib.ValuesFunc,
		"zipmap":          stdlib.ZipmapFunc,

		// Encodings and hashes.
		"base64decode": base64DecodeFunc,
		"base64encode": base64EncodeFunc,
		"csvdecode":    stdlib.CSVDecodeFunc,
		"jsondecode":   jsonDecodeFunc,
		"jsonencode":   limited(stdlib.JSONEncodeFunc, jsonencodeCheck),
		"md5":          md5Func,
		"sha1":         sha1Func,
		"sha256":       sha256Func,
		"urlencode":    urlEncodeFunc,

		// Date and time (no timestamp(): see the package documentation).
		"formatdate": stdlib.FormatDateFunc,
		"timeadd":    stdlib.TimeAddFunc,

		// Type conversions.
		"tobool":   makeToFunc(cty.Bool),
		"tolist":   makeToFunc(cty.List(cty.DynamicPseudoType)),
		"tomap":    makeToFunc(cty.Map(cty.DynamicPseudoType)),
		"tonumber": makeToFunc(cty.Number),
		"toset":    makeToFunc(cty.Set(cty.DynamicPseudoType)),
		"tostring": makeToFunc(cty.String),

		// Files, relative to baseDir.
		"file":       files.fileFunc(),
		"fileexists": files.fileExistsFunc(),

		// Networks.
		"cidrhost":    cidrHostFunc,
		"cidrnetmask": cidrNetmaskFunc,
		"cidrsubnet":  cidrSubnetFunc,
		"cidrsubnets": cidrSubnetsFunc,
	}
	// templatefile goes in last: a template is evaluated with every other
	// function of this table, so the table must be complete before it.
	table["templatefile"] = files.templateFileFunc(table)
	return table
}

// refineNotNull tells cty that a function's result, even while unknown, is
// never null, so that expressions depending on it can be checked early.
func refineNotNull(b *cty.RefinementBuilder) *cty.RefinementBuilder {
	return b.NotNull()
}
