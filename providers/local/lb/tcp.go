package lb

import (
	"context"
	"io"
	"net"
	"sync"
	"time"

	"github.com/stagecraft/stagecraft/providers/local/backends"
)

// tcpForwarder serves a listener of a tcp load balancer: each connection
// goes, whole, to one healthy instance chosen by weight, and holds that
// instance (for draining) until it closes. Counters count connections.
type tcpForwarder struct {
	lb *loadBalancer
	ln net.Listener

	mu    sync.Mutex
	conns map[net.Conn]struct{}
	wg    sync.WaitGroup
}

func newTCPForwarder(lb *loadBalancer, ln net.Listener) *tcpForwarder {
	return &tcpForwarder{lb: lb, ln: ln, conns: map[net.Conn]struct{}{}}
}

// serve accepts until the listener closes.
func (f *tcpForwarder) serve() {
	for {
		c, err := f.ln.Accept()
		if err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				continue
			}
			return
		}
		f.track(c, true)
		f.wg.Add(1)
		go func() {
			defer f.wg.Done()
			defer f.track(c, false)
			defer c.Close()
			f.forward(c)
		}()
	}
}

func (f *tcpForwarder) track(c net.Conn, add bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if add {
		f.conns[c] = struct{}{}
	} else {
		delete(f.conns, c)
	}
}

// forward connects c to an instance and copies both ways until both sides
// are done.
func (f *tcpForwarder) forward(c net.Conn) {
	lb := f.lb
	lb.stats.requests.Add(1)
	pr := lb.table.Load().match("/")
	if pr == nil {
		return
	}
	first := pr.choose()
	b, rt := lb.pickBackend(pr, first, nil)
	if b == nil {
		first.stats.requests.Add(1)
		first.stats.errors5xx.Add(1)
		lb.stats.errors5xx.Add(1)
		return
	}
	rt.stats.requests.Add(1)
	var tried []*backends.Backend
	start := time.Now()
	var up net.Conn
	for {
		var err error
		up, err = net.DialTimeout("tcp", b.Addr, 2*time.Second)
		if err == nil {
			break
		}
		lb.stats.target(b.ID).record(502, time.Since(start))
		tried = append(tried, b)
		next, nrt := lb.pickBackend(pr, rt, tried)
		b.Release()
		if next == nil || len(tried) >= lbMaxTries {
			if next != nil {
				next.Release()
			}
			lb.stats.errors5xx.Add(1)
			rt.stats.errors5xx.Add(1)
			return
		}
		b, rt, start = next, nrt, time.Now()
	}
	// Tracked too, so that shutdown can cut a connection whose instance
	// keeps it open.
	f.track(up, true)
	defer f.track(up, false)
	defer up.Close()
	done := make(chan struct{}, 2)
	pipe := func(dst, src net.Conn) {
		_, _ = io.Copy(dst, src)
		if tc, ok := dst.(*net.TCPConn); ok {
			_ = tc.CloseWrite()
		}
		done <- struct{}{}
	}
	go pipe(up, c)
	go pipe(c, up)
	<-done
	<-done
	lb.stats.target(b.ID).record(0, time.Since(start))
	b.Release()
}

// shutdown stops accepting, waits until ctx ends for the connections to
// close by themselves, then closes what is left.
func (f *tcpForwarder) shutdown(ctx context.Context) {
	f.ln.Close()
	idle := make(chan struct{})
	go func() {
		f.wg.Wait()
		close(idle)
	}()
	select {
	case <-idle:
		return
	case <-ctx.Done():
	}
	f.mu.Lock()
	for c := range f.conns {
		c.Close()
	}
	f.mu.Unlock()
	<-idle
}
