package lb

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"sync"
	"time"

	"github.com/stagecraft/stagecraft/providers/local/backends"
)

// lbMaxTries bounds how many instances one request is offered to when
// connecting fails (an instance that died a moment ago, before its group
// noticed).
const lbMaxTries = 3

// attempt is one proxied request: the route and instance it holds.
type attempt struct {
	lb    *loadBalancer
	pr    *pathRoutes
	rt    *routeTarget
	b     *backends.Backend
	tried []*backends.Backend
	start time.Time
	once  sync.Once
}

type attemptKey struct{}

// ServeHTTP routes a request: the longest matching prefix, a route by
// weight, a healthy instance of its group; then the reverse proxy.
func (lb *loadBalancer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	lb.stats.requests.Add(1)
	pr := lb.table.Load().match(r.URL.Path)
	if pr == nil {
		http.Error(w, fmt.Sprintf("404 Not Found: no route of %s matches %s.", lb.address, r.URL.Path), http.StatusNotFound)
		return
	}
	first := pr.choose()
	b, rt := lb.pickBackend(pr, first, nil)
	if b == nil {
		first.stats.requests.Add(1)
		first.stats.errors5xx.Add(1)
		lb.stats.errors5xx.Add(1)
		w.Header().Set("Retry-After", "1")
		http.Error(w, "503 Service Unavailable: "+lb.noTarget(pr), http.StatusServiceUnavailable)
		return
	}
	rt.stats.requests.Add(1)
	a := &attempt{lb: lb, pr: pr, rt: rt, b: b, start: time.Now()}
	lb.proxy.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), attemptKey{}, a)))
}

// rewrite points the outgoing request at the instance (the transport sets
// the host, since a retry may change it) and says who asked.
func (lb *loadBalancer) rewrite(pr *httputil.ProxyRequest) {
	pr.SetXForwarded()
	pr.Out.URL.Scheme = "http"
	pr.Out.Host = pr.In.Host
}

// finish records the outcome on the instance and releases it; it runs
// once, whichever of the response body and the error handler ends the
// request.
func (a *attempt) finish(status int) {
	a.once.Do(func() {
		a.lb.stats.target(a.b.ID).record(status, time.Since(a.start))
		if status >= 500 {
			a.lb.stats.errors5xx.Add(1)
			a.rt.stats.errors5xx.Add(1)
		}
		a.b.Release()
	})
}

// retry moves the request to another instance after connecting to the
// current one failed; it reports false when there is none to try.
func (a *attempt) retry() bool {
	if len(a.tried)+1 >= lbMaxTries {
		return false
	}
	b, rt := a.lb.pickBackend(a.pr, a.rt, append(a.tried, a.b))
	if b == nil {
		return false
	}
	a.lb.stats.target(a.b.ID).record(http.StatusBadGateway, time.Since(a.start))
	a.b.Release()
	a.tried = append(a.tried, a.b)
	if rt != a.rt {
		rt.stats.requests.Add(1)
	}
	a.b, a.rt, a.start = b, rt, time.Now()
	return true
}

// lbTransport sends a request to the attempt's instance over the shared
// keep-alive transport. A request that could not connect (nothing was
// sent) goes to another instance when it has no body to replay.
type lbTransport struct{ lb *loadBalancer }

func (t lbTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	a, ok := req.Context().Value(attemptKey{}).(*attempt)
	if !ok {
		return nil, errors.New("no instance chosen for the request")
	}
	for {
		out := req.WithContext(req.Context())
		u := *req.URL
		u.Host = a.b.Addr
		out.URL = &u
		resp, err := t.lb.transport.RoundTrip(out)
		if err == nil {
			if rwc, ok := resp.Body.(io.ReadWriteCloser); ok && resp.StatusCode == http.StatusSwitchingProtocols {
				// An upgraded connection (WebSocket): the proxy needs to
				// write to it too.
				resp.Body = &finishingConn{ReadWriteCloser: rwc, a: a}
			} else {
				resp.Body = &finishingBody{ReadCloser: resp.Body, a: a, status: resp.StatusCode}
			}
			return resp, nil
		}
		if isDialError(err) && (req.Body == nil || req.Body == http.NoBody) && a.retry() {
			continue
		}
		return nil, err
	}
}

func isDialError(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// finishingBody ends the attempt when the proxy has copied the response.
type finishingBody struct {
	io.ReadCloser
	a      *attempt
	status int
}

func (b *finishingBody) Close() error {
	err := b.ReadCloser.Close()
	b.a.finish(b.status)
	return err
}

// finishingConn ends the attempt when an upgraded connection closes.
type finishingConn struct {
	io.ReadWriteCloser
	a *attempt
}

func (c *finishingConn) Close() error {
	err := c.ReadWriteCloser.Close()
	c.a.finish(http.StatusSwitchingProtocols)
	return err
}

// proxyError answers a request the instance did not answer.
func (lb *loadBalancer) proxyError(w http.ResponseWriter, r *http.Request, err error) {
	a, _ := r.Context().Value(attemptKey{}).(*attempt)
	if r.Context().Err() != nil {
		// The client went away; nobody reads the answer.
		if a != nil {
			a.finish(499)
		}
		return
	}
	id := "the instance"
	if a != nil {
		id = a.b.ID
		a.finish(http.StatusBadGateway)
	}
	http.Error(w, fmt.Sprintf("502 Bad Gateway: %s did not answer: %v.", id, err), http.StatusBadGateway)
}
