package funcs

import (
	"fmt"
	"math"
	"math/big"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"

	"github.com/stagecraft/stagecraft/stacks/limits"
)

// A few functions build results far larger than their arguments:
// setproduct(range(300), range(300), range(300)) is 27 million elements,
// join over a list of a million references to one 4 MiB string is 4 TB.
// The wrappers below compute the size of the result from the arguments
// and refuse, before anything is allocated, a collection of more than
// limits.MaxElements elements or a string of more than
// limits.MaxStringSize bytes.

// limited returns f with check run on the arguments first; an error from
// check is the function's error.
func limited(f function.Function, check func(args []cty.Value) error) function.Function {
	spec := &function.Spec{
		Description: f.Description(),
		Params:      f.Params(),
		VarParam:    f.VarParam(),
		Type:        f.ReturnTypeForValues,
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			if err := check(args); err != nil {
				return cty.NilVal, err
			}
			return f.Call(args)
		},
	}
	return function.New(spec)
}

// tooMany is the error for a collection of n elements built by fn.
func tooMany(fn string, n float64) error {
	return fmt.Errorf("%s: the result would have %s elements, more than %d, the limit for a collection built by a function", fn, count(n), limits.MaxElements)
}

// tooLong is the error for a string of n bytes built by fn.
func tooLong(fn string, n float64) error {
	return fmt.Errorf("%s: the result would be %s bytes long, more than %s, the limit for a string built by a function", fn, count(n), limits.Size(limits.MaxStringSize))
}

// count writes a size for a message: exact up to 10^15, then roughly.
func count(n float64) string {
	if n < 1e15 {
		return fmt.Sprintf("%.0f", n)
	}
	return fmt.Sprintf("%.3g", n)
}

// known returns v without its top-level marks, and whether it is known
// and not null, so that its length or text can be read.
func known(v cty.Value) (cty.Value, bool) {
	v, _ = v.Unmark()
	return v, v.IsKnown() && !v.IsNull()
}

// length is the number of elements of a known collection, 0 otherwise.
func length(v cty.Value) float64 {
	v, ok := known(v)
	if !ok || !(v.CanIterateElements()) {
		return 0
	}
	return float64(v.LengthInt())
}

// productCheck bounds setproduct by the product of its arguments' lengths.
func productCheck(args []cty.Value) error {
	n := 1.0
	for _, a := range args {
		n *= length(a)
	}
	if len(args) > 0 && n > limits.MaxElements {
		return tooMany("setproduct", n)
	}
	return nil
}

// sumCheck bounds fn (concat, setunion) by the sum of its arguments'
// lengths.
func sumCheck(fn string) func([]cty.Value) error {
	return func(args []cty.Value) error {
		n := 0.0
		for _, a := range args {
			n += length(a)
		}
		if n > limits.MaxElements {
			return tooMany(fn, n)
		}
		return nil
	}
}

// flattenCheck bounds flatten by the number of leaves of its argument,
// counting a list that appears many times once per appearance.
func flattenCheck(args []cty.Value) error {
	n := 0.0
	var walk func(v cty.Value)
	walk = func(v cty.Value) {
		v, ok := known(v)
		if n > limits.MaxElements {
			return
		}
		ty := v.Type()
		if !ok || !(ty.IsListType() || ty.IsSetType() || ty.IsTupleType()) {
			n++
			return
		}
		if (ty.IsListType() || ty.IsSetType()) && ty.ElementType().IsPrimitiveType() {
			n += float64(v.LengthInt()) // a flat collection counts at once
			return
		}
		for it := v.ElementIterator(); it.Next() && n <= limits.MaxElements; {
			_, e := it.Element()
			walk(e)
		}
	}
	walk(args[0])
	if n > limits.MaxElements {
		return tooMany("flatten", n)
	}
	return nil
}

// textSize is how many bytes v adds to a string built from it: its text
// for a string, a generous bound for a number or bool, and for a
// collection (jsonencode) the sizes of its elements with room for the
// punctuation. It stops counting past limit.
func textSize(v cty.Value, limit float64) float64 {
	v, ok := known(v)
	if !ok {
		return 0
	}
	ty := v.Type()
	switch {
	case ty == cty.String:
		return float64(len(v.AsString())) + 2
	case ty.IsPrimitiveType():
		return 40
	case v.CanIterateElements():
		n := 2.0
		for it := v.ElementIterator(); it.Next() && n <= limit; {
			k, e := it.Element()
			n += textSize(e, limit) + 1
			if ty.IsMapType() || ty.IsObjectType() {
				n += textSize(k, limit) + 1
			}
		}
		return n
	}
	return 0
}

// joinCheck bounds join(separator, lists...) by the length of the text.
func joinCheck(args []cty.Value) error {
	sep, _ := known(args[0])
	sepLen := 0.0
	if sep.IsKnown() && !sep.IsNull() && sep.Type() == cty.String {
		sepLen = float64(len(sep.AsString()))
	}
	n := 0.0
	for _, list := range args[1:] {
		list, ok := known(list)
		if !ok || !list.CanIterateElements() {
			continue
		}
		for it := list.ElementIterator(); it.Next() && n <= limits.MaxStringSize; {
			_, e := it.Element()
			n += textSize(e, limits.MaxStringSize) + sepLen
		}
	}
	if n > limits.MaxStringSize {
		return tooLong("join", n)
	}
	return nil
}

// jsonencodeCheck bounds jsonencode by the size of its text.
func jsonencodeCheck(args []cty.Value) error {
	if n := textSize(args[0], limits.MaxStringSize); n > limits.MaxStringSize {
		return tooLong("jsonencode", n)
	}
	return nil
}

// formatWidth finds the widths and precisions written in a format
// string's verbs ("%10000000d"): each pads the result to that many bytes.
var formatWidth = regexp.MustCompile(`%[-+# 0]*(?:\[\d+\])?(\d*)(?:\.(\d*))?`)

// formatSize bounds the text format(spec, args...) builds: the spec, and
// for every verb its widest argument or its width.
func formatSize(spec string, args []cty.Value, limit float64) float64 {
	widest := 0.0
	for _, a := range args {
		widest = math.Max(widest, textSize(a, limit))
	}
	n := float64(len(spec))
	for _, m := range formatWidth.FindAllStringSubmatch(spec, -1) {
		w := widest
		for _, digits := range m[1:] {
			if digits != "" {
				f, _, _ := big.ParseFloat(digits, 10, 64, big.ToNearestEven)
				if f != nil {
					wf, _ := f.Float64()
					w += wf
				}
			}
		}
		n += w
		if n > limit {
			break
		}
	}
	return n
}

// formatCheck bounds format by formatSize.
func formatCheck(args []cty.Value) error {
	spec, ok := known(args[0])
	if !ok || spec.Type() != cty.String {
		return nil
	}
	if n := formatSize(spec.AsString(), args[1:], limits.MaxStringSize); n > limits.MaxStringSize {
		return tooLong("format", n)
	}
	return nil
}

// formatlistCheck bounds formatlist by the number of strings it builds
// and their size together.
func formatlistCheck(args []cty.Value) error {
	spec, ok := known(args[0])
	if !ok || spec.Type() != cty.String {
		return nil
	}
	rows := 1.0
	elems := make([]cty.Value, 0, len(args))
	for _, a := range args[1:] {
		a, ok := known(a)
		if ok && (a.Type().IsListType() || a.Type().IsTupleType()) {
			rows = math.Max(rows, float64(a.LengthInt()))
			for it := a.ElementIterator(); it.Next(); {
				_, e := it.Element()
				elems = append(elems, e)
				if len(elems) > limits.MaxElements {
					break
				}
			}
			continue
		}
		elems = append(elems, a)
	}
	if rows > limits.MaxElements {
		return tooMany("formatlist", rows)
	}
	if n := rows * formatSize(spec.AsString(), elems, limits.MaxStringSize); n > limits.MaxStringSize {
		return tooLong("formatlist", n)
	}
	return nil
}

// replaceCheck bounds replace(str, substr, replacement) by the length of
// the result: each match grows the string by the replacement, and each
// $ in a regular expression's replacement by at most the whole string.
func replaceCheck(args []cty.Value) error {
	var s [3]string
	for i, a := range args {
		a, ok := known(a)
		if !ok {
			return nil
		}
		s[i] = a.AsString()
	}
	str, substr, repl := s[0], s[1], s[2]
	var matches, grow float64
	if len(substr) > 1 && substr[0] == '/' && substr[len(substr)-1] == '/' {
		re, err := regexp.Compile(substr[1 : len(substr)-1])
		if err != nil {
			return nil // replace reports it
		}
		matches = float64(len(re.FindAllStringIndex(str, -1)))
		grow = float64(len(repl)) + float64(strings.Count(repl, "$"))*float64(len(str))
	} else {
		if substr == "" {
			matches = float64(utf8.RuneCountInString(str) + 1)
		} else {
			matches = float64(strings.Count(str, substr))
		}
		grow = float64(len(repl) - len(substr))
	}
	if n := float64(len(str)) + matches*grow; n > limits.MaxStringSize {
		return tooLong("replace", n)
	}
	return nil
}

// indentCheck bounds indent(spaces, str) by spaces times the lines.
func indentCheck(args []cty.Value) error {
	spaces, ok1 := known(args[0])
	str, ok2 := known(args[1])
	if !ok1 || !ok2 || spaces.Type() != cty.Number || str.Type() != cty.String {
		return nil
	}
	w, _ := spaces.AsBigFloat().Float64()
	s := str.AsString()
	if n := float64(len(s)) + w*float64(strings.Count(s, "\n")); n > limits.MaxStringSize {
		return tooLong("indent", n)
	}
	return nil
}
