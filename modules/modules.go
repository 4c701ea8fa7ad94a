// Package modules holds the built-in HCL modules, embedded in the binary. A
// stack calls one with source = "stagecraft/NAME", where NAME is a directory
// here.
package modules

import (
	"embed"
	"io/fs"
	"sort"
)

//go:embed */*.hcl
var builtin embed.FS

// FS returns the built-in modules: one directory per module (and the
// templates directory, which Names leaves out).
func FS() fs.FS { return builtin }

// Names lists the built-in modules.
func Names() []string {
	entries, err := fs.ReadDir(builtin, ".")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() && e.Name() != templatesDir {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	return names
}
