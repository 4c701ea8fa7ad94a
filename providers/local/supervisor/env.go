package supervisor

import "strings"

// BaseEnvNames are the variables of the supervisor's own environment that
// every process it starts receives: enough to find programs, a home
// directory, the language and the time zone. Nothing else of the
// environment that started Stagecraft (cloud keys, tokens, variables)
// reaches a process unless its block declares it. docs/providers/local.md
// lists them; keep the two in step.
var BaseEnvNames = []string{"PATH", "HOME", "LANG", "TZ"}

// BaseEnv is the part of environ (KEY=VALUE entries) named in
// BaseEnvNames: the environment a child process starts from.
func BaseEnv(environ []string) []string {
	return FilterEnv(environ, BaseEnvNames)
}

// ChildEnv is the whole environment of a child process: the base taken
// from environ, then extra (what its block declares and what Stagecraft
// injects, such as PORT), later entries winning over earlier ones with the
// same name.
func ChildEnv(environ, extra []string) []string {
	return append(BaseEnv(environ), extra...)
}

// FilterEnv keeps the entries of environ whose name is in names, in the
// order of environ.
func FilterEnv(environ, names []string) []string {
	keep := make(map[string]bool, len(names))
	for _, n := range names {
		keep[n] = true
	}
	var out []string
	for _, kv := range environ {
		name, _, ok := strings.Cut(kv, "=")
		if ok && keep[name] {
			out = append(out, kv)
		}
	}
	return out
}
