package render

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
)

// Diagnostics writes configuration diagnostics for people, the way HCL
// (and so Terraform) prints them: severity and summary, where the problem
// is as file:line:column (the form editors and CI logs turn into links),
// the source lines with the problem marked, and the detail wrapped at the
// width. With colour the problem is underlined, as HCL does; without, a
// line of carets marks it. files holds the parsed sources by name, for the
// snippets; a diagnostic whose file is missing is printed without one.
func Diagnostics(w io.Writer, files map[string]*hcl.File, diags hcl.Diagnostics, o Options) error {
	for _, d := range diags {
		var buf bytes.Buffer
		if err := hcl.NewDiagnosticTextWriter(&buf, files, uint(o.width()), o.Color).WriteDiagnostic(d); err != nil {
			return err
		}
		text := buf.String()
		if r := d.Subject; r != nil {
			text = withColumn(text, r)
			if !o.Color {
				text = withCarets(text, files[r.Filename], r)
			}
		}
		if _, err := io.WriteString(w, text); err != nil {
			return err
		}
	}
	return nil
}

// withColumn turns HCL's "on FILE line N" into "on FILE:N:C".
func withColumn(text string, r *hcl.Range) string {
	at := fmt.Sprintf("  on %s line %d", r.Filename, r.Start.Line)
	return strings.Replace(text, at, fmt.Sprintf("  on %s:%d:%d", r.Filename, r.Start.Line, r.Start.Column), 1)
}

// withCarets adds a line of carets under the snippet line where a
// one-line subject starts, under the subject's columns.
func withCarets(text string, file *hcl.File, r *hcl.Range) string {
	if file == nil || r.Start.Line != r.End.Line || r.Start.Byte > len(file.Bytes) {
		return text
	}
	src := file.Bytes
	lineStart := bytes.LastIndexByte(src[:r.Start.Byte], '\n') + 1
	lineEnd := bytes.IndexByte(src[lineStart:], '\n')
	if lineEnd < 0 {
		lineEnd = len(src) - lineStart
	}
	srcLine := string(src[lineStart : lineStart+lineEnd])
	snippet := fmt.Sprintf("%4d: %s\n", r.Start.Line, srcLine)
	i := strings.Index(text, snippet)
	if i < 0 {
		return text
	}
	// Keep tabs so the carets line up under tab-indented source.
	var lead strings.Builder
	for _, c := range string(src[lineStart:r.Start.Byte]) {
		if c == '\t' {
			lead.WriteByte('\t')
		} else {
			lead.WriteByte(' ')
		}
	}
	width := max(1, utf8.RuneCount(src[r.Start.Byte:min(r.End.Byte, lineStart+lineEnd)]))
	carets := "      " + lead.String() + strings.Repeat("^", width) + "\n"
	end := i + len(snippet)
	return text[:end] + carets + text[end:]
}

// DiagnosticsFormatVersion is the version of the JSON form of diagnostics.
// Fields are only added within a major version.
const DiagnosticsFormatVersion = 1

type jsonDiagnostics struct {
	FormatVersion int               `json:"format_version"`
	Valid         bool              `json:"valid"`
	ErrorCount    int               `json:"error_count"`
	WarningCount  int               `json:"warning_count"`
	Diagnostics   []*jsonDiagnostic `json:"diagnostics"`
}

type jsonDiagnostic struct {
	Severity string     `json:"severity"`
	Summary  string     `json:"summary"`
	Detail   string     `json:"detail"`
	Range    *jsonRange `json:"range,omitempty"`
}

type jsonRange struct {
	Filename string  `json:"filename"`
	Start    jsonPos `json:"start"`
	End      jsonPos `json:"end"`
}

type jsonPos struct {
	Line   int `json:"line"`
	Column int `json:"column"`
	Byte   int `json:"byte"`
}

// DiagnosticsJSON writes diagnostics for tools (`validate -o json`), in the
// shape Terraform's `validate -json` has:
//
//	{"format_version": 1, "valid": false, "error_count": 1, "warning_count": 0,
//	 "diagnostics": [{"severity": "error", "summary": "...", "detail": "...",
//	   "range": {"filename": "stack.hcl", "start": {"line": 3, "column": 5, "byte": 40}, "end": {...}}}]}
//
// valid is true when there is no error. A diagnostic without a source
// location has no range.
func DiagnosticsJSON(w io.Writer, diags hcl.Diagnostics) error {
	out := jsonDiagnostics{FormatVersion: DiagnosticsFormatVersion, Diagnostics: []*jsonDiagnostic{}}
	for _, d := range diags {
		jd := &jsonDiagnostic{Summary: d.Summary, Detail: d.Detail}
		switch d.Severity {
		case hcl.DiagError:
			jd.Severity = "error"
			out.ErrorCount++
		case hcl.DiagWarning:
			jd.Severity = "warning"
			out.WarningCount++
		default:
			jd.Severity = "invalid"
		}
		if r := d.Subject; r != nil {
			jd.Range = &jsonRange{
				Filename: r.Filename,
				Start:    jsonPos{Line: r.Start.Line, Column: r.Start.Column, Byte: r.Start.Byte},
				End:      jsonPos{Line: r.End.Line, Column: r.End.Column, Byte: r.End.Byte},
			}
		}
		out.Diagnostics = append(out.Diagnostics, jd)
	}
	out.Valid = out.ErrorCount == 0
	data, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(data, '\n'))
	return err
}
