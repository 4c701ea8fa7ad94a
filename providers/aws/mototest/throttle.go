package mototest

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Throttler is a loopback proxy in front of a server that answers a share
// of the calls with AWS's Throttling error instead of passing them on, in
// the wire format of the service called, so the SDK sees what a busy AWS
// region sends.
type Throttler struct {
	// URL is the proxy's endpoint, to use as endpoint_url.
	URL string

	srv       *httptest.Server
	rate      float64
	mu        sync.Mutex
	rnd       *rand.Rand
	throttled atomic.Int64
	passed    atomic.Int64
}

// NewThrottler starts a proxy to target on 127.0.0.1 that throttles the
// share rate (0 to 1) of the calls, chosen by a generator seeded with
// seed so that a run can be repeated. It stops when the test ends.
func NewThrottler(t testing.TB, target string, rate float64, seed uint64) *Throttler {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatalf("throttler target %q: %v", target, err)
	}
	th := &Throttler{rate: rate, rnd: rand.New(rand.NewPCG(seed, seed^0x5eed))}
	proxy := httputil.NewSingleHostReverseProxy(u)
	proxy.Transport = &http.Transport{ResponseHeaderTimeout: 30 * time.Second, MaxIdleConnsPerHost: 16}
	th.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/moto-api/") && th.throttle() {
			th.throttled.Add(1)
			writeThrottling(w, r)
			return
		}
		th.passed.Add(1)
		proxy.ServeHTTP(w, r)
	}))
	th.URL = th.srv.URL
	t.Cleanup(th.srv.Close)
	return th
}

func (th *Throttler) throttle() bool {
	th.mu.Lock()
	defer th.mu.Unlock()
	return th.rnd.Float64() < th.rate
}

// Counts returns how many calls were throttled and how many passed.
func (th *Throttler) Counts() (throttled, passed int64) {
	return th.throttled.Load(), th.passed.Load()
}

// writeThrottling answers r with a Throttling error in its service's
// protocol: JSON for the JSON services (SSM, the tagging API), EC2's own
// XML for EC2, and the query protocol's XML for the others.
func writeThrottling(w http.ResponseWriter, r *http.Request) {
	const msg = "Rate exceeded"
	reqID := fmt.Sprintf("throttled-%d", time.Now().UnixNano())
	w.Header().Set("x-amzn-RequestId", reqID)
	switch {
	case strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-amz-json"):
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"__type":"Throttling","message":%q}`, msg)
	case service(r) == "ec2":
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>Throttling</Code><Message>%s</Message></Error></Errors><RequestID>%s</RequestID></Response>`, msg, reqID)
	default:
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>%s</Message></Error><RequestId>%s</RequestId></ErrorResponse>`, msg, reqID)
	}
}

// service reads the service name from the request's signature
// ("Credential=KEY/DATE/REGION/SERVICE/aws4_request").
func service(r *http.Request) string {
	auth := r.Header.Get("Authorization")
	i := strings.Index(auth, "Credential=")
	if i < 0 {
		return ""
	}
	parts := strings.Split(strings.SplitN(auth[i+len("Credential="):], ",", 2)[0], "/")
	if len(parts) < 4 {
		return ""
	}
	return parts[3]
}
