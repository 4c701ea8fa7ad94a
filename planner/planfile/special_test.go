package planfile

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stagecraft/stagecraft/state/localfile/localfiletest"
)

// TestRefusesSpecialFiles: `apply PLANFILE` given a link to /dev/zero, a
// named pipe or a directory says so in one sentence at once.
func TestRefusesSpecialFiles(t *testing.T) {
	t.Parallel()
	for what, mk := range localfiletest.Makers(t) {
		path := filepath.Join(t.TempDir(), "tfplan")
		if err := mk(path); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { _, err := Read(path, nil); done <- err }()
		select {
		case err := <-done:
			if err == nil || !strings.HasPrefix(err.Error(), path+" is ") || !strings.Contains(err.Error(), "not a regular file") {
				t.Errorf("%s: Read error = %v, want one sentence saying %s is not a regular file", what, err, path)
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("%s: Read did not return", what)
		}
	}
}
