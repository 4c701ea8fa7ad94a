package cmd

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/stagecraft/stagecraft/cmd/internal/github"
)

// newCICmd groups the commands the GitHub Action (action.yml) runs. The
// action's YAML only installs the binary and passes its inputs on: every
// decision (which comment to edit, which plan to apply, when to open or
// close the drift issue) is made here, where it is tested.
func newCICmd(deps *Deps, g *GlobalOptions) *cobra.Command {
	c := &cobra.Command{
		Use:   "ci",
		Short: "Run plan, apply and drift checks in GitHub Actions",
		Long: `The steps of the Stagecraft GitHub Action (docs/github-actions.md). They read
the GITHUB_* environment variables a workflow sets, talk to the GitHub REST
API with the token in GITHUB_TOKEN, write step outputs to $GITHUB_OUTPUT and
the job summary to $GITHUB_STEP_SUMMARY.

  ci plan            plan, save the plan and its hash, comment on the pull request
  ci apply-artifact  apply the reviewed plan of the merged pull request
  ci drift-report    plan with refresh; open, update or close the drift issue
  ci comment         post or update the one sticky comment on a pull request`,
	}
	c.AddCommand(
		newCIPlanCmd(deps, g, nil),
		newCIApplyCmd(deps, g, nil),
		newCIDriftCmd(deps, g, nil),
		newCICommentCmd(deps, nil),
	)
	return c
}

// githubContext is what a workflow run tells its steps through the
// environment.
type githubContext struct {
	// APIURL is the REST API's base URL (GITHUB_API_URL).
	APIURL string
	// ServerURL is the web address (GITHUB_SERVER_URL), for links.
	ServerURL string
	// Repository is OWNER/NAME (GITHUB_REPOSITORY).
	Repository string
	// EventName and EventPath are the event that started the run and the
	// file holding its payload.
	EventName string
	EventPath string
	// SHA is the commit the run is for.
	SHA string
	// RunID identifies the run, for links back to it.
	RunID string
	// Token authenticates API calls (GITHUB_TOKEN); it is never printed.
	Token string
	// OutputPath and SummaryPath are the step's output and job summary
	// files; empty outside a workflow.
	OutputPath  string
	SummaryPath string
}

// readGitHubContext reads the run's environment through getenv.
func readGitHubContext(getenv func(string) string) githubContext {
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	c := githubContext{
		APIURL: getenv("GITHUB_API_URL"), ServerURL: getenv("GITHUB_SERVER_URL"),
		Repository: getenv("GITHUB_REPOSITORY"), EventName: getenv("GITHUB_EVENT_NAME"),
		EventPath: getenv("GITHUB_EVENT_PATH"), SHA: getenv("GITHUB_SHA"), RunID: getenv("GITHUB_RUN_ID"),
		Token: getenv("GITHUB_TOKEN"), OutputPath: getenv("GITHUB_OUTPUT"), SummaryPath: getenv("GITHUB_STEP_SUMMARY"),
	}
	if c.APIURL == "" {
		c.APIURL = "https://api.github.com"
	}
	if c.ServerURL == "" {
		c.ServerURL = "https://github.com"
	}
	return c
}

// client returns a REST API client for the run's repository, or a
// sentence saying what the workflow must set.
func (c githubContext) client() (*github.Client, error) {
	if c.Repository == "" || !strings.Contains(c.Repository, "/") {
		return nil, userError("GITHUB_REPOSITORY is not set to OWNER/NAME; run this in a GitHub Actions workflow, or set it")
	}
	if c.Token == "" {
		return nil, userError("GITHUB_TOKEN is not set; pass the action's github-token input (the default is the workflow's token)")
	}
	client, err := github.New(github.Config{BaseURL: c.APIURL, Token: c.Token, Repository: c.Repository})
	if err != nil {
		return nil, userError("%s; check GITHUB_API_URL and GITHUB_REPOSITORY", err)
	}
	return client, nil
}

// pullRequestNumber reads the pull request's number from the event
// payload; 0 when the run was not started by a pull request.
func (c githubContext) pullRequestNumber() (int, error) {
	if c.EventName != "pull_request" && c.EventName != "pull_request_target" {
		return 0, nil
	}
	if c.EventPath == "" {
		return 0, userError("GITHUB_EVENT_PATH is not set, so the pull request is unknown; pass --pr NUMBER")
	}
	data, err := os.ReadFile(c.EventPath)
	if err != nil {
		return 0, userError("cannot read the event payload %s: %s", c.EventPath, err)
	}
	var ev struct {
		Number      int `json:"number"`
		PullRequest struct {
			Number int `json:"number"`
		} `json:"pull_request"`
	}
	if err := json.Unmarshal(data, &ev); err != nil {
		return 0, userError("the event payload %s is not JSON: %s", c.EventPath, err)
	}
	if ev.PullRequest.Number != 0 {
		return ev.PullRequest.Number, nil
	}
	return ev.Number, nil
}

// runURL links to the workflow run, or is empty outside one.
func (c githubContext) runURL() string {
	if c.RunID == "" || c.Repository == "" {
		return ""
	}
	return strings.TrimSuffix(c.ServerURL, "/") + "/" + c.Repository + "/actions/runs/" + c.RunID
}

// stepOutputs are the outputs every ci command sets; the action passes
// them on as its own (action.yml, docs/github-actions.md).
type stepOutputs struct {
	// HasChanges is whether the plan changes anything.
	HasChanges bool
	// ExitCode is what plan --detailed-exitcode would have returned: 0
	// no changes, 1 error, 2 changes.
	ExitCode int
	// Summary is the plan in one line.
	Summary string
	// Extra are the command's own outputs (name, value), in order.
	Extra [][2]string
}

// write appends the outputs to $GITHUB_OUTPUT; outside a workflow it does
// nothing.
func (o stepOutputs) write(gh githubContext) error {
	if gh.OutputPath == "" {
		return nil
	}
	pairs := append([][2]string{
		{"has-changes", strconv.FormatBool(o.HasChanges)},
		{"exitcode", strconv.Itoa(o.ExitCode)},
		{"summary", o.Summary},
	}, o.Extra...)
	var b strings.Builder
	for _, p := range pairs {
		b.WriteString(outputLine(p[0], p[1]))
	}
	return appendFile(gh.OutputPath, b.String(), "GITHUB_OUTPUT")
}

// outputLine is one output in the $GITHUB_OUTPUT syntax: name=value, or a
// heredoc with a random delimiter when the value spans lines, so that no
// value can end it early or set another output.
func outputLine(name, value string) string {
	if !strings.ContainsAny(value, "\r\n") {
		return name + "=" + value + "\n"
	}
	var raw [12]byte
	_, _ = rand.Read(raw[:])
	delim := "ghadelimiter_" + hex.EncodeToString(raw[:])
	return name + "<<" + delim + "\n" + value + "\n" + delim + "\n"
}

// writeStepSummary appends markdown to the job summary; outside a
// workflow it does nothing.
func writeStepSummary(gh githubContext, markdown string) error {
	if gh.SummaryPath == "" {
		return nil
	}
	if !strings.HasSuffix(markdown, "\n") {
		markdown += "\n"
	}
	return appendFile(gh.SummaryPath, markdown+"\n", "GITHUB_STEP_SUMMARY")
}

// appendFile appends text to a file the runner gave the step.
func appendFile(path, text, what string) error {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return userError("cannot open %s (%s): %s", what, path, err)
	}
	if _, err := f.WriteString(text); err != nil {
		_ = f.Close()
		return userError("cannot write %s (%s): %s", what, path, err)
	}
	if err := f.Close(); err != nil {
		return userError("cannot write %s (%s): %s", what, path, err)
	}
	return nil
}

// exitCodeOf is the exit code an error from a command ends with.
func exitCodeOf(err error) int {
	if err == nil {
		return ExitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	return ExitError
}

// annotate prints an error as a workflow command, so GitHub shows it on
// the run's page as well as in the log. Percent signs and line breaks are
// escaped as the runner expects.
func annotate(deps *Deps, err error) {
	var ee *exitError
	if !errors.As(err, &ee) || ee.msg == "" {
		return
	}
	r := strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A")
	fmt.Fprintf(deps.IO.Out, "::error title=Stagecraft::%s\n", r.Replace(ee.msg))
}

// printAlso prints a second error, when a command ends with another one
// that Execute prints.
func printAlso(deps *Deps, err error) {
	msg := err.Error()
	var ee *exitError
	if errors.As(err, &ee) {
		msg = ee.msg
	}
	if msg != "" {
		fmt.Fprintf(deps.IO.ErrOut, "Error: %s\n", msg)
	}
}
