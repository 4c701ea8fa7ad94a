// Package addrs holds the typed addresses of resources and their
// instances: the module path, kind and name of a resource block
// ("module.web.cache.sessions") and the instance key that count or
// for_each gives each of its instances (`cache.c[0]`, `cache.c["a"]`).
//
// Addresses are parsed once, where they enter as text (a state file, a
// plan file, the command line), and travel as values from then on; they
// become text again only where they leave (files, JSON, what people read).
// The text form is the one stack files use for references, and String and
// Parse convert between the two exactly, so files keep their bytes.
//
// The package imports only the standard library and HCL's identifier rules,
// so that packages holding pure data (plans, states) can use it.
package addrs
