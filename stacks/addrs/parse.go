package addrs

import (
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// ParseError says why a text is not an address. Its message is one
// sentence that quotes the text and says what to write instead.
type ParseError struct {
	// Input is the text that was parsed.
	Input string
	// Reason completes the sentence that starts with the quoted input.
	Reason string
}

func (e *ParseError) Error() string { return strconv.Quote(e.Input) + " " + e.Reason }

// generalForm is the reason given when a text has no recognisable shape.
const generalForm = "is not an address; write KIND.NAME (cache.sessions), KIND.NAME[KEY] or module.NAME"

// Parse parses the address of a resource instance as String writes it and
// as people write it on the command line: `cache.sessions`,
// `cache.c[0]`, `module.web["a"].autoscaling_group.app`. Spaces inside
// the brackets are allowed; String gives the canonical form. Parse does
// not know which kinds exist: it checks the shape of the address only.
func Parse(s string) (Instance, error) {
	t, err := ParseTarget(s)
	if err != nil {
		return Instance{}, err
	}
	if t.addr.Kind == "" {
		return Instance{}, &ParseError{Input: s, Reason: "names a module, not a resource; write " + t.addr.Module.text + ".KIND.NAME"}
	}
	return t.addr, nil
}

// segment is one name of an address with the key that follows it.
type segment struct {
	name string
	key  Key
}

// lex splits an address into its names and keys, checking that names are
// identifiers and keys are whole numbers or quoted strings.
func lex(s string) ([]segment, error) {
	var segs []segment
	i := 0
	for {
		j := i
		for j < len(s) && s[j] != '.' && s[j] != '[' {
			j++
		}
		name := s[i:j]
		if !hclsyntax.ValidIdentifier(name) {
			return nil, &ParseError{Input: s, Reason: generalForm}
		}
		seg := segment{name: name}
		i = j
		if i < len(s) && s[i] == '[' {
			k, n, err := lexKey(s, i)
			if err != nil {
				return nil, err
			}
			seg.key, i = k, n
		}
		segs = append(segs, seg)
		if i == len(s) {
			return segs, nil
		}
		if s[i] != '.' {
			return nil, &ParseError{Input: s, Reason: generalForm}
		}
		i++
	}
}

// lexKey reads the key in brackets at s[i] and returns it with the offset
// after the closing bracket.
func lexKey(s string, i int) (Key, int, error) {
	bad := &ParseError{Input: s, Reason: "is not an address: an instance key is a whole number ([0]) or a quoted string ([\"name\"])"}
	i = skipSpaces(s, i+1)
	var k Key
	switch {
	case i < len(s) && s[i] == '"':
		j := i + 1
		for j < len(s) && s[j] != '"' {
			if s[j] == '\\' {
				j++
			}
			j++
		}
		if j >= len(s) {
			return Key{}, 0, bad
		}
		str, err := strconv.Unquote(s[i : j+1])
		if err != nil {
			return Key{}, 0, bad
		}
		k, i = StringKey(str), j+1
	case i < len(s) && isDigit(s[i]):
		j := i
		for j < len(s) && isDigit(s[j]) {
			j++
		}
		n, err := strconv.Atoi(s[i:j])
		if err != nil {
			return Key{}, 0, bad
		}
		k, i = IntKey(n), j
	default:
		return Key{}, 0, bad
	}
	i = skipSpaces(s, i)
	if i >= len(s) || s[i] != ']' {
		return Key{}, 0, bad
	}
	return k, i + 1, nil
}

func skipSpaces(s string, i int) int {
	for i < len(s) && s[i] == ' ' {
		i++
	}
	return i
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// ParseTarget parses an address as people write it for --target and the
// state commands: a resource instance, a resource block (all of its
// instances) or a module (everything in it).
func ParseTarget(s string) (Target, error) {
	in := strings.TrimSpace(s)
	if in == "" {
		return Target{}, &ParseError{Input: s, Reason: generalForm}
	}
	segs, err := lex(in)
	if err != nil {
		err.(*ParseError).Input = s
		return Target{}, err
	}
	var m Module
	i := 0
	for i < len(segs) && segs[i].name == "module" {
		if !segs[i].key.IsNone() {
			return Target{}, &ParseError{Input: s, Reason: generalForm}
		}
		if i+1 == len(segs) {
			return Target{}, &ParseError{Input: s, Reason: `ends after "module"; write module.NAME`}
		}
		m = m.Child(segs[i+1].name, segs[i+1].key)
		i += 2
	}
	if i == len(segs) {
		return Target{addr: Instance{Resource: Resource{Module: m}}}, nil
	}
	kind := segs[i]
	if !kind.key.IsNone() {
		return Target{}, &ParseError{Input: s, Reason: generalForm}
	}
	if i+1 == len(segs) {
		return Target{}, &ParseError{Input: s, Reason: "has no resource name; write " + kind.name + ".NAME"}
	}
	if i+2 != len(segs) {
		return Target{}, &ParseError{Input: s, Reason: "continues after the resource; an address ends with KIND.NAME or KIND.NAME[KEY]"}
	}
	name := segs[i+1]
	return Target{addr: m.Resource(kind.name, name.name).Instance(name.key)}, nil
}

// MustParse is Parse for addresses written in code and tests, which are
// known to be valid; it panics on an error, as regexp.MustCompile does.
func MustParse(s string) Instance {
	a, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return a
}
