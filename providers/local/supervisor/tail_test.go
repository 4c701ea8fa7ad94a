package supervisor

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTailSince checks what error messages quote from a process's log:
// the last lines, only those written after the offset, and the whole file
// again when it was replaced by a shorter one.
func TestTailSince(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "proc.log")
	old := "old 1\nold 2\n"
	if err := os.WriteFile(path, []byte(old+"new 1\nnew 2\nnew 3\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := map[string]struct {
		offset int64
		n      int
		want   string
	}{
		"last lines":                {0, 2, "new 2\nnew 3"},
		"only after the offset":     {int64(len(old)), 10, "new 1\nnew 2\nnew 3"},
		"nothing new":               {int64(len(old)) + 18, 10, ""},
		"file replaced, read again": {1 << 20, 1, "new 3"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if got := TailSince(path, tt.offset, tt.n); got != tt.want {
				t.Errorf("TailSince(offset %d, %d lines) = %q, want %q", tt.offset, tt.n, got, tt.want)
			}
		})
	}
	if got := Tail(filepath.Join(t.TempDir(), "missing.log"), 5); got != "" {
		t.Errorf("Tail of a missing file = %q, want nothing", got)
	}
	longPath := filepath.Join(t.TempDir(), "long.log")
	long := strings.Repeat("x", 40<<10) + "\nlast\n"
	if err := os.WriteFile(longPath, []byte(long), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := Tail(longPath, 1); got != "last" {
		t.Errorf("Tail of a long file = %q, want %q", got, "last")
	}
}
