package render

import (
	"sort"
	"strings"

	"github.com/stagecraft/stagecraft/planner/plan"
	"github.com/zclconf/go-cty/cty"
)

// line is one line of a rendered diff. Its text starts after a prefix made
// of the nesting level's indentation and a three-column action symbol, the
// layout Terraform's plans use:
//
//   - cache "sessions" {          level 0, symbol "+"
//   - engine = "redis"        level 1
//     }                           level 0, no symbol
//
// Text may hold several lines (a multi-line value); those after the first
// carry their own indentation.
type line struct {
	level int
	// sym is "+", "-", "~", "-/+", "+/-", or " " for a line without one.
	sym  string
	text string
	// forces marks the change at this line as the one forcing a
	// replacement.
	forces bool
}

const indentUnit = "    "

// contIndent is the indentation of the continuation lines of a value
// written on a line at level: one unit in from the line's symbol.
func contIndent(level int) string {
	return strings.Repeat(indentUnit, level+1)
}

const forcesText = " # forces replacement"

// renderLines writes lines as plain or coloured text: each starts with its
// level's indentation and its symbol right-aligned in three columns.
func renderLines(b *strings.Builder, lines []line, st styler) {
	for _, l := range lines {
		b.WriteString(strings.Repeat(indentUnit, l.level))
		b.WriteString(strings.Repeat(" ", 3-len(l.sym)))
		b.WriteString(st.symbol(l.sym))
		b.WriteString(" ")
		b.WriteString(l.text)
		if l.forces {
			b.WriteString(st.red(forcesText))
		}
		b.WriteString("\n")
	}
}

// differ renders the difference between two values of one resource kind
// (or two output values) as lines.
type differ struct {
	sens *sensitivity
	fmt  valueFormatter
	// replace lists the paths whose change forces a replacement; their
	// lines say so.
	replace []cty.Path
	// relevant, when not nil, limits what may show as changed to these
	// paths and what lies within them (drift shows only what drifted).
	relevant []cty.Path
	// showID shows a top-level id attribute even when unchanged: it tells
	// the reader which object is meant.
	showID bool
}

func newDiffer(sens *sensitivity) *differ {
	return &differ{sens: sens, fmt: valueFormatter{sens: sens, unit: indentUnit}}
}

func (d *differ) forces(p cty.Path) bool {
	for _, r := range d.replace {
		if r.Equals(p) {
			return true
		}
	}
	return false
}

func (d *differ) isRelevant(p cty.Path) bool {
	if d.relevant == nil {
		return true
	}
	for _, r := range d.relevant {
		if hasPrefix(p, r) || hasPrefix(r, p) {
			return true
		}
	}
	return false
}

// value formats v found at path p for a line at level.
func (d *differ) value(v cty.Value, p cty.Path, level int) string {
	return d.fmt.format(v, p, contIndent(level))
}

// member is one attribute or nested block of an object being diffed.
type member struct {
	name          string
	before, after cty.Value
	path          cty.Path
}

// body appends the lines of an object's attributes and nested blocks
// (before and after may each be a null object: a create or a delete),
// with counts of what is unchanged and hidden.
func (d *differ) body(out *[]line, before, after cty.Value, path cty.Path, level int) {
	ty := before.Type()
	if !ty.IsObjectType() {
		ty = after.Type()
	}
	if !ty.IsObjectType() {
		// Not an object of a kind (a plan from elsewhere): show the values
		// whole.
		if !plan.ValuesEqual(before, after) {
			d.attribute(out, "value", before, after, path, level)
		}
		return
	}
	var attrs, blocks []member
	for _, name := range memberNames(ty) {
		m := member{name: name, before: attrOf(before, name), after: attrOf(after, name), path: path.Copy().GetAttr(name)}
		if isBlockType(ty.AttributeType(name)) {
			blocks = append(blocks, m)
		} else {
			attrs = append(attrs, m)
		}
	}

	hiddenAttrs, hiddenBlocks := 0, 0
	var shown []member
	var id *member
	for _, m := range attrs {
		switch {
		case m.before.IsNull() && m.after.IsNull():
		case d.unchanged(m.before, m.after, m.path):
			if d.showID && len(path) == 0 && m.name == "id" {
				id = &m
				shown = append(shown, m)
			} else {
				hiddenAttrs++
			}
		default:
			shown = append(shown, m)
		}
	}
	width := 0
	for _, m := range shown {
		width = max(width, len(m.name))
	}
	for _, m := range shown {
		if id != nil && m.name == id.name {
			*out = append(*out, line{level: level, sym: " ", text: pad(m.name, width) + " = " + d.value(m.before, m.path, level)})
			continue
		}
		d.attribute(out, pad(m.name, width), m.before, m.after, m.path, level)
	}
	for _, m := range blocks {
		hiddenBlocks += d.block(out, m, level)
	}
	if hiddenAttrs > 0 {
		*out = append(*out, line{level: level, sym: " ", text: "# (" + plural(hiddenAttrs, "unchanged attribute") + " hidden)"})
	}
	if hiddenBlocks > 0 {
		*out = append(*out, line{level: level, sym: " ", text: "# (" + plural(hiddenBlocks, "unchanged block") + " hidden)"})
	}
}

// unchanged reports whether an attribute shows as unchanged: equal on
// both sides, or outside what is relevant.
func (d *differ) unchanged(before, after cty.Value, p cty.Path) bool {
	return !d.isRelevant(p) || plan.ValuesEqual(before, after)
}

// memberNames lists an object type's attribute names: id first, as it
// names the object, then the others sorted.
func memberNames(ty cty.Type) []string {
	var names []string
	for name := range ty.AttributeTypes() {
		if name != "id" {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	if ty.HasAttribute("id") {
		names = append([]string{"id"}, names...)
	}
	return names
}

// isBlockType reports whether an attribute of this type is a nested block:
// the kinds' schemas give single blocks object types and repeated blocks
// lists of objects, and no attribute either.
func isBlockType(ty cty.Type) bool {
	return ty.IsObjectType() || ((ty.IsListType() || ty.IsSetType()) && ty.ElementType().IsObjectType())
}

// block appends the lines of one nested block type (a single block or a
// list of them) and returns how many blocks are unchanged and hidden.
func (d *differ) block(out *[]line, m member, level int) int {
	ty := m.before.Type()
	if ty == cty.DynamicPseudoType {
		ty = m.after.Type()
	}
	if !m.before.IsKnown() || !m.after.IsKnown() {
		if d.unchanged(m.before, m.after, m.path) {
			return 1
		}
		d.attribute(out, m.name, m.before, m.after, m.path, level)
		return 0
	}
	if ty.IsObjectType() {
		return d.oneBlock(out, m.name, m.before, m.after, m.path, d.forces(m.path), level)
	}
	var be, ae []cty.Value
	if !m.before.IsNull() {
		be = m.before.AsValueSlice()
	}
	if !m.after.IsNull() {
		ae = m.after.AsValueSlice()
	}
	whole := d.forces(m.path)
	hidden := 0
	for i := range max(len(be), len(ae)) {
		b, a := cty.NullVal(ty.ElementType()), cty.NullVal(ty.ElementType())
		if i < len(be) {
			b = be[i]
		}
		if i < len(ae) {
			a = ae[i]
		}
		p := m.path.Copy().IndexInt(i)
		hidden += d.oneBlock(out, m.name, b, a, p, whole || d.forces(p), level)
	}
	return hidden
}

// oneBlock appends one nested block, or returns 1 when it is unchanged.
func (d *differ) oneBlock(out *[]line, name string, before, after cty.Value, p cty.Path, forces bool, level int) int {
	if before.IsNull() && after.IsNull() {
		return 0
	}
	if d.unchanged(before, after, p) {
		return 1
	}
	if d.sens.at(p) {
		d.attribute(out, name, before, after, p, level)
		return 0
	}
	sym := "~"
	switch {
	case before.IsNull():
		sym = "+"
	case after.IsNull():
		sym = "-"
	}
	*out = append(*out, line{level: level, sym: sym, text: name + " {", forces: forces})
	d.body(out, before, after, p, level+1)
	*out = append(*out, line{level: level, sym: " ", text: "}"})
	return 0
}

// attribute appends the change of one attribute (or one element of a map)
// named key, whose name is already padded for alignment.
func (d *differ) attribute(out *[]line, key string, before, after cty.Value, p cty.Path, level int) {
	forces := d.forces(p)
	emit := func(sym, text string) {
		*out = append(*out, line{level: level, sym: sym, text: key + " = " + text, forces: forces})
	}
	switch {
	case d.sens.at(p):
		switch {
		case before.IsNull():
			emit("+", sensitiveText)
		case after.IsKnown() && after.IsNull():
			emit("-", sensitiveText+" -> null")
		default:
			emit("~", sensitiveText)
		}
		return
	case !before.IsKnown():
		emit("~", unknownText+" -> "+d.value(after, p, level))
		return
	case isCollection(before, after):
		d.collection(out, key, before, after, p, level, forces)
		return
	case !after.IsKnown() && before.IsNull():
		emit("+", unknownText)
	case !after.IsKnown():
		emit("~", d.value(before, p, level)+" -> "+unknownText)
	case before.IsNull():
		emit("+", d.value(after, p, level))
	case after.IsNull():
		emit("-", d.value(before, p, level)+" -> null")
	case isMultilineString(before) && isMultilineString(after):
		d.textLines(out, key, before.AsString(), after.AsString(), level, forces)
	default:
		emit("~", d.value(before, p, level)+" -> "+d.value(after, p, level))
	}
}

// isCollection reports whether a change is between lists or between maps
// (either side may be null, or the after side unknown), so it is shown
// element by element.
func isCollection(before, after cty.Value) bool {
	kind := func(v cty.Value) string {
		ty := v.Type()
		switch {
		case ty.IsListType() || ty.IsSetType() || ty.IsTupleType():
			return "list"
		case ty.IsMapType() || ty.IsObjectType():
			return "map"
		}
		return ""
	}
	kb, ka := kind(before), kind(after)
	switch {
	case before.IsNull() && !after.IsKnown():
		return false
	case before.IsNull():
		return ka != "" && after.LengthInt() > 0
	case after.IsKnown() && after.IsNull():
		return kb != "" && before.LengthInt() > 0
	case !after.IsKnown():
		return kb != "" && before.LengthInt() > 0 && (ka == "" || ka == kb)
	}
	return kb != "" && kb == ka
}

func isMultilineString(v cty.Value) bool {
	return v.IsKnown() && !v.IsNull() && v.Type() == cty.String && heredocFits(v.AsString())
}

// collection appends a list or map change element by element:
//
//	~ env = {
//	    + REDIS_ADDR = (known after apply)
//	    # (1 unchanged element hidden)
//	  }
func (d *differ) collection(out *[]line, key string, before, after cty.Value, p cty.Path, level int, forces bool) {
	sym, closing := "~", ""
	switch {
	case before.IsNull():
		sym = "+"
	case !after.IsKnown():
		closing = " -> " + unknownText
	case after.IsNull():
		sym, closing = "-", " -> null"
	}
	ty := before.Type()
	if before.IsNull() {
		ty = after.Type()
	}
	if ty.IsMapType() || ty.IsObjectType() {
		*out = append(*out, line{level: level, sym: sym, text: key + " = {"})
		d.mapElements(out, before, after, p, level+1)
		*out = append(*out, line{level: level, sym: " ", text: "}" + closing, forces: forces})
		return
	}
	*out = append(*out, line{level: level, sym: sym, text: key + " = ["})
	d.listElements(out, before, after, p, level+1)
	*out = append(*out, line{level: level, sym: " ", text: "]" + closing, forces: forces})
}

// elements returns a collection's elements, none when it is null or
// unknown.
func elements(v cty.Value) []cty.Value {
	if !v.IsKnown() || v.IsNull() {
		return nil
	}
	return v.AsValueSlice()
}

// listElements appends a list's elements as a diff: the longest common
// subsequence stays, the rest is removed or added; runs of unchanged
// elements away from a change are counted instead of shown.
func (d *differ) listElements(out *[]line, before, after cty.Value, p cty.Path, level int) {
	be, ae := elements(before), elements(after)
	ops := diffSequence(len(be), len(ae), func(i, j int) bool { return plan.ValuesEqual(be[i], ae[j]) })
	var lines []line
	var keep []bool
	for _, op := range ops {
		switch op.kind {
		case opKeep:
			lines = append(lines, line{level: level, sym: " ", text: d.value(ae[op.j], p.Copy().IndexInt(op.j), level) + ","})
		case opDelete:
			lines = append(lines, line{level: level, sym: "-", text: d.value(be[op.i], p.Copy().IndexInt(op.i), level) + ","})
		case opInsert:
			lines = append(lines, line{level: level, sym: "+", text: d.value(ae[op.j], p.Copy().IndexInt(op.j), level) + ","})
		}
		keep = append(keep, op.kind == opKeep)
	}
	*out = append(*out, withContext(lines, keep, level, "unchanged element")...)
}

// mapElements appends the elements of a map (or object value) that
// differ, and a count of those that do not.
func (d *differ) mapElements(out *[]line, before, after cty.Value, p cty.Path, level int) {
	keys := map[string]bool{}
	for _, v := range []cty.Value{before, after} {
		if v.IsKnown() && !v.IsNull() {
			for _, k := range sortedKeys(v) {
				keys[k] = true
			}
		}
	}
	sorted := make([]string, 0, len(keys))
	for k := range keys {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	type elem struct {
		key    string
		b, a   cty.Value
		path   cty.Path
		hidden bool
	}
	ty := before.Type()
	if before.IsNull() || !before.IsKnown() {
		ty = after.Type()
	}
	var elems []elem
	hidden, width := 0, 0
	for _, k := range sorted {
		e := elem{key: k, b: lookup(before, k), a: lookup(after, k), path: keyPath(p, ty, k)}
		if !after.IsKnown() {
			e.a = cty.NullVal(e.b.Type())
		}
		if d.unchanged(e.b, e.a, e.path) {
			hidden++
			continue
		}
		width = max(width, len(mapKey(k)))
		elems = append(elems, e)
	}
	for _, e := range elems {
		d.attribute(out, pad(mapKey(e.key), width), e.b, e.a, e.path, level)
	}
	if hidden > 0 {
		*out = append(*out, line{level: level, sym: " ", text: "# (" + plural(hidden, "unchanged element") + " hidden)"})
	}
}

// lookup returns the element of a map or object at key, null when absent.
func lookup(v cty.Value, key string) cty.Value {
	if !v.IsKnown() || v.IsNull() {
		return cty.NullVal(cty.DynamicPseudoType)
	}
	ty := v.Type()
	if ty.IsObjectType() {
		if !ty.HasAttribute(key) {
			return cty.NullVal(cty.DynamicPseudoType)
		}
		return v.GetAttr(key)
	}
	k := cty.StringVal(key)
	if !v.HasIndex(k).True() {
		return cty.NullVal(ty.ElementType())
	}
	return v.Index(k)
}

// textLines appends a change between two multi-line strings line by line,
// as heredocs.
func (d *differ) textLines(out *[]line, key, before, after string, level int, forces bool) {
	bl := strings.Split(strings.TrimSuffix(before, "\n"), "\n")
	al := strings.Split(strings.TrimSuffix(after, "\n"), "\n")
	marker := heredocMarker(append(append([]string{}, bl...), al...))
	*out = append(*out, line{level: level, sym: "~", text: key + " = <<-" + marker})
	ops := diffSequence(len(bl), len(al), func(i, j int) bool { return bl[i] == al[j] })
	var lines []line
	var keep []bool
	for _, op := range ops {
		switch op.kind {
		case opKeep:
			lines = append(lines, line{level: level + 1, sym: " ", text: al[op.j]})
		case opDelete:
			lines = append(lines, line{level: level + 1, sym: "-", text: bl[op.i]})
		case opInsert:
			lines = append(lines, line{level: level + 1, sym: "+", text: al[op.j]})
		}
		keep = append(keep, op.kind == opKeep)
	}
	*out = append(*out, withContext(lines, keep, level+1, "unchanged line")...)
	*out = append(*out, line{level: level, sym: " ", text: marker, forces: forces})
}

// withContext keeps the unchanged lines next to a change and replaces
// each longer run of unchanged ones with a count.
func withContext(lines []line, keep []bool, level int, what string) []line {
	const context = 1
	near := func(i int) bool {
		for j := max(0, i-context); j <= min(len(keep)-1, i+context); j++ {
			if !keep[j] {
				return true
			}
		}
		return false
	}
	var out []line
	for i := 0; i < len(lines); {
		if !keep[i] || near(i) {
			out = append(out, lines[i])
			i++
			continue
		}
		start := i
		for i < len(lines) && keep[i] && !near(i) {
			i++
		}
		if i-start == 1 {
			// A count would take the line the element takes.
			out = append(out, lines[start])
			continue
		}
		out = append(out, line{level: level, sym: " ", text: "# (" + plural(i-start, what) + " hidden)"})
	}
	return out
}

// attrOf reads an attribute of an object value; null when the object is
// null, unknown when it is unknown.
func attrOf(obj cty.Value, name string) cty.Value {
	ty := obj.Type()
	if !ty.IsObjectType() || !ty.HasAttribute(name) {
		return cty.NullVal(cty.DynamicPseudoType)
	}
	at := ty.AttributeType(name)
	switch {
	case !obj.IsKnown():
		return cty.UnknownVal(at)
	case obj.IsNull():
		return cty.NullVal(at)
	}
	return obj.GetAttr(name)
}

// The edit operations of a sequence diff.
const (
	opKeep = iota
	opDelete
	opInsert
)

type seqOp struct {
	kind int
	i, j int // index in the old and the new sequence
}

// diffSequence returns the edit script turning a sequence of n elements
// into one of m, keeping a longest common subsequence (eq compares old i
// with new j). Deletions come before insertions at each point.
func diffSequence(n, m int, eq func(i, j int) bool) []seqOp {
	// Equal ends stay as they are; only the middle needs the quadratic
	// table, and a middle too big for it is shown as removed and added.
	head := 0
	for head < n && head < m && eq(head, head) {
		head++
	}
	tail := 0
	for tail < n-head && tail < m-head && eq(n-1-tail, m-1-tail) {
		tail++
	}
	var ops []seqOp
	for k := range head {
		ops = append(ops, seqOp{opKeep, k, k})
	}
	ops = append(ops, diffMiddle(head, n-tail, head, m-tail, eq)...)
	for k := range tail {
		ops = append(ops, seqOp{opKeep, n - tail + k, m - tail + k})
	}
	return ops
}

// maxDiffCells bounds the LCS table (old length times new length).
const maxDiffCells = 1 << 20

// diffMiddle diffs old[i0:i1] against new[j0:j1].
func diffMiddle(i0, i1, j0, j1 int, eq func(i, j int) bool) []seqOp {
	n, m := i1-i0, j1-j0
	var ops []seqOp
	if n*m > maxDiffCells {
		for i := i0; i < i1; i++ {
			ops = append(ops, seqOp{opDelete, i, -1})
		}
		for j := j0; j < j1; j++ {
			ops = append(ops, seqOp{opInsert, -1, j})
		}
		return ops
	}
	// lcs[i][j] is the LCS length of old[i0+i:i1] and new[j0+j:j1].
	lcs := make([][]int, n+1)
	for i := range lcs {
		lcs[i] = make([]int, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if eq(i0+i, j0+j) {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && eq(i0+i, j0+j):
			ops = append(ops, seqOp{opKeep, i0 + i, j0 + j})
			i++
			j++
		case i < n && (j == m || lcs[i+1][j] >= lcs[i][j+1]):
			ops = append(ops, seqOp{opDelete, i0 + i, -1})
			i++
		default:
			ops = append(ops, seqOp{opInsert, -1, j0 + j})
			j++
		}
	}
	return ops
}
