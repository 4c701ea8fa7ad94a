package cmd

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
)

// explainArgs wraps the argument check of c and of every command below
// it, so that a wrong number of arguments is one sentence naming what the
// command takes, instead of cobra's "accepts 1 arg(s), received 0".
func explainArgs(c *cobra.Command) {
	if check := c.Args; check != nil {
		c.Args = func(cmd *cobra.Command, args []string) error {
			if err := check(cmd, args); err != nil {
				return argsError(cmd, args)
			}
			return nil
		}
	}
	for _, sub := range c.Commands() {
		explainArgs(sub)
	}
}

// argsError says what c takes and what it was given.
func argsError(c *cobra.Command, args []string) error {
	given := "no arguments"
	switch {
	case len(args) > 3:
		given = fmt.Sprintf("%d arguments", len(args))
	case len(args) > 0:
		quoted := make([]string, len(args))
		for i, a := range args {
			quoted[i] = fmt.Sprintf("%q", a)
		}
		given = strings.Join(quoted, " ")
	}
	takes := "no arguments"
	if p := positionals(c.Use); p != "" {
		takes = p
	}
	return userError("%s takes %s, but was given %s; run '%s --help' for how to use it.", c.CommandPath(), takes, given, c.CommandPath())
}

// positionals returns the arguments a command's Use line names, without
// its name and the flags written there ("add NAME --template TEMPLATE"
// gives "NAME", "init [--template NAME]" gives "").
func positionals(use string) string {
	fields := strings.Fields(use)
	var out []string
	for i := 1; i < len(fields); i++ {
		f := fields[i]
		if strings.HasPrefix(f, "-") || strings.HasPrefix(f, "[-") {
			// The flag's value, when written, is not an argument.
			if !strings.HasSuffix(f, "]") && i+1 < len(fields) && !strings.HasPrefix(fields[i+1], "-") {
				i++
			}
			continue
		}
		out = append(out, f)
	}
	return strings.Join(out, " ")
}
