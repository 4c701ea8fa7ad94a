package kinds

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files and generated docs")

// TestKindsDoc fails when docs/kinds.md no longer matches the kind tables;
// run with -update to regenerate it.
func TestKindsDoc(t *testing.T) {
	path := filepath.Join("..", "..", "docs", "kinds.md")
	got := Markdown()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read %s: %v (run go test ./providers/kinds -run TestKindsDoc -update)", path, err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s is stale: the kind tables changed; run go test ./providers/kinds -run TestKindsDoc -update", path)
	}
}
