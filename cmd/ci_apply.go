package cmd

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/stagecraft/stagecraft/cmd/internal/github"
	"github.com/stagecraft/stagecraft/planner/planfile"
	"github.com/stagecraft/stagecraft/render"
	"github.com/stagecraft/stagecraft/state"
)

// CIApplyOptions are the inputs of ci apply-artifact.
type CIApplyOptions struct {
	Deps   *Deps
	Global *GlobalOptions
	// Flags are used only by an unplanned apply.
	Flags PlanFlags
	// Artifact names the plan artifact; empty means
	// stagecraft-plan-ENVIRONMENT.
	Artifact string
	// PlanFile is a plan already downloaded, with PLANFILE.sha256 beside
	// it; it replaces the artifact look-up.
	PlanFile string
	// AllowUnplanned plans and applies with --auto-approve when there is
	// no reviewed plan to apply.
	AllowUnplanned bool
	// LockWait is how long to wait for the state lock.
	LockWait time.Duration
}

func newCIApplyCmd(deps *Deps, g *GlobalOptions, runF func(context.Context, *CIApplyOptions) error) *cobra.Command {
	opts := &CIApplyOptions{Deps: deps, Global: g}
	c := &cobra.Command{
		Use:   "apply-artifact",
		Short: "Apply the reviewed plan of the merged pull request",
		Long: `Find the pull request the pushed commit (GITHUB_SHA) merged, download the plan
artifact its plan run uploaded for its last commit, check the plan file
against its SHA-256 and apply exactly that plan. A plan whose state or stack
files changed since is refused as stale: plan again.

With --plan-file, apply that file instead (its hash in PLANFILE.sha256).
When there is no reviewed plan, it fails unless --allow-unplanned=true, which
plans and applies in one go, as apply --auto-approve does.

Outputs: has-changes, exitcode, summary in $GITHUB_OUTPUT; the plan and what
became of it in the job summary.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runCIApply(c.Context(), opts)
		},
	}
	addPlanFlags(c, &opts.Flags, false)
	c.Flags().StringVar(&opts.Artifact, "artifact", "", "the plan artifact's name (default stagecraft-plan-ENVIRONMENT)")
	c.Flags().StringVar(&opts.PlanFile, "plan-file", "", "apply this downloaded plan file (hash in PLANFILE.sha256)")
	c.Flags().BoolVar(&opts.AllowUnplanned, "allow-unplanned", false, "without a reviewed plan, plan and apply with --auto-approve (true or false)")
	addLockWaitFlag(c, &opts.LockWait)
	return c
}

// reviewedPlan is a verified plan file and where it came from.
type reviewedPlan struct {
	path string
	// from says where the plan came from, for messages: "artifact X of
	// pull request #N".
	from string
	// pr is the pull request it was reviewed on; 0 when unknown.
	pr int
}

func runCIApply(ctx context.Context, opts *CIApplyOptions) error {
	gh := readGitHubContext(opts.Deps.Getenv)
	tmp, err := os.MkdirTemp("", "stagecraft-apply-")
	if err != nil {
		return userError("cannot make a temporary directory: %s", err)
	}
	defer os.RemoveAll(tmp)

	var run *ciPlan
	rp, missing, err := findReviewedPlan(ctx, opts, gh, tmp)
	switch {
	case err != nil:
	case rp != nil:
		run, err = applyReviewedPlan(ctx, opts, rp)
	case !opts.AllowUnplanned:
		err = userError("%s; plan it on a pull request first, or set allow-unplanned: true to plan and apply in this run", missing)
	default:
		fmt.Fprintf(opts.Deps.IO.ErrOut, "%s; allow-unplanned is true: planning and applying in this run.\n", missing)
		run, err = planForCI(ctx, opts.Deps, opts.Global, ciPlanRequest{Flags: opts.Flags, Op: "apply", LockWait: opts.LockWait}, func(w *workspace, b state.Backend, res *planResult) error {
			if !res.plan.HasChanges() {
				return nil
			}
			return w.carryOut(ctx, b, res.planner, res.plan, res.rec.State)
		})
	}
	out := ciOutcome(run, err, "apply")
	if out.ExitCode == ExitChanges {
		// Applied: nothing is left to change.
		out.ExitCode = ExitOK
	}
	if run != nil && err == nil {
		out.Summary = "Applied. " + out.Summary
	}
	var b strings.Builder
	if err == nil && run != nil {
		switch {
		case rp != nil:
			b.WriteString("**Applied** the plan reviewed in " + rp.from + ".\n\n")
		default:
			b.WriteString("**Applied** without a reviewed plan (allow-unplanned).\n\n")
		}
	}
	b.WriteString(ciMarkdown(run, err, "apply", gh))
	if werr := errors.Join(out.write(gh), writeStepSummary(gh, b.String())); werr != nil {
		return errors.Join(err, werr)
	}
	if err != nil {
		annotate(opts.Deps, err)
	}
	return err
}

// findReviewedPlan finds and verifies the plan to apply. With no plan to
// be found it returns nil and a sentence saying what is missing.
func findReviewedPlan(ctx context.Context, opts *CIApplyOptions, gh githubContext, tmp string) (*reviewedPlan, string, error) {
	if opts.PlanFile != "" {
		data, err := os.ReadFile(opts.PlanFile)
		if err != nil {
			return nil, "", userError("cannot read the plan file: %s", err)
		}
		sum, err := os.ReadFile(opts.PlanFile + ".sha256")
		if err != nil {
			return nil, "", userError("the plan file %s has no hash beside it (%s.sha256), so it cannot be checked; use the directory ci plan saved", opts.PlanFile, filepath.Base(opts.PlanFile))
		}
		if err := checkPlanHash(data, sum, opts.PlanFile); err != nil {
			return nil, "", err
		}
		return &reviewedPlan{path: opts.PlanFile, from: opts.PlanFile}, "", nil
	}
	text := *opts.Global
	text.Output = "text"
	w, err := openWorkspace(opts.Deps, &text)
	if err != nil {
		return nil, "", err
	}
	name := artifactName(opts.Artifact, w.env.Name)
	if gh.SHA == "" {
		return nil, "", userError("GITHUB_SHA is not set, so the merged pull request is unknown; run this on a push, or pass --plan-file")
	}
	c, err := gh.client()
	if err != nil {
		return nil, "", err
	}
	pr, err := c.MergedPullRequest(ctx, gh.SHA)
	if err != nil {
		return nil, "", userError("cannot find the pull request of commit %s: %s", short(gh.SHA), err)
	}
	if pr == nil {
		return nil, fmt.Sprintf("commit %s did not come from a merged pull request, so there is no reviewed plan", short(gh.SHA)), nil
	}
	a, err := c.LatestArtifact(ctx, name, pr.HeadSHA)
	if err != nil {
		return nil, "", userError("cannot list the plan artifacts: %s", err)
	}
	if a == nil {
		return nil, fmt.Sprintf("pull request #%d has no plan artifact %q for its last commit %s (the plan job did not run for it, or the artifact expired; re-run that plan job)", pr.Number, name, short(pr.HeadSHA)), nil
	}
	from := fmt.Sprintf("artifact %q of pull request #%d", name, pr.Number)
	archive, err := c.DownloadArtifact(ctx, a.ID)
	if err != nil {
		return nil, "", userError("cannot download %s: %s", from, err)
	}
	path, err := extractPlan(archive, tmp, from)
	if err != nil {
		return nil, "", err
	}
	fmt.Fprintf(opts.Deps.IO.ErrOut, "Verified %s (run %d, commit %s).\n", from, a.RunID, short(pr.HeadSHA))
	return &reviewedPlan{path: path, from: from, pr: pr.Number}, "", nil
}

// extractPlan takes the plan and its hash out of an artifact's zip
// archive, checks one against the other, and writes the plan to dir. Only
// those two names are read, whatever else the archive holds.
func extractPlan(archive []byte, dir, from string) (string, error) {
	zr, err := zip.NewReader(bytes.NewReader(archive), int64(len(archive)))
	if err != nil {
		return "", userError("%s is not a zip archive: %s", from, err)
	}
	files := map[string][]byte{}
	for _, f := range zr.File {
		base := path.Base(f.Name)
		if base != ciPlanFileName && base != ciHashFileName {
			continue
		}
		r, err := f.Open()
		if err != nil {
			return "", userError("%s is damaged: %s", from, err)
		}
		data, err := io.ReadAll(io.LimitReader(r, github.MaxArtifactBytes))
		_ = r.Close()
		if err != nil {
			return "", userError("%s is damaged: %s", from, err)
		}
		files[base] = data
	}
	plan, ok := files[ciPlanFileName]
	if !ok {
		return "", userError("%s holds no %s; was it uploaded from the plan-dir ci plan wrote?", from, ciPlanFileName)
	}
	sum, ok := files[ciHashFileName]
	if !ok {
		return "", userError("%s holds no %s, so the plan cannot be checked; plan again", from, ciHashFileName)
	}
	if err := checkPlanHash(plan, sum, from); err != nil {
		return "", err
	}
	p := filepath.Join(dir, ciPlanFileName)
	if err := os.WriteFile(p, plan, 0o600); err != nil {
		return "", userError("cannot write the plan: %s", err)
	}
	return p, nil
}

// checkPlanHash compares a plan with the sha256sum line saved with it.
func checkPlanHash(plan, sumFile []byte, from string) error {
	fields := strings.Fields(string(sumFile))
	if len(fields) == 0 {
		return userError("the hash of %s is empty; plan again", from)
	}
	if got := planHash(plan); !strings.EqualFold(fields[0], got) {
		return userError("the plan in %s does not match its SHA-256 (saved %s, the file has %s): it was changed after plan saved it; plan again", from, fields[0], got)
	}
	return nil
}

// applyReviewedPlan prints the plan, then applies it as apply PLANFILE
// does; a stale plan's message says how to get a fresh one.
func applyReviewedPlan(ctx context.Context, opts *CIApplyOptions, rp *reviewedPlan) (*ciPlan, error) {
	enc, err := state.EncryptionFromEnv(opts.Deps.Getenv)
	if err != nil {
		return nil, userError("%s.", err)
	}
	pf, err := planfile.Read(rp.path, enc)
	if damaged := (*planfile.DamagedError)(nil); errors.As(err, &damaged) {
		return nil, userError("the plan in %s is damaged: %s", rp.from, damaged.Err)
	}
	if err != nil {
		return nil, userError("%s.", strings.TrimSuffix(err.Error(), "."))
	}
	p := pf.Plan
	text := *opts.Global
	text.Output = "text"
	if text.Env == "" {
		text.Env = pf.Environment
	}
	if err := render.PlanText(opts.Deps.IO.Out, p, render.Options{}); err != nil {
		return nil, userError("cannot render the plan: %s", err)
	}
	var md strings.Builder
	if err := render.PlanMarkdown(&md, p, render.Options{}); err != nil {
		return nil, userError("cannot render the plan: %s", err)
	}
	run := &ciPlan{env: pf.Environment, plan: p, markdown: md.String()}
	if err := waitForFreeLock(ctx, opts, &text); err != nil {
		return run, err
	}
	err = applyPlanFile(ctx, nil, &ApplyOptions{Deps: opts.Deps, Global: &text, PlanFile: rp.path})
	var ee *exitError
	if errors.As(err, &ee) && strings.HasPrefix(ee.msg, "stale plan:") {
		hint := "Plan again with ci plan"
		if rp.pr != 0 {
			hint = fmt.Sprintf("Pull request #%d was planned against an older state or older stack files: open a pull request to plan again", rp.pr)
		}
		return run, userError("%s. %s, or re-run this workflow with allow-unplanned: true to plan and apply now", ee.msg, hint)
	}
	return run, err
}

// waitForFreeLock waits until no other run holds the state lock, so that
// apply PLANFILE, which fails at once on a held lock, finds it free.
func waitForFreeLock(ctx context.Context, opts *CIApplyOptions, g *GlobalOptions) error {
	w, err := openWorkspace(opts.Deps, g)
	if err != nil {
		return err
	}
	b, err := w.backend()
	if err != nil {
		return err
	}
	unlock, err := w.lockWaiting(ctx, b, "apply", opts.LockWait)
	if err != nil {
		return err
	}
	unlock()
	return nil
}

// short is a commit's abbreviated hash.
func short(sha string) string {
	if len(sha) > 7 {
		return sha[:7]
	}
	return sha
}
