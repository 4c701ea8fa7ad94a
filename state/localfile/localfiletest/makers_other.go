//go:build !unix

package localfiletest

import "testing"

func makers(t testing.TB) map[string]Maker {
	t.Skip("named pipes and /dev/zero are Unix files")
	return nil
}
