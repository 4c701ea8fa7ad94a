package cmd

import (
	"io"
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
	// NoColor is set from the NO_COLOR environment variable.
	NoColor bool
}

// color reports whether output to a stream that is (or is not) a terminal
// may be coloured.
func (s *IOStreams) color(tty bool, noColorFlag bool) bool {
	return tty && !s.NoColor && !noColorFlag
}
