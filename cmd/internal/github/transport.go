package github

import (
	"context"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/gofri/go-github-ratelimit/v2/github_ratelimit/github_primary_ratelimit"
)

// primaryLimitWait waits for the primary rate limit to reset and tries the
// call again, when go-github-ratelimit reports the limit used up and the
// reset is no more than maxWait away. A reset further off is left to the
// caller, which says when it is.
type primaryLimitWait struct {
	base    http.RoundTripper
	maxWait time.Duration
}

// RoundTrip sends req, waiting out at most two primary limits.
func (t *primaryLimitWait) RoundTrip(req *http.Request) (*http.Response, error) {
	for attempt := 0; ; attempt++ {
		resp, err := t.base.RoundTrip(req)
		var limited *github_primary_ratelimit.RateLimitReachedError
		if attempt == 2 || !errors.As(err, &limited) || limited.ResetTime == nil {
			return resp, err
		}
		// The reset time has whole seconds: wait one more, so the limiter
		// has let go of it.
		wait := time.Until(*limited.ResetTime) + time.Second
		if wait > t.maxWait {
			return resp, err
		}
		if err := sleep(req.Context(), wait); err != nil {
			return nil, err
		}
	}
}

// serverErrorRetry sends a request afresh (with its body again, so that a
// retry above it resends the whole request) and retries server errors
// twice, waiting wait and then twice that.
type serverErrorRetry struct {
	base http.RoundTripper
	wait time.Duration
}

// RoundTrip sends req, retrying a 5xx answer.
func (t *serverErrorRetry) RoundTrip(req *http.Request) (*http.Response, error) {
	wait := t.wait
	for attempt := 0; ; attempt++ {
		r, err := rewound(req)
		if err != nil {
			return nil, err
		}
		resp, err := t.base.RoundTrip(r)
		if err != nil || resp.StatusCode < 500 || attempt == 2 {
			return resp, err
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		_ = resp.Body.Close()
		if err := sleep(req.Context(), wait); err != nil {
			return nil, err
		}
		wait *= 2
	}
}

// rewound is req with a fresh copy of its body, when it has one.
func rewound(req *http.Request) (*http.Request, error) {
	if req.Body == nil || req.GetBody == nil {
		return req, nil
	}
	_ = req.Body.Close()
	body, err := req.GetBody()
	if err != nil {
		return nil, err
	}
	r := req.Clone(req.Context())
	r.Body = body
	return r, nil
}

// sleep waits d, or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}
