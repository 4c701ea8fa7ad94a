package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/stagecraft/stagecraft/state"
)

// StateHistoryOptions are the inputs of state history.
type StateHistoryOptions struct {
	Deps   *Deps
	Global *GlobalOptions
	// Limit is how many versions to list, newest first; 0 lists all.
	Limit int
}

func newStateHistoryCmd(deps *Deps, g *GlobalOptions, runF func(context.Context, *StateHistoryOptions) error) *cobra.Command {
	opts := &StateHistoryOptions{Deps: deps, Global: g}
	c := &cobra.Command{
		Use:   "history",
		Short: "List the stored versions of the state",
		Long: `List the versions of the environment's state that the s3 backend's bucket
keeps (it needs bucket versioning), newest first, with the serial each one
holds. stagecraft state pull --version ID prints one of them; state push
puts it back.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runStateHistory(c.Context(), opts)
		},
	}
	c.Flags().IntVar(&opts.Limit, "limit", 20, "list at most this many versions (0: all)")
	return c
}

func runStateHistory(ctx context.Context, opts *StateHistoryOptions) error {
	if opts.Limit < 0 {
		return userError("--limit must be 0 (all) or more, not %d.", opts.Limit)
	}
	w, b, err := openWorkspaceBackend(opts.Deps, opts.Global)
	if err != nil {
		return err
	}
	vs, err := state.History(ctx, b, opts.Limit)
	if errors.Is(err, state.ErrNoHistory) {
		return userError("environment %q keeps its state in local files, which keep no history; %s.", w.env.Name, strings.TrimPrefix(err.Error(), "this backend keeps only the current state; "))
	}
	if err != nil {
		return userError("cannot list the state's versions: %s.", strings.TrimSuffix(err.Error(), "."))
	}
	if opts.Global.Output == "json" {
		return historyJSON(opts.Deps.IO.Out, vs)
	}
	if len(vs) == 0 {
		fmt.Fprintf(opts.Deps.IO.ErrOut, "Environment %q has no state yet.\n", w.env.Name)
		return nil
	}
	tw := tabwriter.NewWriter(opts.Deps.IO.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "VERSION\tWRITTEN\tSERIAL\tRESOURCES")
	for _, v := range vs {
		note := ""
		if v.Latest {
			note = "(current)"
		}
		serial, resources := fmt.Sprint(v.Serial), fmt.Sprint(v.Resources)
		switch {
		case v.Deleted:
			serial, resources, note = "-", "-", strings.TrimSpace("deleted "+note)
		case v.Err != nil:
			serial, resources, note = "?", "?", "unreadable: "+v.Err.Error()
		}
		row := []string{v.ID, v.Modified.UTC().Format(time.RFC3339), serial, resources}
		if note != "" {
			row = append(row, note)
		}
		fmt.Fprintln(tw, strings.Join(row, "\t"))
	}
	return tw.Flush()
}

// historyVersion is one version in state history -o json.
type historyVersion struct {
	VersionID string    `json:"version_id"`
	Written   time.Time `json:"written"`
	Serial    uint64    `json:"serial,omitempty"`
	Lineage   string    `json:"lineage,omitempty"`
	Resources int       `json:"resources"`
	Current   bool      `json:"current"`
	Deleted   bool      `json:"deleted,omitempty"`
	Error     string    `json:"error,omitempty"`
}

// historyJSON prints the versions as a JSON array, newest first.
func historyJSON(out io.Writer, vs []state.StateVersion) error {
	list := make([]historyVersion, 0, len(vs))
	for _, v := range vs {
		h := historyVersion{VersionID: v.ID, Written: v.Modified.UTC(), Serial: v.Serial, Lineage: v.Lineage, Resources: v.Resources, Current: v.Latest, Deleted: v.Deleted}
		if v.Err != nil {
			h.Error = v.Err.Error()
		}
		list = append(list, h)
	}
	return printJSON(out, list)
}
