package providers

import "fmt"

// OperationError is an error about one resource: what a provider was doing
// (Op), to which resource (Address) and, when it is known, which
// attributes (Attr). Its type tells the planner that the message names the
// resource already, so the planner does not name it a second time and never
// has to read the message to find out.
type OperationError struct {
	// Op is what was being done ("create", "update", "delete", "read"),
	// or empty when the message names only the resource.
	Op string
	// Address is the resource's address in the stack ("cache.sessions").
	Address string
	// Attr names the attributes the error concerns ("route[0].path"),
	// printed in parentheses after the address; empty for the resource as a
	// whole.
	Attr string
	// Err is what went wrong.
	Err error
	// Worded says that Err's message is a whole sentence that names the
	// resource itself ("cache.sessions no longer runs; ..."): Error returns
	// it without a prefix.
	Worded bool
}

// Error lays the message out as "OP ADDRESS (ATTR): ERR", leaving out the
// parts that are empty, or returns Err's message alone when it is Worded.
func (e *OperationError) Error() string {
	if e.Worded {
		return e.Err.Error()
	}
	where := e.Address
	if e.Attr != "" {
		where += " (" + e.Attr + ")"
	}
	if e.Op != "" {
		where = e.Op + " " + where
	}
	return where + ": " + e.Err.Error()
}

// Unwrap returns Err, so that errors.Is and errors.As (IsRetryable among
// them) see through the operation.
func (e *OperationError) Unwrap() error { return e.Err }

// Errorf returns an OperationError about r for op, with a message
// formatted as fmt.Errorf does (%w wraps): "create cache.sessions: ...".
func (r Ref) Errorf(op, format string, args ...any) error {
	return &OperationError{Op: op, Address: r.Address, Err: fmt.Errorf(format, args...)}
}

// AttrErrorf is Errorf about some attributes of r:
// "create cache.sessions (nodes): ...".
func (r Ref) AttrErrorf(op, attr, format string, args ...any) error {
	return &OperationError{Op: op, Address: r.Address, Attr: attr, Err: fmt.Errorf(format, args...)}
}

// Sentencef returns an OperationError about r for op whose message is a
// whole sentence that names r itself, such as "%s no longer runs" with
// r.Address: it is shown as written, without a prefix.
func (r Ref) Sentencef(op, format string, args ...any) error {
	return &OperationError{Op: op, Address: r.Address, Err: fmt.Errorf(format, args...), Worded: true}
}
