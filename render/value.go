package render

import (
	"fmt"
	"sort"
	"strings"
	"unicode"

	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/stagecraft/stagecraft/stacks"
)

// The words shown in place of values a person cannot or may not see.
const (
	unknownText   = "(known after apply)"
	sensitiveText = "(sensitive)"
)

// Value renders a value for people the way HCL writes it: strings quoted,
// numbers and bools bare, lists and maps on one line when short and on
// several when long, a value not known until apply as (known after apply),
// anything carrying the stacks.Sensitive mark as (sensitive), and null as
// null.
func Value(v cty.Value) string {
	if v == cty.NilVal {
		return "null"
	}
	sens := newSensitivity(nil, v)
	v, _ = v.UnmarkDeep()
	f := valueFormatter{sens: sens, unit: "  "}
	return f.format(v, nil, "")
}

// sensitivity answers whether the value at a path must be hidden: because a
// value carries the Sensitive mark there or above, or because the plan
// records the attribute as sensitive (its kind's schema says so).
type sensitivity struct {
	marked []cty.Path
}

// newSensitivity gathers the given paths (a change's SensitivePaths) and
// the marked paths of every value given (nil or cty.NilVal values are
// skipped). Taking the union of a change's before and after values means a
// path hidden on one side is hidden on the other, so a secret whose mark
// was lost on one side still does not show.
func newSensitivity(paths []cty.Path, values ...cty.Value) *sensitivity {
	s := &sensitivity{marked: append([]cty.Path(nil), paths...)}
	for _, v := range values {
		s.add(v)
	}
	return s
}

func (s *sensitivity) add(v cty.Value) {
	if v == cty.NilVal {
		return
	}
	_, pvm := v.UnmarkDeepWithPaths()
	for _, pm := range pvm {
		if _, ok := pm.Marks[stacks.Sensitive]; ok {
			s.marked = append(s.marked, pm.Path)
		}
	}
}

func (s *sensitivity) at(p cty.Path) bool {
	if s == nil {
		return false
	}
	for _, m := range s.marked {
		if hasPrefix(p, m) {
			return true
		}
	}
	return false
}

// any reports whether anything at all is sensitive.
func (s *sensitivity) any() bool {
	return s != nil && len(s.marked) > 0
}

// hasPrefix reports whether prefix is p or leads to it.
func hasPrefix(p, prefix cty.Path) bool {
	return len(prefix) <= len(p) && p[:len(prefix)].Equals(prefix)
}

// valueFormatter writes values as HCL-like text.
type valueFormatter struct {
	sens *sensitivity
	// unit is one level of indentation.
	unit string
}

// inlineMax is the longest a list or map may be to stay on one line.
const inlineMax = 60

// format renders v (already without marks) found at path p. Lines after the
// first start with indent, the indentation of the line v starts on.
func (f valueFormatter) format(v cty.Value, p cty.Path, indent string) string {
	switch {
	case f.sens.at(p):
		return sensitiveText
	case !v.IsKnown():
		return unknownText
	case v.IsNull():
		return "null"
	}
	ty := v.Type()
	switch {
	case ty == cty.String:
		if heredocFits(v.AsString()) {
			return heredoc(v.AsString(), indent, f.unit)
		}
		return quote(v.AsString())
	case ty == cty.Number:
		return v.AsBigFloat().Text('f', -1)
	case ty == cty.Bool:
		if v.True() {
			return "true"
		}
		return "false"
	case ty.IsListType() || ty.IsSetType() || ty.IsTupleType():
		if v.LengthInt() == 0 {
			return "[]"
		}
		var elems []string
		for it := v.ElementIterator(); it.Next(); {
			k, e := it.Element()
			elems = append(elems, f.format(e, indexPath(p, k), indent+f.unit))
		}
		if s := "[" + strings.Join(elems, ", ") + "]"; fitsInline(s, v) {
			return s
		}
		return f.lines("[", elems, ",", "]", indent)
	case ty.IsMapType() || ty.IsObjectType():
		keys := sortedKeys(v)
		if len(keys) == 0 {
			return "{}"
		}
		width := 0
		for _, k := range keys {
			width = max(width, len(mapKey(k)))
		}
		elems := make([]string, len(keys))
		inline := make([]string, len(keys))
		for i, k := range keys {
			e := f.format(elementAt(v, k), keyPath(p, ty, k), indent+f.unit)
			inline[i] = mapKey(k) + " = " + e
			elems[i] = pad(mapKey(k), width) + " = " + e
		}
		if s := "{ " + strings.Join(inline, ", ") + " }"; fitsInline(s, v) {
			return s
		}
		return f.lines("{", elems, "", "}", indent)
	}
	return fmt.Sprintf("%#v", v)
}

// lines lays out a collection that does not fit on one line: open, then
// each element on a line of its own one step deeper than indent and
// ending with end, then close at indent.
func (f valueFormatter) lines(open string, elems []string, end, close, indent string) string {
	var b strings.Builder
	b.WriteString(open + "\n")
	for _, e := range elems {
		b.WriteString(indent + f.unit + e + end + "\n")
	}
	b.WriteString(indent + close)
	return b.String()
}

// fitsInline reports whether a collection rendered as s may stay on one
// line: short, and made of plain values only.
func fitsInline(s string, v cty.Value) bool {
	if len(s) > inlineMax || strings.Contains(s, "\n") {
		return false
	}
	for it := v.ElementIterator(); it.Next(); {
		_, e := it.Element()
		if e.IsKnown() && !e.IsNull() && !e.Type().IsPrimitiveType() {
			return false
		}
	}
	return true
}

// sortedKeys lists the keys of a map or the attribute names of an object,
// sorted.
func sortedKeys(v cty.Value) []string {
	var keys []string
	if v.Type().IsObjectType() {
		for name := range v.Type().AttributeTypes() {
			keys = append(keys, name)
		}
	} else if v.IsKnown() && !v.IsNull() {
		for it := v.ElementIterator(); it.Next(); {
			k, _ := it.Element()
			keys = append(keys, k.AsString())
		}
	}
	sort.Strings(keys)
	return keys
}

// elementAt returns the element of a map or object at key.
func elementAt(v cty.Value, key string) cty.Value {
	if v.Type().IsObjectType() {
		return v.GetAttr(key)
	}
	return v.Index(cty.StringVal(key))
}

// keyPath extends p to the element key of a map or object of type ty, the
// way cty's own paths reach it (so marked paths match).
func keyPath(p cty.Path, ty cty.Type, key string) cty.Path {
	if ty.IsObjectType() {
		return p.Copy().GetAttr(key)
	}
	return p.Copy().Index(cty.StringVal(key))
}

// indexPath extends p with an element key of a list, set or tuple.
func indexPath(p cty.Path, key cty.Value) cty.Path {
	return p.Copy().Index(key)
}

// mapKey writes a map key bare when it is an identifier and quoted when
// not, as HCL accepts both.
func mapKey(k string) string {
	if hclsyntax.ValidIdentifier(k) {
		return k
	}
	return quote(k)
}

// quote writes s as an HCL quoted string: escapes for quotes, backslashes
// and control characters, and template sequences doubled so the text reads
// back as the same string.
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i, r := range s {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case (r == '$' || r == '%') && i+1 < len(s) && s[i+1] == '{':
			b.WriteRune(r)
			b.WriteRune(r)
		case !unicode.IsPrint(r):
			if r > 0xffff {
				fmt.Fprintf(&b, `\U%08x`, r)
			} else {
				fmt.Fprintf(&b, `\u%04x`, r)
			}
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// heredocFits reports whether s reads better as a heredoc: several lines
// ending in a newline, with nothing a heredoc would have to escape.
func heredocFits(s string) bool {
	if !strings.HasSuffix(s, "\n") || strings.Count(s, "\n") < 2 {
		return false
	}
	for _, r := range s {
		if r != '\n' && r != '\t' && !unicode.IsPrint(r) {
			return false
		}
	}
	return !strings.Contains(s, "${") && !strings.Contains(s, "%{")
}

// heredoc writes s as <<-EOT, its lines one unit in from indent and the
// closing marker at indent.
func heredoc(s, indent, unit string) string {
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	marker := heredocMarker(lines)
	var b strings.Builder
	b.WriteString("<<-" + marker + "\n")
	for _, l := range lines {
		if l == "" {
			b.WriteString("\n")
			continue
		}
		b.WriteString(indent + unit + l + "\n")
	}
	b.WriteString(indent + marker)
	return b.String()
}

// heredocMarker picks EOT, or a longer marker when a line of the text is
// EOT itself.
func heredocMarker(lines []string) string {
	marker := "EOT"
	for {
		clash := false
		for _, l := range lines {
			if strings.TrimSpace(l) == marker {
				clash = true
			}
		}
		if !clash {
			return marker
		}
		marker += "_"
	}
}

// pad fills s with spaces to width columns.
func pad(s string, width int) string {
	if len(s) >= width {
		return s
	}
	return s + strings.Repeat(" ", width-len(s))
}
