// Command app is the demo application the examples and the local
// provider's tests run as an autoscaling group: a small HTTP server that
// says which instance answered, and that can be made slow, failing, busy or
// dead on request, so that load balancing, health replacement, draining and
// scaling can be watched from the outside.
//
// It listens on 127.0.0.1:$PORT (or -port) and answers:
//
//	GET /healthz        200 "ok" (503 once /sick was called)
//	GET /               "hello from INSTANCE_ID (pid P, port N), hit K"; every
//	                    path no other handler takes answers the same
//	GET /slow?ms=N      waits N milliseconds, then answers
//	GET /status/CODE    answers with that status code
//	GET /cpu?ms=N       burns CPU for N milliseconds, then answers
//	GET /crash          exits with status 1 at once
//	GET /sick           makes /healthz fail from now on (the process keeps
//	                    serving everything else)
//
// ERROR_RATE (a number from 0 to 1) makes that share of the requests other
// than /healthz fail with 500: a new version that passes its health checks
// but breaks for users, to watch a traffic shift's gate stop it.
//
// With REDIS_ADDR, ETCD_ENDPOINTS or ZOOKEEPER_SERVERS set (see backends.go)
// the page also counts hits across instances in the cache and lists the
// instances registered in the coordinator.
//
// On SIGTERM it stops accepting connections and lets requests in flight
// finish, as a well-behaved instance behind a draining load balancer does.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"
)

// maxWait bounds /slow and /cpu, so a mistyped request cannot hold an
// instance for ever.
const maxWait = time.Minute

func main() {
	port := flag.String("port", os.Getenv("PORT"), "port to listen on, on 127.0.0.1 (default $PORT)")
	flag.Parse()
	if *port == "" {
		log.Fatal("no port: set PORT or pass -port")
	}
	a := &app{instance: os.Getenv("INSTANCE_ID"), port: *port}
	if v := os.Getenv("ERROR_RATE"); v != "" {
		rate, err := strconv.ParseFloat(v, 64)
		if err != nil || rate < 0 || rate > 1 {
			log.Fatalf("ERROR_RATE must be a number from 0 to 1, not %q", v)
		}
		a.errorRate = rate
	}
	if a.instance == "" {
		a.instance = "app-" + strconv.Itoa(os.Getpid())
	}
	bctx, cancelBackends := context.WithCancel(context.Background())
	defer cancelBackends()
	a.backends = connectBackends(bctx, a.instance, os.Getenv)
	defer a.backends.close()
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", *port))
	if err != nil {
		log.Fatal(err)
	}
	srv := &http.Server{Handler: a.routes(), ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	go func() {
		<-ctx.Done()
		log.Printf("%s: shutting down", a.instance)
		shutdown, cancel := context.WithTimeout(context.Background(), maxWait)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	log.Printf("%s: listening on %s (pid %d)", a.instance, ln.Addr(), os.Getpid())
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Fatal(err)
	}
	<-ctx.Done()
	log.Printf("%s: stopped after %d hits", a.instance, a.hits.Load())
}

// app is one instance.
type app struct {
	instance string
	port     string
	hits     atomic.Int64
	sick     atomic.Bool
	backends *backends
	// errorRate is the share of requests answered with 500.
	errorRate float64
}

func (a *app) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", a.healthz)
	mux.HandleFunc("GET /sick", a.makeSick)
	mux.HandleFunc("GET /slow", a.slow)
	mux.HandleFunc("GET /status/{code}", a.status)
	mux.HandleFunc("GET /cpu", a.cpu)
	mux.HandleFunc("GET /crash", a.crash)
	mux.HandleFunc("/", a.hello)
	if a.errorRate == 0 {
		return mux
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/healthz" && rand.Float64() < a.errorRate {
			http.Error(w, a.instance+" fails this request (ERROR_RATE)", http.StatusInternalServerError)
			return
		}
		mux.ServeHTTP(w, r)
	})
}

func (a *app) healthz(w http.ResponseWriter, _ *http.Request) {
	if a.sick.Load() {
		http.Error(w, "sick", http.StatusServiceUnavailable)
		return
	}
	fmt.Fprintln(w, "ok")
}

func (a *app) makeSick(w http.ResponseWriter, _ *http.Request) {
	a.sick.Store(true)
	log.Printf("%s: /healthz fails from now on", a.instance)
	fmt.Fprintf(w, "%s is sick\n", a.instance)
}

func (a *app) hello(w http.ResponseWriter, r *http.Request) {
	n := a.hits.Add(1)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintf(w, "hello from %s (pid %d, port %s), hit %d\n", a.instance, os.Getpid(), a.port, n)
	if a.backends != nil {
		if s := a.backends.describe(r.Context()); s != "" {
			fmt.Fprintln(w, s)
		}
	}
}

// millis reads the ms query parameter, bounded by maxWait.
func millis(w http.ResponseWriter, r *http.Request) (time.Duration, bool) {
	ms, err := strconv.Atoi(r.URL.Query().Get("ms"))
	if err != nil || ms < 0 {
		http.Error(w, "ms must be a whole number of milliseconds, such as ?ms=250", http.StatusBadRequest)
		return 0, false
	}
	return min(time.Duration(ms)*time.Millisecond, maxWait), true
}

func (a *app) slow(w http.ResponseWriter, r *http.Request) {
	d, ok := millis(w, r)
	if !ok {
		return
	}
	select {
	case <-time.After(d):
	case <-r.Context().Done():
		return
	}
	a.hits.Add(1)
	fmt.Fprintf(w, "slept %d ms on %s\n", d.Milliseconds(), a.instance)
}

func (a *app) status(w http.ResponseWriter, r *http.Request) {
	code, err := strconv.Atoi(r.PathValue("code"))
	if err != nil || code < 200 || code > 599 {
		http.Error(w, "the status must be a number from 200 to 599, such as /status/503", http.StatusBadRequest)
		return
	}
	a.hits.Add(1)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(code)
	fmt.Fprintf(w, "status %d from %s\n", code, a.instance)
}

func (a *app) cpu(w http.ResponseWriter, r *http.Request) {
	d, ok := millis(w, r)
	if !ok {
		return
	}
	deadline := time.Now().Add(d)
	x := uint64(1)
	for time.Now().Before(deadline) && r.Context().Err() == nil {
		for range 10000 {
			x = x*6364136223846793005 + 1442695040888963407
		}
	}
	a.hits.Add(1)
	fmt.Fprintf(w, "burned %d ms of CPU on %s (%d)\n", d.Milliseconds(), a.instance, x%10)
}

func (a *app) crash(http.ResponseWriter, *http.Request) {
	log.Printf("%s: crashing on request", a.instance)
	os.Exit(1)
}
