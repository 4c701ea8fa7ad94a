package cmd

import (
	"encoding/json"
	"io"
	"os"

	"golang.org/x/term"
)

// IOStreams are the command's standard streams. Results go to Out,
// progress and diagnostics to ErrOut.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer
	// The terminal flags say which streams are terminals: colour and the
	// live progress view need one, and apply only asks for confirmation
	// on one.
	InTTY     bool
	OutTTY    bool
	ErrOutTTY bool
	// ErrOutWidth is the width of the ErrOut terminal in columns, so the
	// live progress view draws lines that do not wrap; 0 when unknown
	// (the view then assumes defaultWidth).
	ErrOutWidth int
	// NoColor is set from the NO_COLOR environment variable.
	NoColor bool
}

// defaultWidth is the terminal width assumed when it cannot be read.
const defaultWidth = 80

// NewIOStreams makes the streams of a process from its standard files,
// telling terminals apart from files, pipes and devices such as
// /dev/null: only a terminal can answer apply's question, and only on
// one does the live progress view make sense.
func NewIOStreams(in, out, errOut *os.File) *IOStreams {
	s := &IOStreams{
		In: in, Out: out, ErrOut: errOut,
		InTTY: isTerminal(in), OutTTY: isTerminal(out), ErrOutTTY: isTerminal(errOut),
	}
	if s.ErrOutTTY {
		if w, _, err := term.GetSize(int(errOut.Fd())); err == nil && w > 0 {
			s.ErrOutWidth = w
		}
	}
	return s
}

// printJSON prints v as indented JSON, the form of every -o json and
// -json result.
func printJSON(out io.Writer, v any) error {
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// readFileOrStdin reads the file a command is given, or stdin when
// the name is "-".
func readFileOrStdin(in io.Reader, name string) ([]byte, error) {
	if name == "-" {
		return io.ReadAll(in)
	}
	return os.ReadFile(name)
}

// isTerminal reports whether f is a terminal. A character device is not
// enough: /dev/null is one too.
func isTerminal(f *os.File) bool {
	return term.IsTerminal(int(f.Fd()))
}

// color reports whether output to a stream that is (or is not) a terminal
// may be coloured.
func (s *IOStreams) color(tty bool, noColorFlag bool) bool {
	return tty && !s.NoColor && !noColorFlag
}

// errOutWidth is the width the live progress view fits its lines into.
func (s *IOStreams) errOutWidth() int {
	if s.ErrOutWidth > 0 {
		return s.ErrOutWidth
	}
	return defaultWidth
}
