package github

import (
	"context"
)

// PullRequest is the part of a merged pull request the apply step needs.
type PullRequest struct {
	Number int
	// HeadSHA is the pull request's last commit, the one its plan was
	// made for.
	HeadSHA string
}

// MergedPullRequest returns the pull request that commit sha merged (its
// merge, squash or rebase commit), or nil for a commit pushed directly.
func (c *Client) MergedPullRequest(ctx context.Context, sha string) (*PullRequest, error) {
	prs, resp, err := c.api.PullRequests.ListPullRequestsWithCommit(apiContext(ctx), c.owner, c.name, sha, nil)
	if err != nil {
		return nil, c.failure(resp, err)
	}
	// The pull request whose merge commit this is comes first; a commit
	// of a rebase-merged pull request is not its merge commit.
	for _, pr := range prs {
		if pr.MergedAt != nil && pr.GetMergeCommitSHA() == sha {
			return &PullRequest{Number: pr.GetNumber(), HeadSHA: pr.GetHead().GetSHA()}, nil
		}
	}
	for _, pr := range prs {
		if pr.MergedAt != nil {
			return &PullRequest{Number: pr.GetNumber(), HeadSHA: pr.GetHead().GetSHA()}, nil
		}
	}
	return nil, nil
}
