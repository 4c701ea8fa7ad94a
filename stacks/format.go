package stacks

import (
	"bytes"
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"

	"github.com/stagecraft/stagecraft/stacks/limits"
)

// Format returns src in the canonical layout: indentation, aligned equals
// signs, spacing around operators, one trailing newline. It refuses source
// that does not parse, so a syntax error is never rewritten. Formatting is
// idempotent: Format(Format(src)) == Format(src).
func Format(src []byte) ([]byte, error) {
	return FormatFile(src, "stack.hcl")
}

// FormatFile is Format with the file name used in error messages.
func FormatFile(src []byte, filename string) ([]byte, error) {
	if diags := limits.CheckNative(src, filename, hcl.InitialPos); diags.HasErrors() {
		return nil, &FormatError{Diags: diags}
	}
	if _, diags := hclsyntax.ParseConfig(src, filename, hcl.InitialPos); diags.HasErrors() {
		return nil, &FormatError{Diags: diags}
	}
	out := hclwrite.Format(src)
	out = bytes.TrimRight(out, "\n")
	if len(out) == 0 {
		return []byte{}, nil
	}
	return append(out, '\n'), nil
}

// FormatError is returned for source that does not parse; Diags hold the
// syntax errors with their positions.
type FormatError struct {
	Diags hcl.Diagnostics
}

func (e *FormatError) Error() string {
	if len(e.Diags) == 0 {
		return "syntax error"
	}
	d := e.Diags[0]
	if d.Subject != nil {
		return fmt.Sprintf("%s: %s; %s", d.Subject, d.Summary, d.Detail)
	}
	return fmt.Sprintf("%s; %s", d.Summary, d.Detail)
}
