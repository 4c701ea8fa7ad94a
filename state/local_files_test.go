package state

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stagecraft/stagecraft/state/localfile"
	"github.com/stagecraft/stagecraft/state/localfile/localfiletest"
)

// TestLocalRefusesSpecialFiles is the attack of a state, journal or lock
// file replaced by a link to /dev/zero, a named pipe or a directory: every
// use of the backend fails at once with a NotRegularError instead of
// reading for ever or waiting on the pipe.
func TestLocalRefusesSpecialFiles(t *testing.T) {
	t.Parallel()
	files := map[string]func(l *Local) string{
		"state":   (*Local).StatePath,
		"journal": (*Local).JournalPath,
		"lock":    (*Local).LockPath,
	}
	for what, mk := range localfiletest.Makers(t) {
		for file, pathOf := range files {
			t.Run(file+"/"+what, func(t *testing.T) {
				t.Parallel()
				l := NewLocal(filepath.Join(t.TempDir(), "state"), "dev")
				if file == "journal" {
					// A journal continues a written state.
					if err := l.Write(t.Context(), New("shop", "dev")); err != nil {
						t.Fatal(err)
					}
				}
				if err := localfile.MkdirAll(filepath.Dir(l.StatePath())); err != nil {
					t.Fatal(err)
				}
				if err := mk(pathOf(l)); err != nil {
					t.Fatal(err)
				}
				read := func() error { _, err := l.Read(t.Context()); return err }
				use := map[string]func() error{
					"read":  read,
					"write": func() error { return l.Write(t.Context(), New("shop", "dev")) },
				}
				switch file {
				case "journal":
					// (Write removes a journal without reading it.)
					use = map[string]func() error{"read": read, "open journal": func() error {
						j, err := l.Journal(t.Context())
						if err == nil {
							j.Close()
						}
						return err
					}}
				case "lock":
					use = map[string]func() error{"lock": func() error {
						unlock, err := l.Lock(t.Context(), LockInfo{Operation: "test"})
						if err == nil {
							unlock()
						}
						return err
					}}
				}
				for name, do := range use {
					done := make(chan error, 1)
					go func() { done <- do() }()
					select {
					case err := <-done:
						var nr *localfile.NotRegularError
						if !errors.As(err, &nr) {
							t.Errorf("%s with the %s file a %s: err = %v, want a NotRegularError", name, file, what, err)
						}
					case <-time.After(30 * time.Second):
						t.Fatalf("%s with the %s file a %s did not return", name, file, what)
					}
				}
			})
		}
	}
}

// TestLocalFileModes: the state directory and every file in it are
// private, and a journal an older version left world-readable is
// tightened when it is written again.
func TestLocalFileModes(t *testing.T) {
	t.Parallel()
	l, s := written(t)
	if err := os.Chmod(filepath.Dir(l.StatePath()), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(l.JournalPath(), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	unlock, err := l.Lock(t.Context(), LockInfo{Operation: "test"})
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	j, err := l.Journal(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	if err := l.Write(t.Context(), s); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]os.FileMode{
		filepath.Dir(l.StatePath()): 0o700, l.StatePath(): 0o600, l.JournalPath(): 0o600, l.LockPath(): 0o600,
	} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s has mode %o, want %o", path, fi.Mode().Perm(), want)
		}
	}
}
