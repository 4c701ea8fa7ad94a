package cmd

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// githubClient calls the few GitHub REST API endpoints the ci commands
// need: issue comments, issues, pull requests of a commit and workflow
// artifacts. It uses the standard library only.
type githubClient struct {
	http    *http.Client
	baseURL string
	token   string
	// repo is OWNER/NAME.
	repo string
	// retryWait is the wait before the first retry; it doubles after it.
	retryWait time.Duration
}

// maxPages bounds how far a listing is followed (100 items a page).
const maxPages = 30

// maxArtifactBytes bounds the size of a downloaded plan artifact.
const maxArtifactBytes = 256 << 20

func newGitHubClient(baseURL, token, repo string) *githubClient {
	return &githubClient{
		http:    &http.Client{Timeout: 60 * time.Second},
		baseURL: strings.TrimSuffix(baseURL, "/"), token: token, repo: repo,
		retryWait: time.Second,
	}
}

// githubAPIError is a failed API call: the method, the path and GitHub's
// own message, with what to change when the cause is the token's
// permissions.
type githubAPIError struct {
	Method, Path string
	Status       int
	Message      string
}

func (e *githubAPIError) Error() string {
	msg := fmt.Sprintf("GitHub API %s %s: %d %s", e.Method, e.Path, e.Status, e.Message)
	switch e.Status {
	case http.StatusUnauthorized:
		msg += " (the token is missing or expired)"
	case http.StatusForbidden, http.StatusNotFound:
		msg += " (check the workflow's permissions: pull-requests: write for comments, issues: write for the drift issue, actions: read for plan artifacts)"
	}
	return msg
}

// do sends one request and decodes a JSON answer into out (when not nil).
// Server errors and rate limits are retried twice with backoff, here and
// nowhere else.
func (c *githubClient) do(ctx context.Context, method, path string, body, out any) error {
	var payload []byte
	if body != nil {
		var err error
		if payload, err = json.Marshal(body); err != nil {
			return fmt.Errorf("GitHub API %s %s: %w", method, path, err)
		}
	}
	wait := c.retryWait
	for attempt := 0; ; attempt++ {
		resp, err := c.send(ctx, method, c.baseURL+path, payload)
		if err != nil {
			return fmt.Errorf("GitHub API %s %s: %w", method, path, err)
		}
		data, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
		_ = resp.Body.Close()
		if err != nil {
			return fmt.Errorf("GitHub API %s %s: %w", method, path, err)
		}
		retryable := resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests
		if retryable && attempt < 2 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(wait):
			}
			wait *= 2
			continue
		}
		if resp.StatusCode >= 300 {
			return &githubAPIError{Method: method, Path: path, Status: resp.StatusCode, Message: apiMessage(data)}
		}
		if out == nil || len(data) == 0 {
			return nil
		}
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("GitHub API %s %s: the answer is not the JSON expected: %w", method, path, err)
		}
		return nil
	}
}

// send makes one HTTP request with the API's headers.
func (c *githubClient) send(ctx context.Context, method, u string, payload []byte) (*http.Response, error) {
	var r io.Reader
	if payload != nil {
		r = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, r)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/vnd.github+json")
	req.Header.Set("X-GitHub-Api-Version", "2022-11-28")
	req.Header.Set("User-Agent", "stagecraft")
	req.Header.Set("Authorization", "Bearer "+c.token)
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return c.http.Do(req)
}

// apiMessage is GitHub's error message from an error body.
func apiMessage(data []byte) string {
	var e struct {
		Message string `json:"message"`
	}
	if json.Unmarshal(data, &e) == nil && e.Message != "" {
		return e.Message
	}
	s := strings.TrimSpace(string(data))
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return s
}

// listPages follows a listing 100 items a page until a short page,
// calling add with each page's raw items; add returns false to stop.
func listPages[T any](ctx context.Context, c *githubClient, path string, add func([]T) bool) error {
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	for page := 1; page <= maxPages; page++ {
		var items []T
		if err := c.do(ctx, http.MethodGet, path+sep+"per_page=100&page="+strconv.Itoa(page), nil, &items); err != nil {
			return err
		}
		if !add(items) || len(items) < 100 {
			return nil
		}
	}
	return nil
}

// issueComment is a comment on an issue or pull request.
type issueComment struct {
	ID   int64  `json:"id"`
	Body string `json:"body"`
}

// findComment returns the first comment on issue (or pull request) n
// whose body contains marker, or nil.
func (c *githubClient) findComment(ctx context.Context, n int, marker string) (*issueComment, error) {
	var found *issueComment
	err := listPages(ctx, c, fmt.Sprintf("/repos/%s/issues/%d/comments", c.repo, n), func(items []issueComment) bool {
		for i := range items {
			if strings.Contains(items[i].Body, marker) {
				found = &items[i]
				return false
			}
		}
		return true
	})
	return found, err
}

func (c *githubClient) createComment(ctx context.Context, n int, body string) (*issueComment, error) {
	var out issueComment
	err := c.do(ctx, http.MethodPost, fmt.Sprintf("/repos/%s/issues/%d/comments", c.repo, n), map[string]string{"body": body}, &out)
	return &out, err
}

func (c *githubClient) updateComment(ctx context.Context, id int64, body string) error {
	return c.do(ctx, http.MethodPatch, fmt.Sprintf("/repos/%s/issues/comments/%d", c.repo, id), map[string]string{"body": body}, nil)
}

// issue is an issue as the API lists it; pull requests appear in the
// listing too, with PullRequest set.
type issue struct {
	Number      int             `json:"number"`
	Title       string          `json:"title"`
	Body        string          `json:"body"`
	State       string          `json:"state"`
	PullRequest json.RawMessage `json:"pull_request,omitempty"`
}

// findOpenIssue returns the open issue (not pull request) whose body
// contains marker, or nil.
func (c *githubClient) findOpenIssue(ctx context.Context, marker string) (*issue, error) {
	var found *issue
	err := listPages(ctx, c, "/repos/"+c.repo+"/issues?state=open", func(items []issue) bool {
		for i := range items {
			if len(items[i].PullRequest) == 0 && strings.Contains(items[i].Body, marker) {
				found = &items[i]
				return false
			}
		}
		return true
	})
	return found, err
}

func (c *githubClient) createIssue(ctx context.Context, title, body string) (*issue, error) {
	var out issue
	err := c.do(ctx, http.MethodPost, "/repos/"+c.repo+"/issues", map[string]string{"title": title, "body": body}, &out)
	return &out, err
}

// editIssue changes the given fields (title, body, state, state_reason).
func (c *githubClient) editIssue(ctx context.Context, n int, fields map[string]string) error {
	return c.do(ctx, http.MethodPatch, fmt.Sprintf("/repos/%s/issues/%d", c.repo, n), fields, nil)
}

// pullRequest is the part of a pull request the apply step needs.
type pullRequest struct {
	Number         int    `json:"number"`
	MergeCommitSHA string `json:"merge_commit_sha"`
	MergedAt       string `json:"merged_at"`
	Head           struct {
		SHA string `json:"sha"`
	} `json:"head"`
}

// mergedPullRequest returns the pull request that commit sha merged (its
// merge, squash or rebase commit), or nil for a commit pushed directly.
func (c *githubClient) mergedPullRequest(ctx context.Context, sha string) (*pullRequest, error) {
	var prs []pullRequest
	if err := c.do(ctx, http.MethodGet, fmt.Sprintf("/repos/%s/commits/%s/pulls", c.repo, url.PathEscape(sha)), nil, &prs); err != nil {
		return nil, err
	}
	for i := range prs {
		if prs[i].MergedAt != "" && prs[i].MergeCommitSHA == sha {
			return &prs[i], nil
		}
	}
	for i := range prs {
		if prs[i].MergedAt != "" {
			return &prs[i], nil
		}
	}
	return nil, nil
}

// artifact is a workflow run's uploaded artifact.
type artifact struct {
	ID          int64  `json:"id"`
	Name        string `json:"name"`
	Expired     bool   `json:"expired"`
	CreatedAt   string `json:"created_at"`
	WorkflowRun struct {
		ID      int64  `json:"id"`
		HeadSHA string `json:"head_sha"`
	} `json:"workflow_run"`
}

// latestArtifact returns the newest unexpired artifact called name that a
// run for commit headSHA uploaded, or nil.
func (c *githubClient) latestArtifact(ctx context.Context, name, headSHA string) (*artifact, error) {
	var best *artifact
	path := "/repos/" + c.repo + "/actions/artifacts?name=" + url.QueryEscape(name)
	for page := 1; page <= maxPages; page++ {
		var list struct {
			Artifacts []artifact `json:"artifacts"`
		}
		if err := c.do(ctx, http.MethodGet, path+"&per_page=100&page="+strconv.Itoa(page), nil, &list); err != nil {
			return nil, err
		}
		for i := range list.Artifacts {
			a := &list.Artifacts[i]
			if a.Name != name || a.Expired || a.WorkflowRun.HeadSHA != headSHA {
				continue
			}
			if best == nil || a.CreatedAt > best.CreatedAt || (a.CreatedAt == best.CreatedAt && a.ID > best.ID) {
				best = a
			}
		}
		if len(list.Artifacts) < 100 {
			break
		}
	}
	return best, nil
}

// downloadArtifact returns an artifact's zip archive. GitHub answers with
// a redirect to a signed storage address, which is followed without the
// token: the address is its own credential, and the token must not reach
// the storage service.
func (c *githubClient) downloadArtifact(ctx context.Context, id int64) ([]byte, error) {
	path := fmt.Sprintf("/repos/%s/actions/artifacts/%d/zip", c.repo, id)
	dl := *c
	hc := *c.http
	hc.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if len(via) >= 10 {
			return fmt.Errorf("stopped after %d redirects", len(via))
		}
		req.Header.Del("Authorization")
		return nil
	}
	dl.http = &hc
	resp, err := dl.send(ctx, http.MethodGet, c.baseURL+path, nil)
	if err != nil {
		return nil, fmt.Errorf("GitHub API GET %s: %w", path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		return nil, &githubAPIError{Method: http.MethodGet, Path: path, Status: resp.StatusCode, Message: apiMessage(data)}
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxArtifactBytes+1))
	if err != nil {
		return nil, fmt.Errorf("GitHub API GET %s: %w", path, err)
	}
	if len(data) > maxArtifactBytes {
		return nil, fmt.Errorf("GitHub API GET %s: the artifact is larger than %d MiB", path, maxArtifactBytes>>20)
	}
	return data, nil
}
