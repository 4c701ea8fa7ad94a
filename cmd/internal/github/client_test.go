package github

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

const testToken = "ghs_test-token"

// testAPI is an API server on 127.0.0.1 that answers each request with the
// next of its answers and records what it was sent.
type testAPI struct {
	t       *testing.T
	srv     *httptest.Server
	mu      sync.Mutex
	answers []func(w http.ResponseWriter, r *http.Request)
	// requests are "METHOD PATH?QUERY body" of every request, in order.
	requests []string
}

// newTestAPI serves answers in order; past the last one, it answers 500.
func newTestAPI(t *testing.T, answers ...func(w http.ResponseWriter, r *http.Request)) *testAPI {
	t.Helper()
	a := &testAPI{t: t, answers: answers}
	a.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		a.mu.Lock()
		a.requests = append(a.requests, strings.TrimSpace(r.Method+" "+r.URL.RequestURI()+" "+string(body)))
		var answer func(w http.ResponseWriter, r *http.Request)
		if len(a.answers) > 0 {
			answer, a.answers = a.answers[0], a.answers[1:]
		}
		a.mu.Unlock()
		if r.Header.Get("Authorization") != "Bearer "+testToken {
			http.Error(w, `{"message":"Bad credentials"}`, http.StatusUnauthorized)
			return
		}
		if answer == nil {
			http.Error(w, `{"message":"no answer left"}`, http.StatusInternalServerError)
			return
		}
		answer(w, r)
	}))
	t.Cleanup(a.srv.Close)
	return a
}

// client is a Client of this server for acme/shop, retrying server errors
// after a millisecond.
func (a *testAPI) client() *Client {
	a.t.Helper()
	c, err := New(Config{BaseURL: a.srv.URL, Token: testToken, Repository: "acme/shop", RetryWait: time.Millisecond})
	if err != nil {
		a.t.Fatal(err)
	}
	return c
}

func (a *testAPI) sent() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.requests...)
}

// answer replies with status, headers (name, value pairs) and body.
func answer(status int, body string, headers ...string) func(w http.ResponseWriter, r *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i+1 < len(headers); i += 2 {
			w.Header().Set(headers[i], headers[i+1])
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

const (
	commentJSON   = `{"id":7,"body":"hello"}`
	secondaryJSON = `{"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again.","documentation_url":"https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api#about-secondary-rate-limits"}`
	primaryJSON   = `{"message":"API rate limit exceeded for installation ID 1.","documentation_url":"https://docs.github.com/rest/overview/resources-in-the-rest-api#rate-limiting"}`
)

func unix(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }

func TestPrimaryRateLimitIsReportedWithItsReset(t *testing.T) {
	t.Parallel()
	reset := time.Now().Add(time.Hour).Truncate(time.Second)
	tests := map[string][]string{
		"403 with the resource": {"X-RateLimit-Remaining", "0", "X-RateLimit-Reset", unix(reset), "X-RateLimit-Resource", "core"},
		"403 without it":        {"X-RateLimit-Remaining", "0", "X-RateLimit-Reset", unix(reset)},
	}
	for name, headers := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			api := newTestAPI(t, answer(http.StatusForbidden, primaryJSON, headers...))
			_, err := api.client().CreateComment(context.Background(), 5, "hello")
			var limit *RateLimitError
			if !errors.As(err, &limit) || limit.Secondary || !limit.Reset.Equal(reset) {
				t.Fatalf("got %#v (%v), want a primary rate limit resetting at %s", err, err, reset)
			}
			msg := err.Error()
			for _, want := range []string{"GitHub API POST /repos/acme/shop/issues/5/comments: rate limited", "hourly request quota", reset.UTC().Format("2006-01-02 15:04:05 UTC")} {
				if !strings.Contains(msg, want) {
					t.Errorf("%q lacks %q", msg, want)
				}
			}
			if strings.Contains(msg, "permissions") {
				t.Errorf("a rate limit is reported as a permissions problem: %s", msg)
			}
			if n := len(api.sent()); n != 1 {
				t.Errorf("%d requests, want 1: an hour is too long to wait", n)
			}
		})
	}
}

func TestPrimaryRateLimitIsWaitedOut(t *testing.T) {
	t.Parallel()
	reset := time.Now().Add(time.Second)
	api := newTestAPI(t,
		answer(http.StatusForbidden, primaryJSON, "X-RateLimit-Remaining", "0", "X-RateLimit-Reset", unix(reset), "X-RateLimit-Resource", "core"),
		answer(http.StatusCreated, commentJSON),
	)
	c, err := api.client().CreateComment(context.Background(), 5, "hello")
	if err != nil || c.ID != 7 {
		t.Fatalf("got %v, %v; want comment 7 once the limit reset", c, err)
	}
	if time.Now().Before(reset) {
		t.Errorf("the call was sent again before the limit reset")
	}
	if sent := api.sent(); len(sent) != 2 || sent[1] != sent[0] {
		t.Errorf("requests %q, want the same one twice", sent)
	}
}

func TestSecondaryRateLimitIsRetried(t *testing.T) {
	t.Parallel()
	for _, status := range []int{http.StatusTooManyRequests, http.StatusForbidden} {
		t.Run(strconv.Itoa(status), func(t *testing.T) {
			t.Parallel()
			api := newTestAPI(t,
				answer(status, secondaryJSON, "Retry-After", "1"),
				answer(http.StatusCreated, commentJSON),
			)
			start := time.Now()
			c, err := api.client().CreateComment(context.Background(), 5, "hello")
			if err != nil || c.ID != 7 {
				t.Fatalf("got %v, %v; want comment 7 after the wait", c, err)
			}
			if waited := time.Since(start); waited < time.Second {
				t.Errorf("retried after %s, before Retry-After", waited)
			}
			// The retry sends the whole request again, body included.
			if sent := api.sent(); len(sent) != 2 || sent[1] != sent[0] || !strings.HasSuffix(sent[1], `{"body":"hello"}`) {
				t.Errorf("requests %q, want the same one twice", sent)
			}
		})
	}
}

func TestSecondaryRateLimitTooLongToWait(t *testing.T) {
	t.Parallel()
	api := newTestAPI(t, answer(http.StatusForbidden, secondaryJSON, "Retry-After", "3600"))
	_, err := api.client().CreateComment(context.Background(), 5, "hello")
	var limit *RateLimitError
	if !errors.As(err, &limit) || !limit.Secondary || time.Until(limit.Reset) < 59*time.Minute {
		t.Fatalf("got %v, want a secondary rate limit resetting in an hour", err)
	}
	if msg := err.Error(); !strings.Contains(msg, "secondary rate limit") || strings.Contains(msg, "permissions") {
		t.Errorf("message %q", msg)
	}
}

func TestRateLimitWaitEndsWithTheContext(t *testing.T) {
	t.Parallel()
	api := newTestAPI(t,
		answer(http.StatusTooManyRequests, secondaryJSON, "Retry-After", "60"),
		answer(http.StatusCreated, commentJSON),
	)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := api.client().CreateComment(ctx, 5, "hello"); err == nil {
		t.Fatal("the call succeeded after its context ended")
	}
	if waited := time.Since(start); waited > 10*time.Second {
		t.Errorf("waited %s after the context ended", waited)
	}
}

func TestServerErrorsAreRetried(t *testing.T) {
	t.Parallel()
	api := newTestAPI(t,
		answer(http.StatusBadGateway, `{"message":"try later"}`),
		answer(http.StatusServiceUnavailable, `{"message":"try later"}`),
		answer(http.StatusCreated, commentJSON),
	)
	if _, err := api.client().CreateComment(context.Background(), 5, "hello"); err != nil {
		t.Fatalf("after two server errors: %v", err)
	}
	api = newTestAPI(t)
	_, err := api.client().CreateComment(context.Background(), 5, "hello")
	var refused *APIError
	if !errors.As(err, &refused) || refused.Status != http.StatusInternalServerError || len(api.sent()) != 3 {
		t.Errorf("after three server errors: %v, %d requests", err, len(api.sent()))
	}
}

func TestRefusalsSayWhatToGrant(t *testing.T) {
	t.Parallel()
	tests := []struct {
		status      int
		body, want  string
		badToken    bool
		permissions bool
	}{
		{status: http.StatusUnauthorized, badToken: true, want: "GitHub API POST /repos/acme/shop/issues/5/comments: 401 Bad credentials (the token is missing or expired)"},
		{status: http.StatusForbidden, body: `{"message":"Resource not accessible by integration"}`, want: "403 Resource not accessible by integration (check the workflow's permissions: pull-requests: write", permissions: true},
		{status: http.StatusNotFound, body: `{"message":"Not Found"}`, want: "404 Not Found (check the workflow's permissions", permissions: true},
		{status: http.StatusUnprocessableEntity, body: `{"message":"Body is too long"}`, want: "422 Body is too long"},
	}
	for _, tc := range tests {
		t.Run(strconv.Itoa(tc.status), func(t *testing.T) {
			t.Parallel()
			api := newTestAPI(t, answer(tc.status, tc.body))
			c := api.client()
			if tc.badToken {
				var err error
				if c, err = New(Config{BaseURL: api.srv.URL, Token: "expired", Repository: "acme/shop"}); err != nil {
					t.Fatal(err)
				}
			}
			_, err := c.CreateComment(context.Background(), 5, "hello")
			if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "permissions") != tc.permissions {
				t.Errorf("got %v, want %q", err, tc.want)
			}
		})
	}
}

func TestNewRefusesABadConfig(t *testing.T) {
	t.Parallel()
	tests := map[string]Config{
		"the repository \"shop\" is not OWNER/NAME": {Repository: "shop", Token: "t"},
		"no token": {Repository: "acme/shop"},
		"the GitHub API address \"::\" is not a URL": {Repository: "acme/shop", Token: "t", BaseURL: "::"},
	}
	for want, cfg := range tests {
		if _, err := New(cfg); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("New(%+v): %v, want %q", cfg, err, want)
		}
	}
}
