package cmd

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/stagecraft/stagecraft/cmd/internal/github"
)

// CICommentOptions are the inputs of ci comment.
type CICommentOptions struct {
	Deps *Deps
	// BodyFile holds the comment's Markdown; "-" reads stdin.
	BodyFile string
	// Key tells this comment apart from others Stagecraft keeps on the
	// same pull request (one per stack directory and environment).
	Key string
	// PR is the pull request's number; 0 reads it from the event.
	PR int
}

func newCICommentCmd(deps *Deps, runF func(context.Context, *CICommentOptions) error) *cobra.Command {
	opts := &CICommentOptions{Deps: deps}
	c := &cobra.Command{
		Use:   "comment --body-file FILE",
		Short: "Post or update the one sticky comment on a pull request",
		Long: `Post FILE's Markdown as a comment on the pull request, or edit the comment
posted before: a hidden marker holding --key finds it again, so re-runs edit
one comment instead of adding more. The pull request is the one the workflow
event is for (GITHUB_EVENT_PATH), or --pr.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runCIComment(c.Context(), opts)
		},
	}
	c.Flags().StringVar(&opts.BodyFile, "body-file", "", "the comment's Markdown (- for stdin)")
	c.Flags().StringVar(&opts.Key, "key", "default", "which of Stagecraft's comments on the pull request this is")
	c.Flags().IntVar(&opts.PR, "pr", 0, "the pull request's number (default: the event's)")
	return c
}

func runCIComment(ctx context.Context, opts *CICommentOptions) error {
	if opts.BodyFile == "" {
		return userError("ci comment needs --body-file FILE (or - for stdin)")
	}
	body, err := readFileOrStdin(opts.Deps.IO.In, opts.BodyFile)
	if err != nil {
		return userError("cannot read the comment body %s: %s", opts.BodyFile, err)
	}
	gh := readGitHubContext(opts.Deps.Getenv)
	n := opts.PR
	if n == 0 {
		if n, err = gh.pullRequestNumber(); err != nil {
			return err
		}
		if n == 0 {
			return userError("the %q event is not a pull request; pass --pr NUMBER", gh.EventName)
		}
	}
	done, err := postStickyComment(ctx, gh, n, opts.Key, string(body))
	if err != nil {
		return err
	}
	fmt.Fprintln(opts.Deps.IO.Out, done)
	return nil
}

// postStickyComment edits the comment on pull request n carrying key's
// marker, or posts it when there is none yet. It returns a sentence naming
// what it did.
func postStickyComment(ctx context.Context, gh githubContext, n int, key, markdown string) (string, error) {
	c, err := gh.client()
	if err != nil {
		return "", err
	}
	text := markdown
	if link := gh.runURL(); link != "" {
		text = strings.TrimRight(text, "\n") + "\n\n<sub>Updated by [run " + gh.RunID + "](" + link + ")" + commitNote(gh.SHA) + ".</sub>\n"
	}
	edited, err := c.StickyComment(ctx, n, github.Marker("comment", key), text)
	if err != nil {
		return "", userError("%s", err)
	}
	if edited {
		return fmt.Sprintf("Updated the Stagecraft comment on pull request #%d.", n), nil
	}
	return fmt.Sprintf("Posted the Stagecraft comment on pull request #%d.", n), nil
}

// commitNote names the commit a comment is for.
func commitNote(sha string) string {
	if sha == "" {
		return ""
	}
	return " for commit " + short(sha)
}
