package github

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofri/go-github-ratelimit/v2/github_ratelimit/github_primary_ratelimit"
	gogithub "github.com/google/go-github/v93/github"
)

// APIError is a call the API refused: the method, the path and GitHub's
// own message, with what to change when the cause is the token or its
// permissions.
type APIError struct {
	Method, Path string
	Status       int
	Message      string
}

// Error says which call failed, GitHub's reason and, for 401, 403 and
// 404, what the workflow must give the token.
func (e *APIError) Error() string {
	msg := fmt.Sprintf("GitHub API %s %s: %d %s", e.Method, e.Path, e.Status, e.Message)
	switch e.Status {
	case http.StatusUnauthorized:
		msg += " (the token is missing or expired)"
	case http.StatusForbidden, http.StatusNotFound:
		msg += " (check the workflow's permissions: pull-requests: write for comments, issues: write for the drift issue, actions: read for plan artifacts)"
	}
	return msg
}

// RateLimitError is a call refused because the token made too many
// requests, when waiting for the limit to reset would have taken too long.
// It is never a question of permissions.
type RateLimitError struct {
	Method, Path string
	// Secondary is GitHub's limit on requests in a short time; otherwise
	// the token's hourly quota is used up.
	Secondary bool
	// Reset is when calls are accepted again; zero when GitHub did not
	// say.
	Reset time.Time
}

// Error says that the call was rate limited and when to try again.
func (e *RateLimitError) Error() string {
	what := "the token's hourly request quota is used up"
	if e.Secondary {
		what = "too many requests in a short time (a secondary rate limit)"
	}
	msg := fmt.Sprintf("GitHub API %s %s: rate limited: %s", e.Method, e.Path, what)
	if e.Reset.IsZero() {
		return msg + "; wait a few minutes and re-run the job"
	}
	in := time.Until(e.Reset).Round(time.Second)
	return fmt.Sprintf("%s; the limit resets at %s (in %s): re-run the job then", msg, e.Reset.UTC().Format("2006-01-02 15:04:05 UTC"), max(in, 0))
}

// failure turns what go-github and the transport return into one sentence
// naming the call: a RateLimitError, an APIError, or the network's error.
func (c *Client) failure(resp *gogithub.Response, err error) error {
	if err == nil {
		return nil
	}
	var (
		reached *github_primary_ratelimit.RateLimitReachedError
		primary *gogithub.RateLimitError
		abuse   *gogithub.AbuseRateLimitError
		refused *gogithub.ErrorResponse
		network *url.Error
	)
	switch {
	case errors.As(err, &reached):
		method, path := c.named(reached.Request)
		e := &RateLimitError{Method: method, Path: path}
		if reached.ResetTime != nil {
			e.Reset = *reached.ResetTime
		}
		return e
	case errors.As(err, &primary):
		method, path := c.named(primary.Response.Request)
		return &RateLimitError{Method: method, Path: path, Reset: primary.Rate.Reset.Time}
	case errors.As(err, &abuse):
		method, path := c.named(abuse.Response.Request)
		e := &RateLimitError{Method: method, Path: path, Secondary: true}
		if abuse.RetryAfter != nil {
			e.Reset = time.Now().Add(*abuse.RetryAfter)
		}
		return e
	case errors.As(err, &refused):
		return c.refusal(refused)
	case errors.As(err, &network):
		u, _ := url.Parse(network.URL)
		return fmt.Errorf("GitHub API %s %s: %w", strings.ToUpper(network.Op), c.path(u), network.Err)
	case resp != nil && resp.Request != nil:
		method, path := c.named(resp.Request)
		return fmt.Errorf("GitHub API %s %s: the answer is not what was expected: %w", method, path, err)
	}
	return fmt.Errorf("GitHub API: %w", err)
}

// refusal is the error for an answer GitHub refused a call with. A 429,
// and a 403 that says to retry later, are rate limits, not permissions.
func (c *Client) refusal(e *gogithub.ErrorResponse) error {
	r := e.Response
	method, path := c.named(r.Request)
	retryAfter := r.Header.Get("Retry-After")
	secondary := strings.HasPrefix(e.Message, "You have exceeded a secondary rate limit")
	if r.StatusCode == http.StatusTooManyRequests || (r.StatusCode == http.StatusForbidden && (retryAfter != "" || secondary)) {
		limit := &RateLimitError{Method: method, Path: path, Secondary: true}
		if s, err := strconv.Atoi(retryAfter); err == nil {
			limit.Reset = time.Now().Add(time.Duration(s) * time.Second)
		}
		return limit
	}
	msg := e.Message
	if msg == "" && r.Body != nil {
		data, _ := io.ReadAll(io.LimitReader(r.Body, 4<<10))
		msg = strings.TrimSpace(string(data))
		if len(msg) > 200 {
			msg = msg[:200] + "..."
		}
	}
	return &APIError{Method: method, Path: path, Status: r.StatusCode, Message: msg}
}

// named names a request as errors show it: the method and the path below
// the API's base URL.
func (c *Client) named(req *http.Request) (method, path string) {
	if req == nil {
		return "", ""
	}
	return req.Method, c.path(req.URL)
}

// path is u's path below the API's base URL.
func (c *Client) path(u *url.URL) string {
	if u == nil {
		return ""
	}
	return "/" + strings.TrimPrefix(u.Path, c.basePath)
}
