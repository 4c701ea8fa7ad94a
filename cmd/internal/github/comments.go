package github

import (
	"context"
	"fmt"
	"strings"

	gogithub "github.com/google/go-github/v93/github"
)

// Marker is the hidden line that finds a sticky comment or an issue again:
// an HTML comment naming what it marks (kind) and the key, with any "--"
// broken up so the key cannot end the comment.
func Marker(kind, key string) string {
	return "<!-- stagecraft:" + kind + " key=" + strings.ReplaceAll(key, "--", "- -") + " -->"
}

// Comment is a comment on an issue or pull request.
type Comment struct {
	ID   int64
	Body string
}

// StickyComment keeps one comment on pull request n: it edits the comment
// that carries marker, or posts one when there is none yet. The comment is
// the marker on a line of its own, then text. It returns whether an
// existing comment was edited.
func (c *Client) StickyComment(ctx context.Context, n int, marker, text string) (edited bool, err error) {
	body := marker + "\n" + text
	old, err := c.FindComment(ctx, n, marker)
	if err != nil {
		return false, fmt.Errorf("cannot list the comments of pull request #%d: %w", n, err)
	}
	if old != nil {
		if err := c.UpdateComment(ctx, old.ID, body); err != nil {
			return false, fmt.Errorf("cannot update comment %d on pull request #%d: %w", old.ID, n, err)
		}
		return true, nil
	}
	if _, err := c.CreateComment(ctx, n, body); err != nil {
		return false, fmt.Errorf("cannot comment on pull request #%d: %w", n, err)
	}
	return false, nil
}

// FindComment returns the first comment on issue (or pull request) n
// whose body contains marker, or nil.
func (c *Client) FindComment(ctx context.Context, n int, marker string) (*Comment, error) {
	opts := &gogithub.IssueListCommentsOptions{ListOptions: gogithub.ListOptions{PerPage: 100}}
	listed := 0
	for cm, err := range c.api.Issues.ListCommentsIter(apiContext(ctx), c.owner, c.name, n, opts) {
		if err != nil {
			return nil, c.failure(nil, err)
		}
		if strings.Contains(cm.GetBody(), marker) {
			return &Comment{ID: cm.GetID(), Body: cm.GetBody()}, nil
		}
		if listed++; listed == maxListed {
			break
		}
	}
	return nil, nil
}

// CreateComment posts a comment on issue (or pull request) n.
func (c *Client) CreateComment(ctx context.Context, n int, body string) (*Comment, error) {
	cm, resp, err := c.api.Issues.CreateComment(apiContext(ctx), c.owner, c.name, n, gogithub.IssueCommentRequest{Body: body})
	if err != nil {
		return nil, c.failure(resp, err)
	}
	return &Comment{ID: cm.GetID(), Body: cm.GetBody()}, nil
}

// UpdateComment replaces the body of comment id.
func (c *Client) UpdateComment(ctx context.Context, id int64, body string) error {
	_, resp, err := c.api.Issues.UpdateComment(apiContext(ctx), c.owner, c.name, id, gogithub.IssueCommentRequest{Body: body})
	return c.failure(resp, err)
}
