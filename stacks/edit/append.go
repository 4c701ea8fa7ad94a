// Package edit changes stack files in place with hclwrite: it renders a
// stage from a stage template, completed from the stage it extends, and
// appends it to a stack file, keeping every byte already there. It is what
// stagecraft stage add does; the command only parses flags and reports.
package edit

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
)

// Append appends a block to a stack file, creating the file when it does
// not exist. Everything already in the file is kept byte for byte:
// the file is parsed with hclwrite (to refuse one that does not parse) and
// the new block's tokens are written after its bytes. The file's own
// tokens are not written back through hclwrite, because its output adjusts
// spacing (File.Bytes formats; tokens turn tabs into spaces).
func Append(path string, block []byte) error {
	name := filepath.Base(path)
	src, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		src, err = nil, nil
	}
	if err != nil {
		return fmt.Errorf("cannot read %s: %s.", name, err)
	}
	if _, diags := hclwrite.ParseConfig(src, name, hcl.InitialPos); diags.HasErrors() {
		return fmt.Errorf("cannot append to %s: it does not parse (%s).", name, diags[0].Error())
	}
	add, diags := hclwrite.ParseConfig(block, "template", hcl.InitialPos)
	if diags.HasErrors() {
		panic(fmt.Sprintf("rendered stage does not parse: %s\n%s", diags, block)) // our bug
	}
	tail := add.Body().BuildTokens(nil).Bytes()
	var sep []byte
	if len(bytes.TrimSpace(src)) > 0 {
		switch {
		case bytes.HasSuffix(src, []byte("\n\n")), bytes.HasSuffix(src, []byte("\r\n\r\n")):
		case bytes.HasSuffix(src, []byte("\n")):
			sep = []byte("\n") // a blank line between the last block and the new stage
		default:
			sep = []byte("\n\n")
		}
	}
	if bytes.Contains(src, []byte("\r\n")) {
		// Keep the file's line endings.
		sep = bytes.ReplaceAll(sep, []byte("\n"), []byte("\r\n"))
		tail = bytes.ReplaceAll(tail, []byte("\n"), []byte("\r\n"))
	}
	out := append(append(append([]byte(nil), src...), sep...), tail...)
	if _, diags := hclsyntax.ParseConfig(out, name, hcl.InitialPos); diags.HasErrors() {
		return fmt.Errorf("cannot append to %s: the result would not parse (%s); nothing was written. Append the stage to another file with --file NEW.hcl.", name, diags[0].Error())
	}
	if err := os.WriteFile(path, out, 0o644); err != nil {
		return fmt.Errorf("cannot write %s: %s.", name, err)
	}
	return nil
}
