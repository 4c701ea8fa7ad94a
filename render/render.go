// Package render turns plans, states and diagnostics into what people and
// tools read: the plan as text (the way Terraform users know it), as a
// Markdown pull-request comment with a Mermaid diagram, as versioned JSON,
// the target architecture as Mermaid or Graphviz dot, and configuration
// diagnostics with their source snippets, as text or JSON.
//
// Rendering lives apart from planning: the planner produces a Plan as pure
// data and knows nothing about how it looks. Nothing rendered here for a
// person ever contains a value carrying the stacks.Sensitive mark, nor one of
// an attribute the kind's schema declares sensitive.
package render

import (
	"strconv"
	"strings"
)

// Options control how text is rendered for a person.
type Options struct {
	// Color turns on ANSI colours. The caller decides: only when the output
	// is a terminal, and never when NO_COLOR is set.
	Color bool
	// Width is the column diagnostics and long messages are wrapped at; 0
	// means 78.
	Width int
	// MaxChanges, when above zero, limits the text form of a plan to its
	// first MaxChanges resource changes and migration steps; it then says
	// how many it left out and how to see them all. The command line sets
	// it on a terminal, where nobody reads 100,000 changes line by line and
	// printing them would hold up the apply.
	MaxChanges int
}

// defaultWidth is the wrap column when Options.Width is 0: what fits an
// 80-column terminal with a margin, as Terraform does.
const defaultWidth = 78

func (o Options) width() int {
	if o.Width <= 0 {
		return defaultWidth
	}
	return o.Width
}

// ANSI sequences of the few styles plans use.
const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiRed    = "\x1b[31m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
)

// styler applies ANSI styles when colour is on and passes text through
// unchanged when it is off, so renderers write one code path for both.
type styler struct{ on bool }

func (s styler) wrap(code, text string) string {
	if !s.on || text == "" {
		return text
	}
	return code + text + ansiReset
}

func (s styler) bold(text string) string   { return s.wrap(ansiBold, text) }
func (s styler) red(text string) string    { return s.wrap(ansiRed, text) }
func (s styler) green(text string) string  { return s.wrap(ansiGreen, text) }
func (s styler) yellow(text string) string { return s.wrap(ansiYellow, text) }

// symbol colours an action symbol: + green, ~ yellow, - red, and each
// character of a replacement's -/+ or +/- in its own colour.
func (s styler) symbol(sym string) string {
	if !s.on {
		return sym
	}
	var b strings.Builder
	for _, r := range sym {
		switch r {
		case '+':
			b.WriteString(s.green("+"))
		case '-':
			b.WriteString(s.red("-"))
		case '~':
			b.WriteString(s.yellow("~"))
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// wrapWords breaks text into lines of at most width columns at spaces; a
// word longer than width stands alone on its line.
func wrapWords(text string, width int) []string {
	var lines []string
	for _, para := range strings.Split(text, "\n") {
		words := strings.Fields(para)
		if len(words) == 0 {
			lines = append(lines, "")
			continue
		}
		line := words[0]
		for _, w := range words[1:] {
			if len(line)+1+len(w) > width {
				lines = append(lines, line)
				line = w
				continue
			}
			line += " " + w
		}
		lines = append(lines, line)
	}
	return lines
}

// plural returns "1 attribute" or "2 attributes".
func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
}
