package github

import (
	"context"
	"strings"

	gogithub "github.com/google/go-github/v93/github"
)

// Issue is an issue the ci commands keep, such as the drift issue.
type Issue struct {
	Number int
	Title  string
	Body   string
}

// FindOpenIssue returns the open issue labelled label whose body contains
// marker, or nil. GitHub filters by the label, so one call finds it
// however many other issues are open; pull requests with the label do not
// count.
func (c *Client) FindOpenIssue(ctx context.Context, label, marker string) (*Issue, error) {
	opts := &gogithub.IssueListByRepoOptions{State: "open", Labels: []string{label}, ListOptions: gogithub.ListOptions{PerPage: 100}}
	listed := 0
	for is, err := range c.api.Issues.ListByRepoIter(apiContext(ctx), c.owner, c.name, opts) {
		if err != nil {
			return nil, c.failure(nil, err)
		}
		if !is.IsPullRequest() && strings.Contains(is.GetBody(), marker) {
			return &Issue{Number: is.GetNumber(), Title: is.GetTitle(), Body: is.GetBody()}, nil
		}
		if listed++; listed == maxListed {
			break
		}
	}
	return nil, nil
}

// CreateIssue opens an issue with the given labels; GitHub creates a
// label that the repository does not have yet.
func (c *Client) CreateIssue(ctx context.Context, title, body string, labels ...string) (*Issue, error) {
	is, resp, err := c.api.Issues.Create(apiContext(ctx), c.owner, c.name, gogithub.CreateIssueRequest{Title: title, Body: &body, Labels: labels})
	if err != nil {
		return nil, c.failure(resp, err)
	}
	return &Issue{Number: is.GetNumber(), Title: is.GetTitle(), Body: is.GetBody()}, nil
}

// EditIssue replaces issue n's title and body, leaving its labels.
func (c *Client) EditIssue(ctx context.Context, n int, title, body string) error {
	_, resp, err := c.api.Issues.Update(apiContext(ctx), c.owner, c.name, n, gogithub.UpdateIssueRequest{Title: &title, Body: &body})
	return c.failure(resp, err)
}

// CloseIssue closes issue n as completed.
func (c *Client) CloseIssue(ctx context.Context, n int) error {
	state, reason := "closed", "completed"
	_, resp, err := c.api.Issues.Update(apiContext(ctx), c.owner, c.name, n, gogithub.UpdateIssueRequest{State: &state, StateReason: &reason})
	return c.failure(resp, err)
}
