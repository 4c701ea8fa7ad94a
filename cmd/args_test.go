package cmd

import "testing"

func TestPositionals(t *testing.T) {
	t.Parallel()
	for use, want := range map[string]string{
		"plan":                         "",
		"import ADDRESS ID":            "ADDRESS ID",
		"apply [PLANFILE]":             "[PLANFILE]",
		"fmt [PATH...]":                "[PATH...]",
		"init [--template NAME]":       "",
		"comment --body-file FILE":     "",
		"add NAME --template TEMPLATE": "NAME",
	} {
		if got := positionals(use); got != want {
			t.Errorf("positionals(%q) = %q, want %q", use, got, want)
		}
	}
}
