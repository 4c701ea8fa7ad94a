package funcs

import (
	"io/fs"
	"maps"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// wantFunctions is every function a stack expression may call. A function
// added to or dropped from the table must be added to or dropped from here,
// and tested.
var wantFunctions = []string{
	// Numbers.
	"abs", "ceil", "floor", "log", "max", "min", "parseint", "pow", "signum", "sum",
	// Strings.
	"chomp", "endswith", "format", "formatlist", "indent", "join", "lower",
	"regex", "regexall", "replace", "split", "startswith", "strcontains",
	"strrev", "substr", "title", "trim", "trimprefix", "trimspace",
	"trimsuffix", "upper",
	// Collections.
	"alltrue", "anytrue", "chunklist", "coalesce", "coalescelist", "compact",
	"concat", "contains", "distinct", "element", "flatten", "index", "keys",
	"length", "lookup", "merge", "one", "range", "reverse", "setintersection",
	"setproduct", "setsubtract", "setunion", "slice", "sort", "values", "zipmap",
	// Encodings and hashes.
	"base64decode", "base64encode", "csvdecode", "jsondecode", "jsonencode",
	"md5", "sha1", "sha256", "urlencode",
	// Date and time.
	"formatdate", "timeadd",
	// Type conversions.
	"tobool", "tolist", "tomap", "tonumber", "toset", "tostring",
	// Files.
	"file", "fileexists", "templatefile",
	// Networks.
	"cidrhost", "cidrnetmask", "cidrsubnet", "cidrsubnets",
}

// exprCase is one stack expression evaluated with the function table, and
// what it must produce: the value want, or an error whose text contains
// wantErr.
type exprCase struct {
	expr    string
	vars    map[string]cty.Value // variables the expression may refer to
	files   fstest.MapFS         // the stack directory; empty when nil
	baseDir string               // "." when empty
	want    cty.Value
	wantErr string
}

// evalExpr parses src as an HCL expression and evaluates it with the function
// table over fsys, as the stacks package does.
func evalExpr(t *testing.T, src string, vars map[string]cty.Value, fsys fs.FS, baseDir string) (cty.Value, hcl.Diagnostics) {
	t.Helper()
	expr, diags := hclsyntax.ParseExpression([]byte(src), "test.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatalf("parse %s: %s", src, diags.Error())
	}
	if baseDir == "" {
		baseDir = "."
	}
	ctx := &hcl.EvalContext{Variables: vars, Functions: Functions(fsys, baseDir)}
	return expr.Value(ctx)
}

// runExprCases runs each case as a parallel subtest.
func runExprCases(t *testing.T, cases map[string]exprCase) {
	t.Helper()
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			fsys := tc.files
			if fsys == nil {
				fsys = fstest.MapFS{}
			}
			got, diags := evalExpr(t, tc.expr, tc.vars, fsys, tc.baseDir)
			if tc.wantErr != "" {
				if !diags.HasErrors() {
					t.Fatalf("%s = %#v, want an error containing %q", tc.expr, got, tc.wantErr)
				}
				if msg := diags.Error(); !strings.Contains(msg, tc.wantErr) {
					t.Fatalf("%s: error %q does not contain %q", tc.expr, msg, tc.wantErr)
				}
				return
			}
			if diags.HasErrors() {
				t.Fatalf("%s: unexpected error: %s", tc.expr, diags.Error())
			}
			if !got.RawEquals(tc.want) {
				t.Fatalf("%s\n got: %#v\nwant: %#v", tc.expr, got, tc.want)
			}
		})
	}
}

// allExprCases gathers the cases of every test file, so that
// TestEveryFunctionIsCalled can check that each function is tested.
func allExprCases() map[string]exprCase {
	all := map[string]exprCase{}
	for _, cases := range []map[string]exprCase{
		stdlibCases(), stringCases(), collectionCases(), conversionCases(),
		encodingCases(), hashCases(), fileCases(), templateCases(), cidrCases(),
	} {
		maps.Copy(all, cases)
	}
	return all
}

func TestFunctionsHasExactlyTheLibrary(t *testing.T) {
	t.Parallel()
	got := slices.Sorted(maps.Keys(Functions(fstest.MapFS{}, ".")))
	want := slices.Sorted(slices.Values(wantFunctions))
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("function names (-want +got):\n%s", diff)
	}
}

func TestFunctionsReturnsAFreshTable(t *testing.T) {
	t.Parallel()
	fsys := fstest.MapFS{}
	first := Functions(fsys, ".")
	delete(first, "upper")
	if _, ok := Functions(fsys, ".")["upper"]; !ok {
		t.Fatal("deleting a function from one table removed it from the next one")
	}
}

func TestEveryFunctionIsCalled(t *testing.T) {
	t.Parallel()
	called := map[string]bool{}
	for name, tc := range allExprCases() {
		expr, diags := hclsyntax.ParseExpression([]byte(tc.expr), name, hcl.InitialPos)
		if diags.HasErrors() {
			t.Fatalf("case %q: parse %s: %s", name, tc.expr, diags.Error())
		}
		hclsyntax.VisitAll(expr, func(n hclsyntax.Node) hcl.Diagnostics {
			if call, ok := n.(*hclsyntax.FunctionCallExpr); ok {
				called[call.Name] = true
			}
			return nil
		})
	}
	for _, name := range wantFunctions {
		if !called[name] {
			t.Errorf("no test case calls %s()", name)
		}
	}
}

func TestStdlibFunctions(t *testing.T) {
	t.Parallel()
	runExprCases(t, stdlibCases())
}

// stdlibCases calls each function that comes straight from go-cty's stdlib,
// mostly with the examples of Terraform's documentation, to show the name is
// wired to the function Terraform users know.
func stdlibCases() map[string]exprCase {
	strs := func(ss ...string) []cty.Value {
		vals := make([]cty.Value, len(ss))
		for i, s := range ss {
			vals[i] = cty.StringVal(s)
		}
		return vals
	}
	return map[string]exprCase{
		"abs":      {expr: `abs(-12.4)`, want: cty.NumberFloatVal(12.4)},
		"ceil":     {expr: `ceil(4.2)`, want: cty.NumberIntVal(5)},
		"floor":    {expr: `floor(4.9)`, want: cty.NumberIntVal(4)},
		"log":      {expr: `log(16, 2)`, want: cty.NumberIntVal(4)},
		"max":      {expr: `max(12, 54, 3)`, want: cty.NumberIntVal(54)},
		"max list": {expr: `max([12, 54, 3]...)`, want: cty.NumberIntVal(54)},
		"min":      {expr: `min(12, 54, 3)`, want: cty.NumberIntVal(3)},
		"parseint": {expr: `parseint("FF", 16)`, want: cty.NumberIntVal(255)},
		"parseint bad digit": {
			expr:    `parseint("12", 2)`,
			wantErr: `cannot parse "12" as a base 2 integer`,
		},
		"pow":        {expr: `pow(3, 2)`, want: cty.NumberIntVal(9)},
		"signum":     {expr: `signum(-13)`, want: cty.NumberIntVal(-1)},
		"chomp":      {expr: `chomp("hello\n\n")`, want: cty.StringVal("hello")},
		"format":     {expr: `format("Hello, %s!", "Ander")`, want: cty.StringVal("Hello, Ander!")},
		"format %d":  {expr: `format("There are %d lights", 4)`, want: cty.StringVal("There are 4 lights")},
		"formatlist": {expr: `formatlist("Hello, %s!", ["Valentina", "Ander"])`, want: cty.ListVal(strs("Hello, Valentina!", "Hello, Ander!"))},
		"indent":     {expr: `"list:\n  ${indent(2, "[\n  foo,\n]")}"`, want: cty.StringVal("list:\n  [\n    foo,\n  ]")},
		"join":       {expr: `join(", ", ["foo", "bar", "baz"])`, want: cty.StringVal("foo, bar, baz")},
		"lower":      {expr: `lower("HELLO")`, want: cty.StringVal("hello")},
		"upper":      {expr: `upper("hello")`, want: cty.StringVal("HELLO")},
		"regex":      {expr: `regex("[a-z]+", "53453453.345345aaabbbccc23454")`, want: cty.StringVal("aaabbbccc")},
		"regex named groups": {
			expr: `regex("^(?P<user>[^@]+)@(?P<domain>.+)$", "ops@example.com")`,
			want: cty.ObjectVal(map[string]cty.Value{"user": cty.StringVal("ops"), "domain": cty.StringVal("example.com")}),
		},
		"regex no match": {expr: `regex("[a-z]+", "1234")`, wantErr: "pattern did not match any part of the given string"},
		"regexall":       {expr: `regexall("[a-z]+", "1234abcd5678efgh9")`, want: cty.ListVal(strs("abcd", "efgh"))},
		"split":          {expr: `split(",", "foo,bar,baz")`, want: cty.ListVal(strs("foo", "bar", "baz"))},
		"strrev":         {expr: `strrev("hello")`, want: cty.StringVal("olleh")},
		"substr":         {expr: `substr("hello world", 1, 4)`, want: cty.StringVal("ello")},
		"title":          {expr: `title("hello world")`, want: cty.StringVal("Hello World")},
		"trim":           {expr: `trim("?!hello?!", "!?")`, want: cty.StringVal("hello")},
		"trimprefix":     {expr: `trimprefix("helloworld", "hello")`, want: cty.StringVal("world")},
		"trimsuffix":     {expr: `trimsuffix("helloworld", "world")`, want: cty.StringVal("hello")},
		"trimspace":      {expr: `trimspace("  hello\n\n")`, want: cty.StringVal("hello")},
		"chunklist": {
			expr: `chunklist(["a", "b", "c", "d", "e"], 2)`,
			want: cty.ListVal([]cty.Value{cty.ListVal(strs("a", "b")), cty.ListVal(strs("c", "d")), cty.ListVal(strs("e"))}),
		},
		"coalescelist": {expr: `coalescelist([], ["c", "d"])`, want: cty.TupleVal(strs("c", "d"))},
		"compact":      {expr: `compact(["a", "", "b", null, "c"])`, want: cty.ListVal(strs("a", "b", "c"))},
		"concat":       {expr: `concat(["a", ""], ["b", "c"])`, want: cty.TupleVal(strs("a", "", "b", "c"))},
		"contains":     {expr: `contains(["a", "b", "c"], "a")`, want: cty.True},
		"contains not": {expr: `contains(["a", "b", "c"], "d")`, want: cty.False},
		"distinct":     {expr: `distinct(["a", "b", "a", "c", "d", "b"])`, want: cty.ListVal(strs("a", "b", "c", "d"))},
		"element":      {expr: `element(["a", "b", "c"], 1)`, want: cty.StringVal("b")},
		"element wraps": {
			expr: `element(["a", "b", "c"], 3)`,
			want: cty.StringVal("a"),
		},
		"flatten": {expr: `flatten([["a", "b"], [], ["c"]])`, want: cty.TupleVal(strs("a", "b", "c"))},
		"keys":    {expr: `keys({a = 1, c = 2, d = 3})`, want: cty.TupleVal(strs("a", "c", "d"))},
		"lookup":  {expr: `lookup({a = "ay", b = "bee"}, "a", "what?")`, want: cty.StringVal("ay")},
		"lookup default": {
			expr: `lookup({a = "ay", b = "bee"}, "c", "what?")`,
			want: cty.StringVal("what?"),
		},
		"merge": {
			expr: `merge({a = "b", c = "d"}, {e = "f", c = "z"})`,
			want: cty.ObjectVal(map[string]cty.Value{"a": cty.StringVal("b"), "c": cty.StringVal("z"), "e": cty.StringVal("f")}),
		},
		"range":   {expr: `range(3)`, want: cty.ListVal([]cty.Value{cty.NumberIntVal(0), cty.NumberIntVal(1), cty.NumberIntVal(2)})},
		"reverse": {expr: `reverse([1, 2, 3])`, want: cty.TupleVal([]cty.Value{cty.NumberIntVal(3), cty.NumberIntVal(2), cty.NumberIntVal(1)})},
		"setintersection": {
			expr: `setintersection(["a", "b"], ["b", "c"], ["b", "d"])`,
			want: cty.SetVal(strs("b")),
		},
		"setproduct": {
			expr: `setproduct(["development", "staging"], ["app1", "app2"])`,
			want: cty.ListVal([]cty.Value{
				cty.TupleVal(strs("development", "app1")),
				cty.TupleVal(strs("development", "app2")),
				cty.TupleVal(strs("staging", "app1")),
				cty.TupleVal(strs("staging", "app2")),
			}),
		},
		"setsubtract": {expr: `setsubtract(["a", "b", "c"], ["a", "c"])`, want: cty.SetVal(strs("b"))},
		"setunion":    {expr: `setunion(["a", "b"], ["b", "c"], ["d"])`, want: cty.SetVal(strs("a", "b", "c", "d"))},
		"slice":       {expr: `slice(["a", "b", "c", "d"], 1, 3)`, want: cty.TupleVal(strs("b", "c"))},
		"sort":        {expr: `sort(["e", "d", "a", "x"])`, want: cty.ListVal(strs("a", "d", "e", "x"))},
		"values":      {expr: `values({a = 3, c = 2, d = 1})`, want: cty.TupleVal([]cty.Value{cty.NumberIntVal(3), cty.NumberIntVal(2), cty.NumberIntVal(1)})},
		"zipmap": {
			expr: `zipmap(["a", "b"], [1, 2])`,
			want: cty.ObjectVal(map[string]cty.Value{"a": cty.NumberIntVal(1), "b": cty.NumberIntVal(2)}),
		},
		"jsonencode": {expr: `jsonencode({hello = "world", ports = [80, 443]})`, want: cty.StringVal(`{"hello":"world","ports":[80,443]}`)},
		"jsondecode": {
			expr: `jsondecode("{\"hello\": \"world\"}")`,
			want: cty.ObjectVal(map[string]cty.Value{"hello": cty.StringVal("world")}),
		},
		"jsondecode invalid": {expr: `jsondecode("{")`, wantErr: "Call to function \"jsondecode\" failed"},
		"csvdecode": {
			expr: `csvdecode("a,b\n1,2\n3,4\n")`,
			want: cty.ListVal([]cty.Value{
				cty.ObjectVal(map[string]cty.Value{"a": cty.StringVal("1"), "b": cty.StringVal("2")}),
				cty.ObjectVal(map[string]cty.Value{"a": cty.StringVal("3"), "b": cty.StringVal("4")}),
			}),
		},
		"formatdate": {expr: `formatdate("DD MMM YYYY hh:mm ZZZ", "2018-01-02T23:12:01Z")`, want: cty.StringVal("02 Jan 2018 23:12 UTC")},
		"timeadd":    {expr: `timeadd("2017-11-22T00:00:00Z", "10m")`, want: cty.StringVal("2017-11-22T00:10:00Z")},
		"timeadd bad duration": {
			expr:    `timeadd("2017-11-22T00:00:00Z", "ten minutes")`,
			wantErr: `invalid duration "ten minutes"`,
		},
	}
}

func TestMarksSurviveFunctionCalls(t *testing.T) {
	t.Parallel()
	secret := cty.StringVal("hunter2").Mark("sensitive")
	cases := map[string]struct {
		expr string
		want cty.Value
	}{
		"upper":           {expr: `upper(secret)`, want: cty.StringVal("HUNTER2").Mark("sensitive")},
		"sha256":          {expr: `sha256(secret)`, want: cty.StringVal("f52fbd32b2b3b86ff88ef6c490628285f482af15ddcb29541f94bcf526a3f6c7").Mark("sensitive")},
		"inside a list":   {expr: `join(",", ["a", secret])`, want: cty.StringVal("a,hunter2").Mark("sensitive")},
		"tostring":        {expr: `tostring(secret)`, want: secret},
		"length of a str": {expr: `length(secret)`, want: cty.NumberIntVal(7).Mark("sensitive")},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, diags := evalExpr(t, tc.expr, map[string]cty.Value{"secret": secret}, fstest.MapFS{}, ".")
			if diags.HasErrors() {
				t.Fatalf("%s: %s", tc.expr, diags.Error())
			}
			if !got.HasMark("sensitive") {
				t.Fatalf("%s = %#v lost the sensitive mark", tc.expr, got)
			}
			if !got.RawEquals(tc.want) {
				t.Fatalf("%s\n got: %#v\nwant: %#v", tc.expr, got, tc.want)
			}
		})
	}
}

func TestArgumentErrorsPointAtTheArgument(t *testing.T) {
	t.Parallel()
	cases := map[string]struct {
		expr string
		arg  string // the argument the diagnostic must point into
	}{
		"cidrhost hostnum": {expr: `cidrhost("10.0.0.0/24", 300)`, arg: `300`},
		"file path":        {expr: `file("../etc/passwd")`, arg: `"../etc/passwd"`},
		"replace pattern":  {expr: `replace("x", "/(/", "y")`, arg: `"/(/"`},
		"templatefile vars": {
			expr: `templatefile("a.tmpl", {nmae = 1})`,
			arg:  `{nmae = 1}`,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			files := fstest.MapFS{"a.tmpl": {Data: []byte("${name}")}}
			_, diags := evalExpr(t, tc.expr, nil, files, ".")
			if len(diags) != 1 {
				t.Fatalf("%s: got %d diagnostics, want 1: %s", tc.expr, len(diags), diags.Error())
			}
			d := diags[0]
			if d.Summary != "Invalid function argument" {
				t.Fatalf("%s: summary %q, want %q", tc.expr, d.Summary, "Invalid function argument")
			}
			// Columns count from 1, offsets into the one-line source from 0.
			argStart := strings.Index(tc.expr, tc.arg)
			argEnd := argStart + len(tc.arg)
			if d.Subject == nil || d.Subject.Start.Byte < argStart || d.Subject.End.Byte > argEnd {
				t.Fatalf("%s: diagnostic subject %v, want it inside %s (bytes %d to %d)", tc.expr, d.Subject, tc.arg, argStart, argEnd)
			}
		})
	}
}
