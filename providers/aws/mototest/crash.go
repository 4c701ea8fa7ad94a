package mototest

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// Interceptor is a loopback proxy in front of a server that tells a test
// of every call that changes something (any action but Describe*, List*
// and Get*), once the server has answered it and before the answer goes
// back. A test that kills the caller there leaves what a crash leaves:
// the call took effect, and the caller never learned its result.
type Interceptor struct {
	// URL is the proxy's endpoint, to use as endpoint_url.
	URL string

	mu      sync.Mutex
	changed func(call string)
}

// NewInterceptor starts an interceptor in front of target on 127.0.0.1;
// it stops when the test ends.
func NewInterceptor(t testing.TB, target string) *Interceptor {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatalf("interceptor target %q: %v", target, err)
	}
	in := &Interceptor{}
	proxy := httputil.NewSingleHostReverseProxy(u)
	proxy.Transport = &http.Transport{ResponseHeaderTimeout: 30 * time.Second, MaxIdleConnsPerHost: 16}
	proxy.ModifyResponse = func(resp *http.Response) error {
		call, _ := resp.Request.Context().Value(callKey{}).(string)
		if call == "" || resp.StatusCode >= 300 {
			return nil
		}
		in.mu.Lock()
		fn := in.changed
		in.mu.Unlock()
		if fn != nil {
			fn(call)
		}
		return nil
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		if call := changingCall(r, body); call != "" {
			r = r.WithContext(context.WithValue(r.Context(), callKey{}, call))
		}
		proxy.ServeHTTP(w, r)
	}))
	in.URL = srv.URL
	t.Cleanup(srv.Close)
	return in
}

// OnChange makes fn hear of every changing call from now on, as
// "service:Action" (such as "ec2:CreateVpc"); nil stops it.
func (in *Interceptor) OnChange(fn func(call string)) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.changed = fn
}

type callKey struct{}

// changingCall names the call r makes, "" when it only reads: the service
// from the signature's scope, the action from the query protocol's form
// or the JSON protocol's target header.
func changingCall(r *http.Request, body []byte) string {
	if strings.HasPrefix(r.URL.Path, "/moto-api/") {
		return ""
	}
	action := ""
	if target := r.Header.Get("X-Amz-Target"); target != "" {
		action = target[strings.LastIndex(target, ".")+1:]
	} else if form, err := url.ParseQuery(string(body)); err == nil {
		action = form.Get("Action")
	}
	for _, read := range []string{"Describe", "List", "Get"} {
		if action == "" || strings.HasPrefix(action, read) {
			return ""
		}
	}
	service := "unknown"
	// Credential=KEY/DATE/REGION/SERVICE/aws4_request
	if _, scope, ok := strings.Cut(r.Header.Get("Authorization"), "Credential="); ok {
		if parts := strings.Split(strings.SplitN(scope, ",", 2)[0], "/"); len(parts) >= 4 {
			service = parts[3]
		}
	}
	return service + ":" + action
}
