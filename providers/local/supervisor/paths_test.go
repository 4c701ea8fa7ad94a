//go:build unix

package supervisor

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestChooseSocket checks where the socket goes: in XDG_RUNTIME_DIR when
// it is a private directory of this user, else in the private directory
// when the path is short enough, else in a per-user directory of the
// temporary directory; never in a directory another user could enter.
func TestChooseSocket(t *testing.T) {
	root := t.TempDir()
	short := Paths{Dir: filepath.Join(root, "p")}
	long := Paths{Dir: filepath.Join(root, strings.Repeat("d", 120))}
	xdg := filepath.Join(root, "xdg")
	if err := os.Mkdir(xdg, 0o700); err != nil {
		t.Fatal(err)
	}
	openXDG := filepath.Join(root, "xdg-open")
	if err := os.Mkdir(openXDG, 0o755); err != nil {
		t.Fatal(err)
	}
	tmpDir := filepath.Join(os.TempDir(), "stagecraft-"+strconv.Itoa(os.Getuid()))
	tests := map[string]struct {
		paths   Paths
		xdg     string
		wantDir string
	}{
		"xdg":                {short, xdg, filepath.Join(xdg, "stagecraft")},
		"xdg others can use": {short, openXDG, short.Dir},
		"relative xdg":       {short, "run/user", short.Dir},
		"short path":         {short, "", short.Dir},
		"long path":          {long, "", tmpDir},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := ChooseSocket(tt.paths, func(k string) string {
				if k == "XDG_RUNTIME_DIR" {
					return tt.xdg
				}
				return ""
			})
			if err != nil {
				t.Fatal(err)
			}
			if filepath.Dir(got) != tt.wantDir {
				t.Errorf("socket %s, want it in %s", got, tt.wantDir)
			}
			if len(got) >= maxSocketPath {
				t.Errorf("socket path %s is %d bytes long", got, len(got))
			}
		})
	}
}

// TestMakeRuntimeDirRefuses checks that a per-user directory in a shared
// place is refused, with one sentence saying what to do, when it is a
// symlink, not a directory, open to others, or (as root) another user's.
func TestMakeRuntimeDirRefuses(t *testing.T) {
	root := t.TempDir()
	real := filepath.Join(root, "real")
	if err := os.Mkdir(real, 0o700); err != nil {
		t.Fatal(err)
	}
	cases := map[string]func(path string) error{
		"symlink":       func(path string) error { return os.Symlink(real, path) },
		"file":          func(path string) error { return os.WriteFile(path, nil, 0o600) },
		"open to group": func(path string) error { return mkdirMode(path, 0o770) },
	}
	if os.Getuid() == 0 {
		cases["another user's"] = func(path string) error {
			if err := mkdirMode(path, 0o700); err != nil {
				return err
			}
			return os.Chown(path, 65534, 65534)
		}
	}
	for name, make := range cases {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(root, strings.ReplaceAll(name, " ", "-"))
			if err := make(path); err != nil {
				t.Fatal(err)
			}
			err := MakeRuntimeDir(path)
			if err == nil {
				t.Fatalf("%s accepted", path)
			}
			if msg := err.Error(); !strings.Contains(msg, path) || !strings.Contains(msg, "remove it") {
				t.Errorf("error %q does not name %s and the fix", msg, path)
			}
		})
	}
	fresh := filepath.Join(root, "fresh")
	if err := MakeRuntimeDir(fresh); err != nil {
		t.Fatalf("a new directory: %v", err)
	}
	if info, _ := os.Stat(fresh); info.Mode().Perm() != 0o700 {
		t.Errorf("a new runtime directory has mode %v, want 0700", info.Mode().Perm())
	}
}

func mkdirMode(path string, mode os.FileMode) error {
	if err := os.Mkdir(path, mode); err != nil {
		return err
	}
	return os.Chmod(path, mode)
}
