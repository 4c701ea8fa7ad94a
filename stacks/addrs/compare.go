package addrs

import (
	"bytes"
	"strings"
)

// Compare orders instances as plans and command output list them: by
// their text form, except that runs of digits compare as numbers, so
// cache.c[2] comes before cache.c[10] and cache.node3 before cache.node12.
// Texts that differ only in leading zeros of a number in a name fall back
// to byte order, so Compare returns 0 only for equal addresses.
func Compare(a, b Instance) int {
	var ba, bb [128]byte
	x, y := a.appendText(ba[:0]), b.appendText(bb[:0])
	if c := compareNatural(x, y); c != 0 {
		return c
	}
	return bytes.Compare(x, y)
}

// Less reports whether a comes before b in Compare's order.
func Less(a, b Instance) bool { return Compare(a, b) < 0 }

// CompareText orders instances by the bytes of their text form, the order
// state files keep their resources in.
func CompareText(a, b Instance) int {
	var ba, bb [128]byte
	return bytes.Compare(a.appendText(ba[:0]), b.appendText(bb[:0]))
}

// CompareStrings orders the text forms of addresses as Compare orders the
// addresses, for texts that are not parsed, such as the addresses a
// provider reports in tags.
func CompareStrings(a, b string) int {
	if c := compareNatural(a, b); c != 0 {
		return c
	}
	return strings.Compare(a, b)
}

// compareNatural compares a and b byte by byte, except that runs of
// digits compare as numbers.
func compareNatural[T string | []byte](a, b T) int {
	for len(a) > 0 && len(b) > 0 {
		if isDigit(a[0]) && isDigit(b[0]) {
			da, db := digitRun(a), digitRun(b)
			na, nb := trimZeros(a[:da]), trimZeros(b[:db])
			if len(na) != len(nb) {
				return len(na) - len(nb)
			}
			for i := range len(na) {
				if na[i] != nb[i] {
					return int(na[i]) - int(nb[i])
				}
			}
			a, b = a[da:], b[db:]
			continue
		}
		if a[0] != b[0] {
			return int(a[0]) - int(b[0])
		}
		a, b = a[1:], b[1:]
	}
	return len(a) - len(b)
}

func trimZeros[T string | []byte](s T) T {
	for len(s) > 0 && s[0] == '0' {
		s = s[1:]
	}
	return s
}

func digitRun[T string | []byte](s T) int {
	i := 0
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	return i
}
