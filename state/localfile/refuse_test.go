package localfile_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stagecraft/stagecraft/state/localfile"
	"github.com/stagecraft/stagecraft/state/localfile/localfiletest"
)

// TestRefusesWhatIsNotARegularFile is the attack of a state, plan or sim
// file replaced by a link to /dev/zero, a FIFO, a device or a directory:
// each is refused at once with one sentence, for reading and for writing.
func TestRefusesWhatIsNotARegularFile(t *testing.T) {
	t.Parallel()
	paths := map[string]string{"device": "/dev/full"}
	for what, mk := range localfiletest.Makers(t) {
		paths[what] = filepath.Join(t.TempDir(), "state.json")
		if err := mk(paths[what]); err != nil {
			t.Fatal(err)
		}
	}
	for name, path := range paths {
		for op, do := range map[string]func() error{
			"read": func() error { _, err := localfile.Read(path, localfile.MaxSize); return err },
			"append": func() error {
				f, err := localfile.Open(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE)
				if err == nil {
					f.Close()
				}
				return err
			},
		} {
			t.Run(name+"/"+op, func(t *testing.T) {
				done := make(chan error, 1)
				go func() { done <- do() }()
				var err error
				select {
				case err = <-done:
				case <-time.After(30 * time.Second):
					t.Fatalf("%s of %s did not return", op, path)
				}
				var nr *localfile.NotRegularError
				if !errors.As(err, &nr) {
					t.Fatalf("%s of %s: err = %v, want a NotRegularError", op, path, err)
				}
				msg := err.Error()
				if !strings.Contains(msg, path) || !strings.Contains(msg, "not a regular file") || strings.Contains(msg, ". ") {
					t.Errorf("error %q should be one sentence naming %s", msg, path)
				}
			})
		}
	}
}
