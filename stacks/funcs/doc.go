// Package funcs is the function library of the stack language: the functions
// a Terraform user expects to call in a stack expression, under the names
// Terraform gives them.
//
// Most functions come from go-cty's stdlib; the rest (replace with regular
// expressions, length of a string, index, coalesce, sum, one, alltrue,
// anytrue, startswith, endswith, strcontains, the to* conversions, the
// encodings and hashes, the file functions and the CIDR functions) are written
// here with Terraform's semantics.
//
// The library is deliberately deterministic, because a plan must come out the
// same every time it is made from the same inputs. So it has no uuid() and no
// timestamp(), whose results change on every call, and no abspath(),
// basename() or dirname(), so that no path of the machine running the plan
// leaks into a plan. File functions read from an fs.FS rooted at the stack
// directory and refuse paths that leave it.
//
// Every function reports a problem as an error that is one clear sentence;
// argument problems are function.ArgError values, so that the caller's HCL
// diagnostic points at the offending argument.
package funcs
