package addrs

import "strconv"

// Key is an instance key: none for a block without count or for_each, a
// whole number for count, a string for for_each. The zero Key is NoKey.
// Keys are comparable, so addresses can be map keys.
type Key struct {
	kind keyKind
	n    int
	s    string
}

type keyKind uint8

const (
	noKey keyKind = iota
	intKey
	stringKey
)

// NoKey is the key of the one instance of a block without count or
// for_each.
var NoKey = Key{}

// IntKey returns the key of instance n of a block with count. n is never
// negative: count indexes start at zero.
func IntKey(n int) Key {
	if n < 0 {
		panic("addrs: negative instance key " + strconv.Itoa(n))
	}
	return Key{kind: intKey, n: n}
}

// StringKey returns the key of the instance for_each made for s.
func StringKey(s string) Key {
	return Key{kind: stringKey, s: s}
}

// IsNone reports whether k is NoKey.
func (k Key) IsNone() bool { return k.kind == noKey }

// Int returns a count key's index, and false for other keys.
func (k Key) Int() (int, bool) { return k.n, k.kind == intKey }

// Str returns a for_each key's string, and false for other keys.
func (k Key) Str() (string, bool) { return k.s, k.kind == stringKey }

// String returns the key as it appears in an address: [0] or ["name"], or
// the empty string for NoKey.
func (k Key) String() string {
	switch k.kind {
	case intKey:
		return "[" + strconv.Itoa(k.n) + "]"
	case stringKey:
		return "[" + strconv.Quote(k.s) + "]"
	}
	return ""
}

// appendText appends the key as String writes it to b, without
// allocating when b has room.
func (k Key) appendText(b []byte) []byte {
	switch k.kind {
	case intKey:
		b = strconv.AppendInt(append(b, '['), int64(k.n), 10)
	case stringKey:
		b = strconv.AppendQuote(append(b, '['), k.s)
	default:
		return b
	}
	return append(b, ']')
}

// Equal reports whether k and o are the same key. It is k == o, for
// comparison libraries that cannot see unexported fields (go-cmp).
func (k Key) Equal(o Key) bool { return k == o }
