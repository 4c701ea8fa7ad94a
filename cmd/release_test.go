package cmd

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestGoreleaserConfig checks that the release configuration parses as
// GoReleaser v2, builds the main package for the promised platforms and
// stamps the version the version command prints.
func TestGoreleaserConfig(t *testing.T) {
	t.Parallel()
	src, err := os.ReadFile(filepath.Join("..", "goreleaser.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		Version int `yaml:"version"`
		Builds  []struct {
			Main    string   `yaml:"main"`
			Goos    []string `yaml:"goos"`
			Goarch  []string `yaml:"goarch"`
			Ldflags []string `yaml:"ldflags"`
		} `yaml:"builds"`
		Checksum struct {
			NameTemplate string `yaml:"name_template"`
		} `yaml:"checksum"`
	}
	if err := yaml.Unmarshal(src, &cfg); err != nil {
		t.Fatalf("goreleaser.yaml does not parse: %v", err)
	}
	if cfg.Version != 2 {
		t.Errorf("version %d, want GoReleaser's v2 format", cfg.Version)
	}
	if len(cfg.Builds) != 1 {
		t.Fatalf("%d builds, want 1", len(cfg.Builds))
	}
	b := cfg.Builds[0]
	if b.Main != "./cmd/stagecraft" {
		t.Errorf("main %q, want ./cmd/stagecraft", b.Main)
	}
	if _, err := os.Stat(filepath.Join("..", b.Main, "main.go")); err != nil {
		t.Errorf("the main package %s is missing: %v", b.Main, err)
	}
	sort.Strings(b.Goos)
	sort.Strings(b.Goarch)
	if got := strings.Join(b.Goos, ","); got != "darwin,linux,windows" {
		t.Errorf("goos %s", got)
	}
	if got := strings.Join(b.Goarch, ","); got != "amd64,arm64" {
		t.Errorf("goarch %s", got)
	}
	flags := strings.Join(b.Ldflags, " ")
	for _, v := range []string{"main.version", "main.commit", "main.date"} {
		if !strings.Contains(flags, "-X "+v+"=") {
			t.Errorf("ldflags do not stamp %s: %s", v, flags)
		}
	}
	if cfg.Checksum.NameTemplate == "" {
		t.Error("no checksums")
	}
}
