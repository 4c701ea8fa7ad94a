package cmd

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/stagecraft/stagecraft/state"
)

// StagesOptions are the inputs of stages.
type StagesOptions struct {
	Deps   *Deps
	Global *GlobalOptions
}

func newStagesCmd(deps *Deps, g *GlobalOptions, runF func(context.Context, *StagesOptions) error) *cobra.Command {
	opts := &StagesOptions{Deps: deps, Global: g}
	return &cobra.Command{
		Use:   "stages",
		Short: "Show the stage ladder, and where each environment is and is going",
		Long: `List the stages in ladder order with what each adds, and for every
environment the stage it is at (the last applied) and the stage it targets.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runStages(c.Context(), opts)
		},
	}
}

type stageRow struct {
	Name        string   `json:"name"`
	Description string   `json:"description,omitempty"`
	Extends     string   `json:"extends,omitempty"`
	Applied     []string `json:"applied_in"`
	Targeted    []string `json:"targeted_by"`
}

func runStages(ctx context.Context, opts *StagesOptions) error {
	st, abs, err := loadStack(opts.Deps, opts.Global)
	if err != nil {
		return err
	}
	applied := map[string][]string{}
	target := map[string][]string{}
	for _, env := range st.Environments {
		target[env.Stage] = append(target[env.Stage], env.Name)
		if env.Backend != nil && env.Backend.Type != "local" {
			continue
		}
		s, err := state.NewLocal(filepath.Join(abs, dataDirName, "state"), env.Name).Read(ctx)
		if err == nil && s != nil && s.Stage != "" {
			applied[s.Stage] = append(applied[s.Stage], env.Name)
		}
	}
	var rows []stageRow
	for _, s := range st.Stages {
		rows = append(rows, stageRow{Name: s.Name, Description: s.Description, Extends: s.Extends,
			Applied: nonNil(applied[s.Name]), Targeted: nonNil(target[s.Name])})
	}
	out := opts.Deps.IO.Out
	if opts.Global.Output == "json" {
		return printJSON(out, map[string]any{"stack": st.Name, "stages": rows})
	}
	width := 0
	for _, r := range rows {
		width = max(width, len(r.Name))
	}
	fmt.Fprintf(out, "Stages of %q, in order:\n\n", st.Name)
	for i, r := range rows {
		var marks []string
		for _, e := range r.Applied {
			marks = append(marks, e+": applied")
		}
		for _, e := range r.Targeted {
			marks = append(marks, e+": target")
		}
		line := fmt.Sprintf("  %d. %-*s", i+1, width, r.Name)
		if len(marks) > 0 {
			line += "   <- " + strings.Join(marks, ", ")
		}
		fmt.Fprintln(out, strings.TrimRight(line, " "))
		if r.Description != "" {
			fmt.Fprintf(out, "     %s\n", r.Description)
		}
	}
	return nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
