package cmd

import "fmt"

// Exit codes, documented in --help and the README.
const (
	ExitOK      = 0
	ExitError   = 1
	ExitChanges = 2 // plan --detailed-exitcode: there are changes
	ExitFormat  = 3 // fmt -check: files need formatting
)

// ExitError ends a command with a code; its message (if any) has been
// printed already or is printed by Execute.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

// silentExit ends with a code after the command printed what it had to.
func silentExit(code int) error { return &exitError{code: code} }

// userError is one clear sentence for the user, exit code 1.
func userError(format string, args ...any) error {
	return &exitError{code: ExitError, msg: fmt.Sprintf(format, args...)}
}
