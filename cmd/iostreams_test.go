package cmd

import (
	"os"
	"testing"
)

// TestNewIOStreamsNotTerminals: /dev/null is a character device but no
// terminal, and neither is a pipe, so apply with stdin from either refuses
// to ask (see TestEndToEnd) and progress is printed line by line.
func TestNewIOStreamsNotTerminals(t *testing.T) {
	t.Parallel()
	devNull, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { devNull.Close() })
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(); w.Close() })
	tests := map[string]*os.File{"null device": devNull, "pipe": r}
	for name, f := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := NewIOStreams(f, f, f)
			if s.InTTY || s.OutTTY || s.ErrOutTTY {
				t.Errorf("a %s counts as a terminal: in %v, out %v, err %v", name, s.InTTY, s.OutTTY, s.ErrOutTTY)
			}
			if s.ErrOutWidth != 0 || s.errOutWidth() != defaultWidth {
				t.Errorf("width %d (used: %d), want none and the default %d", s.ErrOutWidth, s.errOutWidth(), defaultWidth)
			}
		})
	}
}
