package funcs

import (
	"testing"

	"github.com/zclconf/go-cty/cty"
)

func TestCollectionFunctions(t *testing.T) {
	t.Parallel()
	runExprCases(t, collectionCases())
}

func collectionCases() map[string]exprCase {
	return map[string]exprCase{
		"length of a list":   {expr: `length(["a", "b"])`, want: cty.NumberIntVal(2)},
		"length of a map":    {expr: `length({a = "b"})`, want: cty.NumberIntVal(1)},
		"length of a string": {expr: `length("hello")`, want: cty.NumberIntVal(5)},
		"length counts characters, not bytes": {
			expr: `length("cafe\u0301 ☕")`,
			want: cty.NumberIntVal(6),
		},
		"length of a set": {expr: `length(toset(["a", "a", "b"]))`, want: cty.NumberIntVal(2)},
		"length of a number": {
			expr:    `length(5)`,
			wantErr: "length needs a string, a collection or an object, not a number",
		},
		"index":              {expr: `index(["a", "b", "c"], "b")`, want: cty.NumberIntVal(1)},
		"index not found":    {expr: `index(["a", "b", "c"], "z")`, wantErr: "the list does not contain this value"},
		"index empty list":   {expr: `index([], "z")`, wantErr: "the list is empty"},
		"index of a string":  {expr: `index("abc", "a")`, wantErr: "index searches a list or tuple, not a string"},
		"coalesce":           {expr: `coalesce("", "b")`, want: cty.StringVal("b")},
		"coalesce skip null": {expr: `coalesce(null, 1, 2)`, want: cty.NumberIntVal(1)},
		"coalesce all empty": {expr: `coalesce(null, "")`, wantErr: "every argument of coalesce is null or an empty string"},
		"coalesce mixed types": {
			expr:    `coalesce(["a"], {b = "c"})`,
			wantErr: "all arguments of coalesce must have the same type",
		},
		"sum":          {expr: `sum([10, 13, 6, 4.5])`, want: cty.NumberFloatVal(33.5)},
		"sum of a set": {expr: `sum(toset([1, 2]))`, want: cty.NumberIntVal(3)},
		"sum empty":    {expr: `sum([])`, wantErr: "the list is empty, so it has no sum"},
		"sum strings":  {expr: `sum([1, "a"])`, wantErr: "element 1 of the list is a string; sum adds up numbers only"},
		"sum null":     {expr: `sum([1, null])`, wantErr: "element 1 of the list is null"},
		"sum of opposite infinities": {
			expr:    `sum([up, down])`,
			vars:    map[string]cty.Value{"up": cty.PositiveInfinity, "down": cty.NegativeInfinity},
			wantErr: "the list holds both positive and negative infinity, whose sum is not a number",
		},
		"sum unknown": {expr: `sum([1, pending])`, vars: map[string]cty.Value{"pending": cty.UnknownVal(cty.Number)}, want: cty.UnknownVal(cty.Number).RefineNotNull()},
		"length of an unknown list": {
			expr: `length(pending)`,
			vars: map[string]cty.Value{"pending": cty.UnknownVal(cty.List(cty.String))},
			// An unknown number, refined as cty refines every unknown length.
			want: cty.UnknownVal(cty.List(cty.String)).Length(),
		},
		"sum of a map":  {expr: `sum({a = 1})`, wantErr: "sum adds up a list, set or tuple of numbers, not a object"},
		"one empty":     {expr: `one([])`, want: cty.NullVal(cty.DynamicPseudoType)},
		"one empty set": {expr: `one(toset([]))`, want: cty.NullVal(cty.DynamicPseudoType)},
		"one":           {expr: `one(["hello"])`, want: cty.StringVal("hello")},
		"one of a list": {expr: `one(tolist(["hello"]))`, want: cty.StringVal("hello")},
		"one of two":    {expr: `one(["hello", "goodbye"])`, wantErr: "one needs a list with zero or one elements, but this one has 2"},
		"one of a list of two": {
			expr:    `one(tolist(["hello", "goodbye"]))`,
			wantErr: "one needs a list with zero or one elements, but this one has 2",
		},
		"alltrue":                    {expr: `alltrue(["true", true])`, want: cty.True},
		"alltrue one false":          {expr: `alltrue([true, false])`, want: cty.False},
		"alltrue empty":              {expr: `alltrue([])`, want: cty.True},
		"alltrue unknown":            {expr: `alltrue([true, pending])`, vars: map[string]cty.Value{"pending": cty.UnknownVal(cty.Bool)}, want: cty.UnknownVal(cty.Bool).RefineNotNull()},
		"alltrue unknown then false": {expr: `alltrue([pending, false])`, vars: map[string]cty.Value{"pending": cty.UnknownVal(cty.Bool)}, want: cty.False},
		"anytrue":                    {expr: `anytrue([false, "true"])`, want: cty.True},
		"anytrue none":               {expr: `anytrue([false, false])`, want: cty.False},
		"anytrue empty":              {expr: `anytrue([])`, want: cty.False},
		"anytrue not booleans":       {expr: `anytrue(["maybe"])`, wantErr: `Invalid value for "list" parameter`},
		"anytrue unknown then true":  {expr: `anytrue([pending, true])`, vars: map[string]cty.Value{"pending": cty.UnknownVal(cty.Bool)}, want: cty.True},
		"anytrue unknown then false": {expr: `anytrue([pending, false])`, vars: map[string]cty.Value{"pending": cty.UnknownVal(cty.Bool)}, want: cty.UnknownVal(cty.Bool).RefineNotNull()},
	}
}
