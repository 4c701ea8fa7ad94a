// Package lb is the load balancer unit of the local provider: a Go
// reverse proxy (or TCP forwarder) per listener on 127.0.0.1, with weighted
// path routes to autoscaling groups, retries of failed dials, draining and
// per-backend figures. It finds its groups' backends through the contract
// in package backends.
package lb

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/stagecraft/stagecraft/providers"
	"github.com/stagecraft/stagecraft/providers/local/backends"
	"github.com/stagecraft/stagecraft/providers/local/supervisor"
)

// lbRefreshInterval is how often a load balancer looks for groups it could
// not find and forgets the counters of instances that are gone.
const lbRefreshInterval = time.Second

// loadBalancer is a reverse proxy on 127.0.0.1, one listener per listener
// block, routing by path prefix and weight to the healthy instances of
// autoscaling groups (see group_backends.go for how it finds them).
type loadBalancer struct {
	env     *supervisor.Env
	id      string
	address string

	mu        sync.Mutex // guards what apply, stop and current touch
	cfg       cty.Value
	tcp       bool
	listeners []*lbListener
	started   bool
	stopped   bool

	table     atomic.Pointer[routeTable]
	stats     lbStats
	transport *http.Transport
	proxy     *httputil.ReverseProxy
	ctx       context.Context
	cancel    context.CancelFunc
	bg        sync.WaitGroup // the refresh loop and listeners shutting down
}

// lbListener is one bound port.
type lbListener struct {
	port int
	ln   net.Listener
	srv  *http.Server // http
	tcp  *tcpForwarder
	done chan struct{} // closed when serving has ended
}

func New(env *supervisor.Env, id, address string) supervisor.Unit {
	ctx, cancel := context.WithCancel(context.Background())
	lb := &loadBalancer{env: env, id: id, address: address, ctx: ctx, cancel: cancel}
	lb.transport = &http.Transport{
		// Never a proxy from the supervisor's environment: backends are
		// on loopback.
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 2 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        1024,
		MaxIdleConnsPerHost: 256,
		IdleConnTimeout:     90 * time.Second,
	}
	lb.proxy = &httputil.ReverseProxy{
		Rewrite:        lb.rewrite,
		Transport:      lbTransport{lb},
		ErrorHandler:   lb.proxyError,
		ErrorLog:       lb.errorLog(),
		FlushInterval:  -1,
		ModifyResponse: nil,
	}
	lb.table.Store(&routeTable{})
	return lb
}

func (lb *loadBalancer) logf(format string, args ...any) {
	if l := lb.env.Logger(); l != nil {
		l.Printf(lb.address+": "+format, args...)
	}
}

func (lb *loadBalancer) errorLog() *log.Logger {
	if l := lb.env.Logger(); l != nil {
		return log.New(l.Writer(), "supervisor: "+lb.address+": ", log.LstdFlags)
	}
	return nil
}

// Apply binds the listeners (keeping those whose port stays, re-binding
// those that change, picking a free port where none is given) and swaps in
// the new routing table. A port that cannot be bound fails the whole
// change and leaves the load balancer as it was.
func (lb *loadBalancer) Apply(_ context.Context, cfg cty.Value) (cty.Value, error) {
	spec, err := decodeLoadBalancer(cfg)
	if err != nil {
		return cty.NilVal, err
	}
	lb.mu.Lock()
	defer lb.mu.Unlock()
	if lb.stopped {
		return cty.NilVal, errors.New("the load balancer is being deleted")
	}
	if lb.started && spec.tcp != lb.tcp {
		return cty.NilVal, errors.New("the type of a load balancer cannot change in place; it has to be replaced")
	}
	lb.tcp = spec.tcp

	// Listener i keeps its port when the configuration leaves it out.
	want := make([]int, len(spec.ports))
	for i, p := range spec.ports {
		want[i] = p
		if p == 0 && i < len(lb.listeners) {
			want[i] = lb.listeners[i].port
		}
	}
	byPort := map[int]*lbListener{}
	for _, l := range lb.listeners {
		byPort[l.port] = l
	}
	next := make([]*lbListener, len(want))
	var fresh []*lbListener
	for i, p := range want {
		if l, ok := byPort[p]; ok && p != 0 {
			next[i] = l
			delete(byPort, p)
			continue
		}
		ln, err := listenLoopback(p)
		if err != nil {
			for _, l := range fresh {
				l.ln.Close()
			}
			return cty.NilVal, fmt.Errorf("listener[%d]: %w", i, err)
		}
		l := &lbListener{port: ln.Addr().(*net.TCPAddr).Port, ln: ln, done: make(chan struct{})}
		next[i] = l
		fresh = append(fresh, l)
	}

	lb.table.Store(newRouteTable(spec.routes, lb.table.Load(), &lb.stats))
	for _, l := range fresh {
		lb.serve(l)
	}
	// Listeners no longer configured stop accepting now and finish what
	// they serve in the background.
	for _, l := range byPort {
		lb.bg.Add(1)
		go func() {
			defer lb.bg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), backends.DrainTimeout)
			defer cancel()
			lb.closeListener(ctx, l)
		}()
	}
	lb.listeners = next
	if !lb.started {
		lb.started = true
		lb.bg.Add(1)
		go lb.refresh()
	}
	lb.cfg = lb.actual(cfg)
	ports := make([]string, len(next))
	for i, l := range next {
		ports[i] = supervisor.HostPort(l.port)
	}
	lb.logf("listening on %s with %d routes", strings.Join(ports, ", "), len(spec.routes))
	return lb.cfg, nil
}

// listenLoopback binds a port on 127.0.0.1 (0: any free port), saying
// plainly when the port is taken.
func listenLoopback(port int) (net.Listener, error) {
	ln, err := net.Listen("tcp", supervisor.HostPort(port))
	switch {
	case errors.Is(err, syscall.EADDRINUSE):
		return nil, fmt.Errorf("port %d on 127.0.0.1 is in use; pick another listener port or stop what uses it", port)
	case errors.Is(err, syscall.EACCES):
		return nil, fmt.Errorf("port %d on 127.0.0.1 needs privileges the supervisor does not have; pick a port above 1023", port)
	case err != nil:
		return nil, fmt.Errorf("listen on port %d of 127.0.0.1: %w", port, err)
	}
	return ln, nil
}

// serve starts serving a freshly bound listener.
func (lb *loadBalancer) serve(l *lbListener) {
	if lb.tcp {
		l.tcp = newTCPForwarder(lb, l.ln)
		go func() {
			defer close(l.done)
			l.tcp.serve()
		}()
		return
	}
	l.srv = &http.Server{
		Handler:           lb,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          lb.errorLog(),
	}
	go func() {
		defer close(l.done)
		_ = l.srv.Serve(l.ln)
	}()
}

// closeListener stops accepting on l and waits, until ctx ends, for what
// it serves to finish; then it cuts what is left.
func (lb *loadBalancer) closeListener(ctx context.Context, l *lbListener) {
	switch {
	case l.srv != nil:
		if err := l.srv.Shutdown(ctx); err != nil {
			_ = l.srv.Close()
		}
	case l.tcp != nil:
		l.tcp.shutdown(ctx)
	default:
		l.ln.Close()
		return
	}
	<-l.done
}

// actual is cfg with the ports bound and the computed attributes.
func (lb *loadBalancer) actual(cfg cty.Value) cty.Value {
	m := cfg.AsValueMap()
	ls := cfg.GetAttr("listener").AsValueSlice()
	out := make([]cty.Value, len(ls))
	for i, l := range ls {
		lm := l.AsValueMap()
		lm["port"] = cty.NumberIntVal(int64(lb.listeners[i].port))
		out[i] = cty.ObjectVal(lm)
	}
	m["listener"] = cty.ListVal(out)
	first := supervisor.HostPort(lb.listeners[0].port)
	scheme := "http"
	if lb.tcp {
		scheme = "tcp"
	}
	m["id"] = cty.StringVal(lb.id)
	m["address"] = cty.StringVal(first)
	m["url"] = cty.StringVal(scheme + "://" + first)
	m["dns_name"] = cty.StringVal("localhost")
	return cty.ObjectVal(m)
}

func (lb *loadBalancer) Current() cty.Value {
	lb.mu.Lock()
	defer lb.mu.Unlock()
	return lb.cfg
}

// refresh finds groups the routes could not find before (created after the
// load balancer, or replaced) and forgets the counters of instances that
// are gone.
func (lb *loadBalancer) refresh() {
	defer lb.bg.Done()
	tick := time.NewTicker(lbRefreshInterval)
	defer tick.Stop()
	for {
		select {
		case <-lb.ctx.Done():
			return
		case <-tick.C:
		}
		keep := map[string]bool{}
		for _, pr := range lb.table.Load().paths {
			for _, rt := range pr.targets {
				if src := lb.source(rt); src != nil {
					for _, m := range src.Targets().Members {
						keep[m.Backend.ID] = true
					}
				}
			}
		}
		lb.stats.prune(keep)
	}
}

// A load balancer counts the traffic it routes to each group.
var _ backends.TrafficCounter = (*loadBalancer)(nil)

// GroupTraffic implements backends.TrafficCounter.
func (lb *loadBalancer) GroupTraffic(addr string) (requests, errors5xx int64) {
	g, ok := lb.stats.groups.Load(addr)
	if !ok {
		return 0, 0
	}
	gs := g.(*groupStats)
	return gs.requests.Load(), gs.errors5xx.Load()
}

// Observe reports one target per instance of every group the routes
// name, and the load balancer healthy when every path has a healthy
// instance to send traffic to.
func (lb *loadBalancer) Observe(context.Context) providers.Observation {
	lb.mu.Lock()
	stopped := lb.stopped
	lb.mu.Unlock()
	obs := providers.Observation{Requests: lb.stats.requests.Load(), Errors5xx: lb.stats.errors5xx.Load()}
	var problems []string
	seen := map[string]bool{}
	for _, pr := range lb.table.Load().paths {
		served := false
		for _, rt := range pr.targets {
			src := lb.source(rt)
			if src == nil {
				continue
			}
			set := src.Targets()
			if rt.weight > 0 && len(set.Serving) > 0 {
				served = true
			}
			if seen[rt.group] {
				continue
			}
			seen[rt.group] = true
			for _, m := range set.Members {
				t := providers.TargetObservation{
					ID: m.Backend.ID, Group: rt.group, Weight: rt.weight,
					Healthy: m.Healthy && !m.Backend.Leaving(),
				}
				if st, ok := lb.stats.targets.Load(m.Backend.ID); ok {
					st := st.(*targetStats)
					t.Requests, t.Errors5xx = st.requests.Load(), st.errors5xx.Load()
					t.LatencyP50, t.LatencyP99 = st.latency.quantile(0.50), st.latency.quantile(0.99)
				}
				obs.Targets = append(obs.Targets, t)
			}
		}
		if !served {
			problems = append(problems, lb.noTarget(pr))
		}
	}
	obs.Healthy = !stopped && len(problems) == 0
	if stopped {
		obs.Detail = lb.address + " is being deleted."
	} else if len(problems) > 0 {
		obs.Detail = strings.Join(problems, " ")
	}
	return obs
}

// Stop closes the listeners, letting requests in flight finish.
func (lb *loadBalancer) Stop(ctx context.Context) error {
	return lb.shutdown(ctx, backends.DrainTimeout)
}

// Halt closes the listeners when the supervisor stops; requests in flight
// get a short while.
func (lb *loadBalancer) Halt(ctx context.Context) error {
	return lb.shutdown(ctx, 5*time.Second)
}

func (lb *loadBalancer) shutdown(ctx context.Context, grace time.Duration) error {
	lb.mu.Lock()
	if lb.stopped {
		lb.mu.Unlock()
		return nil
	}
	lb.stopped = true
	ls := lb.listeners
	lb.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, grace)
	defer cancel()
	var wg sync.WaitGroup
	for _, l := range ls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lb.closeListener(ctx, l)
		}()
	}
	wg.Wait()
	lb.cancel()
	lb.bg.Wait()
	lb.transport.CloseIdleConnections()
	return nil
}
