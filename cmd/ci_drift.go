package cmd

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/stagecraft/stagecraft/cmd/internal/github"
)

// driftLabel is the label the drift issue carries, so that one filtered
// call finds it among any number of open issues.
const driftLabel = "stagecraft-drift"

// CIDriftOptions are the inputs of ci drift-report.
type CIDriftOptions struct {
	Deps   *Deps
	Global *GlobalOptions
	Flags  PlanFlags
	// Issue opens, updates and closes the drift issue; false only writes
	// the outputs and the job summary.
	Issue bool
	// LockWait is how long to wait for the state lock.
	LockWait time.Duration
}

func newCIDriftCmd(deps *Deps, g *GlobalOptions, runF func(context.Context, *CIDriftOptions) error) *cobra.Command {
	opts := &CIDriftOptions{Deps: deps, Global: g}
	c := &cobra.Command{
		Use:   "drift-report",
		Short: "Plan with refresh; open, update or close the drift issue",
		Long: `Read every resource from the provider and plan, as a scheduled drift check. When
something changed outside Stagecraft (drift) or the environment has changes
not applied yet, open an issue with the plan, or update the one opened
before (its label, stagecraft-drift, and a hidden marker find it); when all
is clean again, comment on that issue and close it. The outputs and the job summary are those of ci plan.

It fails only when the plan cannot be made: drift is reported, not an error.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runCIDrift(c.Context(), opts)
		},
	}
	addPlanFlags(c, &opts.Flags, false)
	c.Flags().BoolVar(&opts.Issue, "issue", true, "open, update or close the drift issue (true or false)")
	addLockWaitFlag(c, &opts.LockWait)
	return c
}

func runCIDrift(ctx context.Context, opts *CIDriftOptions) error {
	gh := readGitHubContext(opts.Deps.Getenv)
	flags := opts.Flags
	// A drift check that trusted the state would find no drift.
	flags.NoRefresh = false
	run, err := planForCI(ctx, opts.Deps, opts.Global, ciPlanRequest{Flags: flags, Op: "plan", LockWait: opts.LockWait}, nil)
	if run != nil {
		// Changes that need consent are a finding to report, not a
		// failure of the check.
		err = nil
	}
	out := ciOutcome(run, err, "drift check")
	markdown := ciMarkdown(run, err, "drift check", gh)
	if run != nil && opts.Issue {
		n, ierr := reportDrift(ctx, opts.Deps, gh, commentKey(opts.Global), run)
		if ierr != nil {
			err = ierr
			out.ExitCode = ExitError
		}
		if n != 0 {
			out.Extra = append(out.Extra, [2]string{"issue-number", strconv.Itoa(n)})
		}
	}
	if werr := errors.Join(out.write(gh), writeStepSummary(gh, markdown)); werr != nil {
		return errors.Join(err, werr)
	}
	if err != nil {
		annotate(opts.Deps, err)
	}
	return err
}

// driftFinding names what a drift check found, or "" when all is clean.
func driftFinding(run *ciPlan) string {
	drift, pending := len(run.plan.Drift) > 0, run.plan.HasChanges() || len(run.plan.Refused) > 0
	switch {
	case drift && pending:
		return "drift and pending changes"
	case drift:
		return "drift"
	case pending:
		return "pending changes"
	}
	return ""
}

// reportDrift opens or updates the environment's drift issue when the
// plan found something, and closes it when it found nothing. It returns
// the issue's number (0 when there is none).
func reportDrift(ctx context.Context, deps *Deps, gh githubContext, key string, run *ciPlan) (int, error) {
	c, err := gh.client()
	if err != nil {
		return 0, err
	}
	marker := github.Marker("drift", key)
	open, err := c.FindOpenIssue(ctx, driftLabel, marker)
	if err != nil {
		return 0, userError("cannot list the open issues: %s", err)
	}
	runNote := ""
	if link := gh.runURL(); link != "" {
		runNote = " ([run " + gh.RunID + "](" + link + "))"
	}
	finding := driftFinding(run)
	if finding == "" {
		if open == nil {
			fmt.Fprintf(deps.IO.ErrOut, "No drift and no pending changes in environment %q.\n", run.env)
			return 0, nil
		}
		note := "No drift and no pending changes any more" + runNote + ". Closing."
		if _, err := c.CreateComment(ctx, open.Number, note); err != nil {
			return 0, userError("cannot comment on drift issue #%d: %s", open.Number, err)
		}
		if err := c.CloseIssue(ctx, open.Number); err != nil {
			return 0, userError("cannot close drift issue #%d: %s", open.Number, err)
		}
		fmt.Fprintf(deps.IO.ErrOut, "Environment %q is clean again: closed drift issue #%d.\n", run.env, open.Number)
		return open.Number, nil
	}
	title := fmt.Sprintf("Stagecraft: %s in environment %s", finding, run.env)
	body := marker + "\n" + "The scheduled drift check found " + finding + " in environment `" + run.env + "`" + runNote +
		". Review the plan below: apply it to put the environment back to its stage, or change the stack to match what runs. This issue is updated by every check and closed when all is clean.\n\n" + run.markdown
	if open != nil {
		if err := c.EditIssue(ctx, open.Number, title, body); err != nil {
			return 0, userError("cannot update drift issue #%d: %s", open.Number, err)
		}
		fmt.Fprintf(deps.IO.ErrOut, "Found %s: updated drift issue #%d.\n", finding, open.Number)
		return open.Number, nil
	}
	is, err := c.CreateIssue(ctx, title, body, driftLabel)
	if err != nil {
		return 0, userError("cannot open the drift issue: %s", err)
	}
	fmt.Fprintf(deps.IO.ErrOut, "Found %s: opened drift issue #%d.\n", finding, is.Number)
	return is.Number, nil
}
