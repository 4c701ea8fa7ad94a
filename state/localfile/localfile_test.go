package localfile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestReadBounded(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "state.json")
	if err := os.WriteFile(path, []byte("0123456789"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got, err := Read(path, 10); err != nil || string(got) != "0123456789" {
		t.Errorf("Read at the limit = %q, %v; want the whole file", got, err)
	}
	_, err := Read(path, 9)
	var tl *TooLargeError
	if !errors.As(err, &tl) || !strings.Contains(err.Error(), "larger than 9 bytes") {
		t.Errorf("Read over the limit: err = %v, want a TooLargeError naming 9 bytes", err)
	}
	if _, err := Read(filepath.Join(t.TempDir(), "missing"), MaxSize); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Read of a missing file: err = %v, want fs.ErrNotExist", err)
	}
}

// TestTightensModes: files opened for writing and directories made become
// private, including ones an older version created world-readable.
func TestTightensModes(t *testing.T) {
	t.Parallel()
	if runtime.GOOS == "windows" {
		t.Skip("Windows has no Unix modes")
	}
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	old := filepath.Join(dir, "sim.jsonl")
	if err := os.WriteFile(old, []byte("x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := MkdirAll(filepath.Join(dir, "new", "sub")); err != nil {
		t.Fatal(err)
	}
	if err := MkdirAll(dir); err != nil {
		t.Fatal(err)
	}
	f, err := Open(old, os.O_WRONLY|os.O_APPEND)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	f, err = Open(filepath.Join(dir, "new", "journal"), os.O_WRONLY|os.O_CREATE)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	want := map[string]fs.FileMode{
		dir: DirMode, filepath.Join(dir, "new"): DirMode, filepath.Join(dir, "new", "sub"): DirMode,
		old: FileMode, filepath.Join(dir, "new", "journal"): FileMode,
	}
	for p, mode := range want {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != mode {
			t.Errorf("%s has mode %o, want %o", p, fi.Mode().Perm(), mode)
		}
	}
}
