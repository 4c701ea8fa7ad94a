package cmd

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/stagecraft/stagecraft/planner/plan"
	"github.com/stagecraft/stagecraft/render"
	"github.com/stagecraft/stagecraft/state"
)

// The files ci plan saves in --plan-dir, uploaded together as the plan
// artifact: the plan, and its SHA-256 in the format sha256sum writes.
const (
	ciPlanFileName = "stagecraft.plan"
	ciHashFileName = ciPlanFileName + ".sha256"
)

// CIPlanOptions are the inputs of ci plan.
type CIPlanOptions struct {
	Deps   *Deps
	Global *GlobalOptions
	Flags  PlanFlags
	// PlanDir is where the plan and its hash are saved; empty saves none.
	PlanDir string
	// Artifact names the artifact the workflow uploads PlanDir as; empty
	// means stagecraft-plan-ENVIRONMENT.
	Artifact string
	// Comment posts or updates the pull request's sticky comment.
	Comment bool
	// PR is the pull request's number; 0 reads it from the event.
	PR int
	// LockWait is how long to wait for the state lock.
	LockWait time.Duration
}

func newCIPlanCmd(deps *Deps, g *GlobalOptions, runF func(context.Context, *CIPlanOptions) error) *cobra.Command {
	opts := &CIPlanOptions{Deps: deps, Global: g}
	c := &cobra.Command{
		Use:   "plan",
		Short: "Plan, save the plan and its hash, and comment on the pull request",
		Long: `Plan as plan --detailed-exitcode -out does, print the plan to the job log,
save it with its SHA-256 in --plan-dir (the workflow uploads that directory as
the plan artifact), write the outputs has-changes, exitcode, summary,
artifact-name and plan-dir to $GITHUB_OUTPUT, the plan as Markdown to the job
summary, and post or update the one sticky comment on the pull request.

It fails (exit 1) when the plan cannot be made or has changes that need
consent; a plan with changes is a success.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runCIPlan(c.Context(), opts)
		},
	}
	addPlanFlags(c, &opts.Flags, false)
	c.Flags().StringVar(&opts.PlanDir, "plan-dir", "", "save the plan and its hash in this directory")
	c.Flags().StringVar(&opts.Artifact, "artifact", "", "the plan artifact's name (default stagecraft-plan-ENVIRONMENT)")
	c.Flags().BoolVar(&opts.Comment, "comment", true, "post or update the sticky comment on the pull request (true or false)")
	c.Flags().IntVar(&opts.PR, "pr", 0, "the pull request's number (default: the event's)")
	addLockWaitFlag(c, &opts.LockWait)
	return c
}

func runCIPlan(ctx context.Context, opts *CIPlanOptions) error {
	gh := readGitHubContext(opts.Deps.Getenv)
	var saved string
	run, err := planForCI(ctx, opts.Deps, opts.Global, ciPlanRequest{Flags: opts.Flags, Op: "plan", LockWait: opts.LockWait}, func(w *workspace, _ state.Backend, res *planResult) error {
		if opts.PlanDir == "" {
			return nil
		}
		if err := os.MkdirAll(opts.PlanDir, 0o700); err != nil {
			return userError("cannot create the plan directory %s: %s", opts.PlanDir, err)
		}
		path := filepath.Join(opts.PlanDir, ciPlanFileName)
		if err := writePlanFile(path, w, res); err != nil {
			return err
		}
		if err := writePlanHash(path); err != nil {
			return err
		}
		saved = opts.PlanDir
		return nil
	})
	out := ciOutcome(run, err, "plan")
	if saved != "" {
		out.Extra = append(out.Extra, [2]string{"artifact-name", artifactName(opts.Artifact, run.env)}, [2]string{"plan-dir", saved})
		fmt.Fprintf(opts.Deps.IO.ErrOut, "Saved the plan and its hash in %s.\n", saved)
	}
	markdown := ciMarkdown(run, err, "plan", gh)
	if werr := errors.Join(out.write(gh), writeStepSummary(gh, markdown)); werr != nil {
		return werr
	}
	if opts.Comment {
		if cerr := commentOnPullRequest(ctx, opts.Deps, gh, opts.PR, commentKey(opts.Global), markdown); cerr != nil {
			if err == nil {
				err = cerr
			} else {
				printAlso(opts.Deps, cerr)
			}
		}
	}
	if err != nil {
		annotate(opts.Deps, err)
	}
	return err
}

// commentOnPullRequest posts the sticky comment when the run is for a pull
// request, and says so on stderr when it is not.
func commentOnPullRequest(ctx context.Context, deps *Deps, gh githubContext, pr int, key, markdown string) error {
	if pr == 0 {
		n, err := gh.pullRequestNumber()
		if err != nil {
			return err
		}
		if n == 0 {
			fmt.Fprintf(deps.IO.ErrOut, "The %q event is not a pull request: no comment posted.\n", gh.EventName)
			return nil
		}
		pr = n
	}
	done, err := postStickyComment(ctx, gh, pr, key, markdown)
	if err != nil {
		return err
	}
	fmt.Fprintln(deps.IO.ErrOut, done)
	return nil
}

// commentKey tells apart the comments of several stacks and environments
// on one pull request. It is made from the inputs alone, so a failed
// plan's comment is the one the next good plan edits.
func commentKey(g *GlobalOptions) string {
	return filepath.ToSlash(filepath.Clean(g.Dir)) + ":" + g.Env
}

// artifactName is the plan artifact's name: the one given, or one per
// environment.
func artifactName(given, env string) string {
	if given != "" {
		return given
	}
	return "stagecraft-plan-" + env
}

// writePlanHash writes PATH.sha256 next to a saved plan, in the format
// sha256sum -c reads.
func writePlanHash(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return userError("cannot read the saved plan %s: %s", path, err)
	}
	line := planHash(data) + "  " + filepath.Base(path) + "\n"
	if err := os.WriteFile(path+".sha256", []byte(line), 0o600); err != nil {
		return userError("cannot write the plan's hash: %s", err)
	}
	return nil
}

// planHash is a plan file's SHA-256 in hex.
func planHash(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// ciPlan is a plan a ci command made, with its Markdown.
type ciPlan struct {
	env      string
	plan     *plan.Plan
	markdown string
}

// ciKeep is what a ci command does with a plan that may be applied, while
// the state is still locked: save it, or carry it out.
type ciKeep func(w *workspace, b state.Backend, res *planResult) error

// ciPlanRequest is what planForCI plans with.
type ciPlanRequest struct {
	Flags PlanFlags
	// Op is the operation the state lock is taken for.
	Op string
	// LockWait is how long to wait for a lock someone else holds.
	LockWait time.Duration
}

// planForCI plans under the state lock, prints the plan as text to stdout
// (the job log) and renders it as Markdown. keep runs unless the plan has
// changes that need consent. The plan is returned whenever one was made,
// with the error that ends the command, if any.
func planForCI(ctx context.Context, deps *Deps, g *GlobalOptions, req ciPlanRequest, keep ciKeep) (*ciPlan, error) {
	text := *g
	text.Output = "text"
	w, b, err := openWorkspaceBackend(deps, &text)
	if err != nil {
		return nil, err
	}
	unlock, err := w.lockWaiting(ctx, b, req.Op, req.LockWait)
	if err != nil {
		return nil, err
	}
	defer unlock()
	res, err := w.planAndRender(ctx, b, req.Flags)
	if err != nil {
		return nil, err
	}
	defer res.close()
	var md strings.Builder
	if err := render.PlanMarkdown(&md, res.plan, render.Options{}); err != nil {
		return nil, userError("cannot render the plan: %s", err)
	}
	run := &ciPlan{env: w.env.Name, plan: res.plan, markdown: md.String()}
	if len(res.plan.Refused) > 0 {
		return run, userError("the plan has changes that need consent (see the refusals above); give it in the stack or with --allow-data-loss and plan again")
	}
	if keep != nil {
		if err := keep(w, b, res); err != nil {
			return run, err
		}
	}
	return run, nil
}

// ciOutcome is the step outputs for a plan and the error that ended the
// command; what names the step ("plan", "apply").
func ciOutcome(run *ciPlan, err error, what string) stepOutputs {
	out := stepOutputs{ExitCode: ExitOK}
	if run != nil {
		out.HasChanges = run.plan.HasChanges()
		out.Summary = render.Summary(run.plan)
		if out.HasChanges {
			out.ExitCode = ExitChanges
		}
	}
	if err != nil {
		out.ExitCode = exitCodeOf(err)
		if run == nil {
			out.Summary = "The " + what + " failed; see the job log."
		}
	}
	return out
}

// ciMarkdown is the comment and job summary for a plan, or for the
// failure that left none. what names the step ("plan", "apply").
func ciMarkdown(run *ciPlan, err error, what string, gh githubContext) string {
	var b strings.Builder
	if run != nil {
		b.WriteString(run.markdown)
	}
	if err != nil {
		if run == nil {
			b.WriteString("### Stagecraft " + what + " failed\n\n")
		} else {
			b.WriteString("\n**The " + what + " failed.**\n\n")
		}
		var ee *exitError
		if errors.As(err, &ee) && ee.msg != "" {
			b.WriteString(codeBlock(ee.msg) + "\n")
		}
		if link := gh.runURL(); link != "" {
			b.WriteString("See the [job log](" + link + ") for the details.\n")
		} else {
			b.WriteString("See the job log for the details.\n")
		}
	}
	return b.String()
}

// codeBlock fences text in a Markdown code block whose fence no run of
// backticks in the text can close.
func codeBlock(text string) string {
	f := "```"
	for strings.Contains(text, f) {
		f += "`"
	}
	return f + "\n" + strings.TrimRight(text, "\n") + "\n" + f + "\n"
}
