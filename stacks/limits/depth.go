package limits

import (
	"bytes"
	"encoding/json"
	"fmt"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// HCL's parsers descend recursively: every nested parenthesis, bracket,
// brace, interpolation or unary operator costs several Go stack frames, and
// a file of a few hundred kilobytes of "((((" overflows the stack, which
// Go cannot recover from. The scans below find the deepest nesting in one
// pass over the bytes, without allocating, and refuse the input before a
// parser sees it.
//
// They follow HCL's lexical structure (comments, quoted strings with their
// escapes, heredocs, template interpolations and directives) so that
// brackets inside strings and comments do not count; where they cannot be
// sure they count rather than skip, since a depth found too high only
// refuses a file that nests far beyond any real stack.

// frame kinds on the scan's stack: the brace structure HCL's scanner
// tracks to know where an interpolation ends and a template goes on.
const (
	frameBrace   = '{'
	frameInterp  = 'i' // ${ or %{ up to its closing }
	frameQuoted  = 'q' // a quoted template string
	frameHeredoc = 'h' // a heredoc template
)

type frame struct {
	kind byte
	// marker is a heredoc's closing identifier.
	marker []byte
}

// scanNative returns the offset in src at which nesting first exceeds
// max, or -1 when it never does. template says that src is a template
// (templatefile's input) rather than a configuration file or expression.
// src must be valid UTF-8 (see checkUTF8): HCL's scanner reads the bytes
// of a broken sequence in ways a byte scan cannot follow.
//
// The scan mirrors the token structure of HCL's scanner (scan_tokens.rl):
// parentheses, brackets and if/for directives are counters, as the
// tokens count them; braces, interpolations, quoted strings and heredocs
// are a stack, as the scanner keeps them to find where a template
// resumes.
func scanNative(src []byte, template bool, max int) int {
	var stack []frame
	// braces counts the brace and interpolation frames on the stack.
	braces, parens, controls, run := 0, 0, 0, 0
	push := func(f frame) {
		stack = append(stack, f)
		if f.kind == frameBrace || f.kind == frameInterp {
			braces++
		}
	}
	pop := func() {
		f := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if f.kind == frameBrace || f.kind == frameInterp {
			braces--
		}
	}
	n := len(src)
	for i := 0; i < n; {
		var t frame
		if len(stack) > 0 {
			t = stack[len(stack)-1]
		}
		c := src[i]
		if t.kind == frameQuoted || t.kind == frameHeredoc || (t.kind == 0 && template) {
			if t.kind == frameHeredoc && i > 0 && src[i-1] == '\n' {
				if end, ok := heredocEnd(src, i, t.marker); ok {
					pop()
					i = end
					continue
				}
			}
			switch {
			case t.kind == frameQuoted && c == '\\':
				i += 2
			case t.kind == frameQuoted && c == '"':
				pop()
				i++
			case (c == '$' || c == '%') && i+2 < n && src[i+1] == c && src[i+2] == '{':
				i += 3 // $${ and %%{ are literal.
			case (c == '$' || c == '%') && i+1 < n && src[i+1] == '{':
				if c == '%' {
					switch directive(src[i+2:]) {
					case "if", "for":
						controls++
					case "endif", "endfor":
						controls = max0(controls - 1)
					}
				}
				push(frame{kind: frameInterp})
				if braces+parens+controls > max {
					return i
				}
				i += 2
			default:
				i++
			}
			continue
		}
		switch c {
		case ' ', '\t', '\r', '\n':
			i++
			continue
		case '#':
			i = lineEnd(src, i)
			continue
		case '/':
			if i+1 < n && src[i+1] == '/' {
				i = lineEnd(src, i)
				continue
			}
			if i+1 < n && src[i+1] == '*' {
				// An unclosed comment is no comment to HCL's scanner.
				if end := bytes.Index(src[i+2:], []byte("*/")); end >= 0 {
					i += 2 + end + 2
					continue
				}
			}
		case '"':
			push(frame{kind: frameQuoted})
		case '<':
			if marker, end, ok := heredocStart(src, i); ok {
				push(frame{kind: frameHeredoc, marker: marker})
				run = 0
				i = end
				continue
			}
		case '(', '[':
			parens++
		case ')', ']':
			parens = max0(parens - 1)
		case '{':
			push(frame{kind: frameBrace})
		case '}':
			if t.kind == frameBrace || t.kind == frameInterp {
				pop()
			}
		case '!', '-':
			run++
			if braces+parens+controls+run > max {
				return i
			}
			i++
			continue
		}
		run = 0
		if braces+parens+controls > max {
			return i
		}
		i++
	}
	return -1
}

func max0(n int) int {
	if n < 0 {
		return 0
	}
	return n
}

// heredocStart recognises <<ID or <<-ID followed by a newline at src[i],
// as HCL's scanner does, and returns ID and the offset after the newline.
func heredocStart(src []byte, i int) ([]byte, int, bool) {
	j := i + 2
	if j > len(src) || src[i+1] != '<' {
		return nil, 0, false
	}
	if j < len(src) && src[j] == '-' {
		j++
	}
	nl := bytes.IndexByte(src[j:], '\n')
	if nl < 0 {
		return nil, 0, false
	}
	marker := bytes.TrimSuffix(src[j:j+nl], []byte("\r"))
	if len(marker) == 0 || !hclsyntax.ValidIdentifier(string(marker)) {
		return nil, 0, false
	}
	return marker, j + nl + 1, true
}

// heredocEnd reports whether the line at src[i] closes a heredoc with the
// given marker, and the offset of the newline after it. As in HCL's
// scanner, the line is one literal up to its newline (no $ or %, no
// carriage return before the end) that is the marker once trimmed of
// spaces.
func heredocEnd(src []byte, i int, marker []byte) (int, bool) {
	nl := bytes.IndexByte(src[i:], '\n')
	if nl < 0 {
		return 0, false
	}
	line := bytes.TrimSuffix(src[i:i+nl], []byte("\r"))
	if bytes.ContainsAny(line, "$%\r") || !bytes.Equal(bytes.TrimSpace(line), marker) {
		return 0, false
	}
	return i + nl, true
}

// directive returns the keyword of a template directive whose body starts
// at src (after "%{"), such as "if" or "endfor", or "" for another word.
func directive(src []byte) string {
	j := 0
	if j < len(src) && src[j] == '~' {
		j++
	}
	for j < len(src) && (src[j] == ' ' || src[j] == '\t') {
		j++
	}
	start := j
	for j < len(src) && j-start <= 6 && (src[j] >= 'a' && src[j] <= 'z' || src[j] >= 'A' && src[j] <= 'Z' ||
		src[j] >= '0' && src[j] <= '9' || src[j] == '_' || src[j] == '-' || src[j] >= 0x80) {
		j++
	}
	switch w := string(src[start:j]); w {
	case "if", "for", "endif", "endfor":
		return w
	}
	return ""
}

func lineEnd(src []byte, i int) int {
	if end := bytes.IndexByte(src[i:], '\n'); end >= 0 {
		return i + end
	}
	return len(src)
}

// scanJSON returns the offset in src at which the nesting of JSON arrays
// and objects first exceeds max, or -1. With templates set, every string
// is also scanned as HCL reads strings of a JSON stack file: as a template
// and, in a few places (types, references), as an expression.
func scanJSON(src []byte, max int, templates bool) int {
	depth := 0
	for i := 0; i < len(src); i++ {
		switch src[i] {
		case '[', '{':
			depth++
			if depth > max {
				return i
			}
		case ']', '}':
			if depth > 0 {
				depth--
			}
		case '"':
			start := i
			escaped := false
			for i++; i < len(src) && src[i] != '"'; i++ {
				if src[i] == '\\' {
					escaped = true
					i++
				}
			}
			if !templates {
				continue
			}
			s := src[start+1 : min(i, len(src))]
			if escaped {
				var u string
				if json.Unmarshal(src[start:min(i+1, len(src))], &u) == nil {
					s = []byte(u)
				}
			}
			if scanNative(s, true, max) >= 0 || scanNative(s, false, max) >= 0 {
				return start
			}
		}
	}
	return -1
}

// CheckNative checks a native-syntax stack file, variable file or
// expression given as text (-var) before it is parsed: it must be UTF-8
// and nest no deeper than MaxDepth.
func CheckNative(src []byte, filename string, start hcl.Pos) hcl.Diagnostics {
	if d := checkUTF8(src, filename, start); d != nil {
		return d
	}
	return tooDeep(src, scanNative(src, false, MaxDepth), filename, start, "expression")
}

// CheckTemplate checks a template (templatefile's input) before it is
// parsed, as CheckNative does.
func CheckTemplate(src []byte, filename string, start hcl.Pos) hcl.Diagnostics {
	if d := checkUTF8(src, filename, start); d != nil {
		return d
	}
	return tooDeep(src, scanNative(src, true, MaxDepth), filename, start, "template")
}

// CheckJSON checks a JSON stack or variable file before it is parsed,
// with the strings in it that HCL parses later, as CheckNative does.
func CheckJSON(src []byte, filename string) hcl.Diagnostics {
	if d := checkUTF8(src, filename, hcl.InitialPos); d != nil {
		return d
	}
	return tooDeep(src, scanJSON(src, MaxDepth, true), filename, hcl.InitialPos, "JSON value")
}

// JSONDepth returns an error when JSON text (jsondecode's input) nests
// arrays and objects deeper than MaxDepth.
func JSONDepth(src []byte) error {
	if off := scanJSON(src, MaxDepth, false); off >= 0 {
		return fmt.Errorf("the JSON nests arrays and objects more than %d levels deep (at byte %d), the limit for stack input", MaxDepth, off)
	}
	return nil
}

// checkUTF8 refuses source that is not UTF-8, which HCL requires and the
// depth scan relies on.
func checkUTF8(src []byte, filename string, start hcl.Pos) hcl.Diagnostics {
	if utf8.Valid(src) {
		return nil
	}
	off := 0
	for off < len(src) {
		r, size := utf8.DecodeRune(src[off:])
		if r == utf8.RuneError && size <= 1 {
			break
		}
		off += size
	}
	pos := advance(src[:off], start)
	return hcl.Diagnostics{{
		Severity: hcl.DiagError,
		Summary:  "Invalid UTF-8",
		Detail:   "Stack files must be UTF-8 text; this byte does not start a UTF-8 character. Save the file as UTF-8.",
		Subject:  &hcl.Range{Filename: filename, Start: pos, End: hcl.Pos{Line: pos.Line, Column: pos.Column + 1, Byte: pos.Byte + 1}},
	}}
}

func tooDeep(src []byte, off int, filename string, start hcl.Pos, what string) hcl.Diagnostics {
	if off < 0 {
		return nil
	}
	pos := advance(src[:off], start)
	end := pos
	end.Column++
	end.Byte++
	return hcl.Diagnostics{{
		Severity: hcl.DiagError,
		Summary:  "Nesting too deep",
		Detail: fmt.Sprintf("This %s nests more than %d levels deep here (every bracket, brace, parenthesis, block, template interpolation or directive and unary operator in a row is a level), which is the limit for stack input; split it into locals or smaller pieces.",
			what, MaxDepth),
		Subject: &hcl.Range{Filename: filename, Start: pos, End: end},
	}}
}

// advance returns the position after src, which starts at start.
func advance(src []byte, start hcl.Pos) hcl.Pos {
	pos := start
	for _, c := range src {
		pos.Byte++
		switch {
		case c == '\n':
			pos.Line++
			pos.Column = 1
		case c&0xC0 != 0x80: // count characters, not continuation bytes
			pos.Column++
		}
	}
	return pos
}
