package sim

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/stagecraft/stagecraft/providers"
	"github.com/stagecraft/stagecraft/providers/kinds"
	"github.com/stagecraft/stagecraft/state/localfile/localfiletest"
)

// workspaceProvider is a sim provider in a stack directory, as the CLI
// makes it, configured with config.
func workspaceProvider(t *testing.T, stackDir string, config map[string]cty.Value) *provider {
	t.Helper()
	p := newProvider()
	p.retry = fastRetry()
	p.SetWorkspace(providers.WorkspaceInfo{Dir: stackDir, DataDir: filepath.Join(stackDir, ".stagecraft"), Stack: "shop", Environment: "dev"})
	configure(t, p, config)
	t.Cleanup(func() { p.Close() })
	return p
}

// TestBareProviderPersists: provider "sim" {} keeps its cloud in
// .stagecraft/sim/ENVIRONMENT.jsonl, private, so the next command finds
// what this one made; path = "" asks for a cloud in memory.
func TestBareProviderPersists(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	first := workspaceProvider(t, dir, nil)
	made := mustCreate(t, mustKind(t, first, kinds.Cache), ref(kinds.Cache, "sessions"), cacheConfig(t, first, nil))
	first.Close()

	path := filepath.Join(dir, ".stagecraft", "sim", "dev.jsonl")
	second := workspaceProvider(t, dir, nil)
	if _, exists, err := mustKind(t, second, kinds.Cache).Read(t.Context(), made); err != nil || !exists {
		t.Errorf("the next process reads %s as exists=%t (err %v), want it kept in %s", made.Address, exists, err, path)
	}
	if runtime.GOOS != "windows" {
		for p, want := range map[string]os.FileMode{path: 0o600, filepath.Dir(path): 0o700, filepath.Join(dir, ".stagecraft"): 0o700} {
			fi, err := os.Stat(p)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode().Perm() != want {
				t.Errorf("%s has mode %o, want %o", p, fi.Mode().Perm(), want)
			}
		}
	}

	memDir := t.TempDir()
	mem := workspaceProvider(t, memDir, map[string]cty.Value{"path": cty.StringVal("")})
	mustCreate(t, mustKind(t, mem, kinds.Cache), ref(kinds.Cache, "sessions"), cacheConfig(t, mem, nil))
	if _, err := os.Stat(filepath.Join(memDir, ".stagecraft")); !os.IsNotExist(err) {
		t.Errorf(`with path = "" the sim wrote under %s (stat: %v), want nothing on disk`, memDir, err)
	}
}

// TestCloudFileModeTightened: a cloud file an older version left
// world-readable is made private when the provider opens it.
func TestCloudFileModeTightened(t *testing.T) {
	t.Parallel()
	if runtime.GOOS == "windows" {
		t.Skip("Windows has no Unix modes")
	}
	path := filepath.Join(t.TempDir(), "cloud.jsonl")
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	newTestProvider(t, map[string]cty.Value{"path": cty.StringVal(path)})
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("%s has mode %o after Configure, want 600", path, fi.Mode().Perm())
	}
}

// TestCloudFileNotRegular: path = "/dev/full", a link to /dev/zero, a
// named pipe or a directory gives one sentence, not a hang or a read
// that never ends.
func TestCloudFileNotRegular(t *testing.T) {
	t.Parallel()
	paths := map[string]string{"device": "/dev/full"}
	for what, mk := range localfiletest.Makers(t) {
		paths[what] = filepath.Join(t.TempDir(), "cloud.jsonl")
		if err := mk(paths[what]); err != nil {
			t.Fatal(err)
		}
	}
	for name, path := range paths {
		t.Run(name, func(t *testing.T) {
			diags := newProvider().Configure(t.Context(), obj("path", cty.StringVal(path)))
			if len(diags) != 1 || diags[0].Summary != "Cannot open the sim cloud file" {
				t.Fatalf("Configure with path %s: %s, want one diagnostic", path, diags.Error())
			}
			detail := diags[0].Detail
			if !strings.Contains(detail, "keeps its cloud in a regular file, but "+`"`+path+`"`) || strings.Count(detail, ". ") > 0 || !strings.HasSuffix(detail, ".") {
				t.Errorf("detail %q should be one sentence saying %s is no regular file", detail, path)
			}
		})
	}
}
