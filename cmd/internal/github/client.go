// Package github is the part of the GitHub REST API the ci commands use:
// the sticky comment on a pull request, the drift issue, the pull request
// a commit merged and the plan artifact its run uploaded. It is built on
// go-github; rate limits are waited out within a bound (go-github-ratelimit
// for GitHub's secondary limits, a wait until the reset for the primary
// one), and every failure is one sentence that names the call and, where
// the cause is the token's permissions, what to grant.
package github

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gofri/go-github-ratelimit/v2/github_ratelimit"
	"github.com/gofri/go-github-ratelimit/v2/github_ratelimit/github_secondary_ratelimit"
	gogithub "github.com/google/go-github/v93/github"
)

// DefaultMaxWait is how long one call waits for a rate limit to reset
// before it gives up and says when the limit resets.
const DefaultMaxWait = 2 * time.Minute

// maxListed bounds how many items a listing follows (30 pages of 100).
const maxListed = 3000

// Config says which API and repository a Client talks to.
type Config struct {
	// BaseURL is the REST API's address (GITHUB_API_URL); empty means
	// https://api.github.com.
	BaseURL string
	// Token authenticates every call to BaseURL; it is sent nowhere else.
	Token string
	// Repository is OWNER/NAME.
	Repository string
	// MaxWait bounds the wait for one rate limit to reset; zero means
	// DefaultMaxWait.
	MaxWait time.Duration
	// RetryWait is the wait before retrying a server error; it doubles
	// after each retry. Zero means one second.
	RetryWait time.Duration
}

// Client calls the API for one repository. Its methods are safe for one
// command at a time; make one per command.
type Client struct {
	api         *gogithub.Client
	owner, name string
	// basePath is the path of the API's base URL, cut from the paths
	// that errors name.
	basePath string
	// download fetches artifact archives from the storage address the API
	// redirects to, without the token.
	download *http.Client
}

// New returns a client for cfg, or a sentence saying what is wrong with it.
func New(cfg Config) (*Client, error) {
	owner, name, ok := strings.Cut(cfg.Repository, "/")
	if !ok || owner == "" || name == "" || strings.Contains(name, "/") {
		return nil, fmt.Errorf("the repository %q is not OWNER/NAME", cfg.Repository)
	}
	if cfg.Token == "" {
		return nil, errors.New("no token was given for the GitHub API")
	}
	base := cfg.BaseURL
	if base == "" {
		base = "https://api.github.com"
	}
	if !strings.HasSuffix(base, "/") {
		base += "/"
	}
	u, err := url.Parse(base)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("the GitHub API address %q is not a URL", cfg.BaseURL)
	}
	maxWait := cfg.MaxWait
	if maxWait <= 0 {
		maxWait = DefaultMaxWait
	}
	retryWait := cfg.RetryWait
	if retryWait <= 0 {
		retryWait = time.Second
	}
	transport := newTransport(maxWait, retryWait)
	api, err := gogithub.NewClient(
		gogithub.WithTransport(transport),
		gogithub.WithAuthToken(cfg.Token),
		gogithub.WithURLs(&base, &base),
		gogithub.WithUserAgent("stagecraft"),
		// The artifact download answers errors with GitHub's message, not
		// only a status, and counts against the rate limit like any call.
		gogithub.WithRateLimitRedirectionalEndpoints(),
	)
	if err != nil {
		return nil, fmt.Errorf("cannot set up the GitHub API client: %w", err)
	}
	return &Client{
		api: api, owner: owner, name: name, basePath: u.Path,
		download: &http.Client{Timeout: 60 * time.Second},
	}, nil
}

// newTransport stacks the rate limit handling over the network: a primary
// limit that resets within maxWait is waited out; go-github-ratelimit
// waits out secondary limits (Retry-After) up to maxWait each and three
// times that in all, and reports the primary limit with its reset time;
// server errors are retried twice, retryWait apart and doubling.
func newTransport(maxWait, retryWait time.Duration) http.RoundTripper {
	network := http.DefaultTransport.(*http.Transport).Clone()
	network.ResponseHeaderTimeout = 60 * time.Second
	limited := github_ratelimit.New(&serverErrorRetry{base: network, wait: retryWait},
		github_secondary_ratelimit.WithSingleSleepLimit(maxWait, nil),
		github_secondary_ratelimit.WithTotalSleepLimit(3*maxWait, nil),
	)
	return &primaryLimitWait{base: limited, maxWait: maxWait}
}

// apiContext prepares a context for one API call: go-github's own check of the
// last known rate limit is left to the transport, which waits instead of
// failing at once.
func apiContext(ctx context.Context) context.Context {
	return context.WithValue(ctx, gogithub.BypassRateLimitCheck, true)
}
