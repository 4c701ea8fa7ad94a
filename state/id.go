package state

import (
	"crypto/rand"
	"encoding/hex"
)

// newID returns a random version 4 UUID in its usual text form
// (8-4-4-4-12 hex digits). It names state lineages and locks, both of which
// must differ between machines without any coordination.
func newID() string {
	var b [16]byte
	// crypto/rand.Read never returns an error since Go 1.24; it aborts the
	// program if the system's random source fails.
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40 // version 4
	b[8] = b[8]&0x3f | 0x80 // RFC 4122 variant
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:36], b[10:16])
	return string(s[:])
}
