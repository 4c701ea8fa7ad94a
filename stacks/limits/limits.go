// Package limits holds the limits stack input is kept within and the cheap
// checks that enforce them before the input reaches a parser or a function.
//
// A stack file may come from a pull request, so Stagecraft treats it, and
// every file it names, as untrusted: input that nests deeper than the
// parser's recursion can bear, files larger than a plan ever needs, or
// functions asked to build collections of billions of elements are refused
// with a located diagnostic instead of exhausting the stack or the memory.
// The limits are generous for real stacks; docs/language.md lists them.
package limits

import "fmt"

const (
	// MaxDepth is how deeply an expression may nest: every parenthesis,
	// bracket, brace, block body, template interpolation or directive,
	// and every unary operator in a row counts one level. The same limit
	// holds for the arrays and objects of a JSON stack file and of
	// jsondecode's input.
	MaxDepth = 256

	// MaxFileSize is the size limit of one file: a stack file, a variable
	// file, a module file or a file a function reads.
	MaxFileSize = 4 << 20

	// MaxStackSize is the size limit of all the stack and module files one
	// stack loads, together.
	MaxStackSize = 32 << 20

	// MaxElements is how many elements a function may build into one
	// collection (range, setproduct, flatten, concat, ...), and how many
	// a for expression may iterate over.
	MaxElements = 1_000_000

	// MaxStringSize is the size limit of a string a function builds (join,
	// format, replace, ...).
	MaxStringSize = 4 << 20
)

// Size formats a byte count as the docs state the limits: "4 MiB".
func Size(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
