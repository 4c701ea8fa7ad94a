// Package supervisor is the long-lived process of one local environment
// and what its units share: the Unit interface every kind implements, the
// environment a unit runs in (file paths, the log, the other units), child
// processes in their own process groups, loopback ports, and the HTTP API
// on a unix socket that the local provider's CLI side calls. It knows no
// kind: the units are built by the constructors it is given.
package supervisor

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gofrs/flock"
	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"

	"github.com/stagecraft/stagecraft/providers"
	"github.com/stagecraft/stagecraft/providers/kinds"
)

// idleExit is how long a supervisor with nothing left to run waits for new
// work before it exits (after destroy).
const idleExit = 2 * time.Second

// supervisor is the long-lived process of one environment: it runs every
// resource of the local provider and answers the CLI over a unix socket.
type supervisor struct {
	paths    Paths
	instance string
	// dirID is the identity of paths.Dir when the supervisor started.
	dirID  string
	logger *log.Logger

	// builders make the units, by kind.
	builders map[string]NewUnit

	mu    sync.Mutex
	units map[string]*managed // by id
	// idle fires when the last resource is gone.
	idle *time.Timer
	quit chan struct{}
	once sync.Once
}

// managed is one resource and the lock that serialises work on it.
type managed struct {
	mu      sync.Mutex
	id      string
	address string
	kind    string
	tags    map[string]string
	unit    Unit
	env     *Env
	ready   bool
}

// dirWatch is how often the supervisor checks that its directory is
// still there: when the stack directory or .stagecraft is removed, it
// stops everything and exits.
const dirWatch = time.Second

// haltBound bounds how long the units get to halt when the supervisor
// stops; whatever still runs after it is killed.
const haltBound = 20 * time.Second

// Run runs the supervisor of the environment whose files are in dir
// (.stagecraft/local/ENV) on the unix socket socket ("" chooses it, see
// ChooseSocket) until ctx ends, it has nothing left to run or dir is
// removed, building each resource's unit with the builder of its kind.
// The stagecraft binary runs it through a hidden command, with the
// minimal environment of BaseEnv.
func Run(ctx context.Context, dir, socket string, builders map[string]NewUnit) error {
	if ErrPlatform != nil {
		return ErrPlatform
	}
	setPrivateUmask()
	paths := Paths{Dir: dir}
	if err := paths.Prepare(); err != nil {
		return err
	}
	logger := log.New(os.Stderr, "supervisor: ", log.LstdFlags)
	// One supervisor per directory, held for its whole life.
	lock, ok, err := tryRunLock(paths)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("another supervisor already runs for %s", dir)
	}
	defer lock.Unlock()
	if n := sweepRegistry(paths.Procs(), logger.Printf); n > 0 {
		logger.Printf("stopped %d process groups an earlier supervisor left running", n)
	}
	reg, err := installRegistry(paths.Procs())
	if err != nil {
		return err
	}
	if socket == "" {
		if socket, err = ChooseSocket(paths, os.Getenv); err != nil {
			return err
		}
	}
	s := &supervisor{
		paths:    paths,
		instance: RandomID(8),
		dirID:    DirIdentity(dir),
		logger:   logger,
		builders: builders,
		units:    map[string]*managed{},
		quit:     make(chan struct{}),
	}
	_ = os.Remove(socket)
	ln, err := ListenSupervisor(socket, logger.Printf)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", socket, err)
	}
	defer os.Remove(socket)
	if err := os.WriteFile(paths.PID(), []byte(strconv.Itoa(os.Getpid())+"\n"), 0o600); err != nil {
		return err
	}
	defer os.Remove(paths.PID())
	if err := os.WriteFile(paths.SocketRecord(), []byte(socket+"\n"), 0o600); err != nil {
		return err
	}
	defer os.Remove(paths.SocketRecord())
	srv := &http.Server{Handler: s.routes(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	logger.Printf("started (pid %d, instance %s) on %s", os.Getpid(), s.instance, socket)
	s.armIdle()
	gone := s.watchDir(ctx)
	select {
	case <-ctx.Done():
		logger.Printf("stopping: %v", ctx.Err())
	case <-s.quit:
		logger.Printf("stopping: nothing left to run")
	case <-gone:
		logger.Printf("stopping: %s was removed", dir)
		// No new request reaches a supervisor whose files are gone.
		_ = ln.Close()
	}
	shutdown, cancel := context.WithTimeout(context.Background(), haltBound)
	defer cancel()
	_ = srv.Shutdown(shutdown)
	s.haltAll(shutdown)
	if n := reg.killAll(); n > 0 {
		logger.Printf("killed %d process groups that did not stop", n)
	}
	return nil
}

// watchDir returns a channel closed once the supervisor's directory is
// removed or replaced by another one.
func (s *supervisor) watchDir(ctx context.Context) <-chan struct{} {
	gone := make(chan struct{})
	go func() {
		t := time.NewTicker(dirWatch)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-s.quit:
				return
			case <-t.C:
				if DirIdentity(s.paths.Dir) != s.dirID {
					close(gone)
					return
				}
			}
		}
	}()
	return gone
}

// tryRunLock takes the lock a running supervisor holds, without waiting.
func tryRunLock(p Paths) (*flock.Flock, bool, error) {
	l := flock.New(p.RunLock(), flock.SetPermissions(0o600))
	ok, err := l.TryLock()
	if err != nil {
		return nil, false, fmt.Errorf("lock %s: %w", p.RunLock(), err)
	}
	return l, ok, nil
}

// RandomID is n hex digits from crypto/rand: resource ids, and the
// tokens and secrets of clusters.
func RandomID(n int) string {
	b := make([]byte, n/2)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// armIdle starts the idle countdown when nothing runs.
func (s *supervisor) armIdle() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.units) > 0 {
		if s.idle != nil {
			s.idle.Stop()
			s.idle = nil
		}
		return
	}
	if s.idle == nil {
		s.idle = time.AfterFunc(idleExit, func() {
			s.mu.Lock()
			empty := len(s.units) == 0
			s.mu.Unlock()
			if empty {
				s.once.Do(func() { close(s.quit) })
			}
		})
	}
}

// haltAll stops every unit's processes, keeping their data.
func (s *supervisor) haltAll(ctx context.Context) {
	s.mu.Lock()
	all := make([]*managed, 0, len(s.units))
	for _, m := range s.units {
		all = append(all, m)
	}
	s.mu.Unlock()
	// Load balancers first, so no traffic reaches stopping groups; then
	// groups; then what they use.
	order := map[string]int{kinds.LoadBalancer: 0, kinds.AutoscalingGroup: 1, kinds.Cache: 2, kinds.Coordinator: 2, kinds.Network: 3}
	sort.Slice(all, func(i, j int) bool { return order[all[i].kind] < order[all[j].kind] })
	for _, m := range all {
		m.mu.Lock()
		if err := m.unit.Halt(ctx); err != nil {
			s.logger.Printf("halt %s: %v", m.address, err)
		}
		m.mu.Unlock()
	}
}

func (s *supervisor) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/hello", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, Hello{API: APIVersion, Instance: s.instance, PID: os.Getpid(), Dir: s.paths.Dir, DirID: s.dirID})
	})
	mux.HandleFunc("POST /v1/resources", s.handleCreate)
	mux.HandleFunc("GET /v1/resources", s.handleList)
	mux.HandleFunc("GET /v1/resources/{id}", s.handleRead)
	mux.HandleFunc("PUT /v1/resources/{id}", s.handleUpdate)
	mux.HandleFunc("DELETE /v1/resources/{id}", s.handleDelete)
	mux.HandleFunc("GET /v1/resources/{id}/observe", s.handleObserve)
	mux.HandleFunc("GET /_stagecraft/metrics", s.handleMetrics)
	return mux
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, code int, err error) {
	var re *providers.RetryableError
	ae := APIError{Error: err.Error(), Retryable: errors.As(err, &re)}
	if oe := (*providers.OperationError)(nil); errors.As(err, &oe) {
		ae.Address = oe.Address
	}
	writeJSON(w, code, ae)
}

// kindType is the value type of a kind for this provider.
func kindType(kind string) (cty.Type, bool) {
	s, ok := kinds.Schema(kind)
	if !ok {
		return cty.NilType, false
	}
	return s.ForProvider(Provider).ImpliedType(), true
}

func (s *supervisor) encode(m *managed, v cty.Value) (Resource, error) {
	ty, _ := kindType(m.kind)
	js, err := ctyjson.Marshal(v, ty)
	if err != nil {
		return Resource{}, err
	}
	return Resource{ID: m.id, Address: m.address, Kind: m.kind, Tags: m.tags, Actual: js}, nil
}

var kindPrefix = map[string]string{
	kinds.Network: "net", kinds.LoadBalancer: "lb", kinds.Cache: "cache",
	kinds.Coordinator: "coord", kinds.AutoscalingGroup: "asg",
}

func (s *supervisor) handleCreate(w http.ResponseWriter, r *http.Request) {
	var req ResourceRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, fmt.Errorf("bad request: %w", err))
		return
	}
	ty, ok := kindType(req.Kind)
	newUnit, built := s.builders[req.Kind]
	if !ok || !built {
		writeError(w, http.StatusBadRequest, fmt.Errorf("unknown kind %q", req.Kind))
		return
	}
	cfg, err := ctyjson.Unmarshal(req.Desired, ty)
	if err != nil {
		writeError(w, http.StatusBadRequest, fmt.Errorf("bad configuration: %w", err))
		return
	}
	id := kindPrefix[req.Kind] + "-" + RandomID(8)
	env := &Env{sup: s, Paths: s.paths, StackDir: req.StackDir}
	u := newUnit(env, id, req.Address)
	m := &managed{id: id, address: req.Address, kind: req.Kind, tags: req.Tags, unit: u, env: env}
	m.mu.Lock()
	defer m.mu.Unlock()
	s.mu.Lock()
	s.units[id] = m
	s.mu.Unlock()
	s.armIdle()
	actual, err := u.Apply(r.Context(), cfg)
	if err != nil {
		// A unit that failed to start is stopped and forgotten: nothing
		// of it is left running.
		stopCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		_ = u.Stop(stopCtx)
		cancel()
		s.mu.Lock()
		delete(s.units, id)
		s.mu.Unlock()
		s.armIdle()
		writeError(w, http.StatusUnprocessableEntity, err)
		return
	}
	s.mu.Lock()
	m.ready = true
	s.mu.Unlock()
	res, err := s.encode(m, actual)
	if err != nil {
		writeError(w, http.StatusInternalServerError, err)
		return
	}
	writeJSON(w, http.StatusCreated, res)
}

func (s *supervisor) lookup(w http.ResponseWriter, r *http.Request) (*managed, bool) {
	s.mu.Lock()
	m, ok := s.units[r.PathValue("id")]
	s.mu.Unlock()
	if !ok {
		writeError(w, http.StatusNotFound, fmt.Errorf("no resource %s", r.PathValue("id")))
	}
	return m, ok
}

func (s *supervisor) handleRead(w http.ResponseWriter, r *http.Request) {
	m, ok := s.lookup(w, r)
	if !ok {
		return
	}
	m.mu.Lock()
	v := m.unit.Current()
	m.mu.Unlock()
	res, err := s.encode(m, v)
	if err != nil {
		writeError(w, http.StatusInternalServerError, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

func (s *supervisor) handleList(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	all := make([]*managed, 0, len(s.units))
	for _, m := range s.units {
		if m.ready {
			all = append(all, m)
		}
	}
	s.mu.Unlock()
	sort.Slice(all, func(i, j int) bool { return all[i].id < all[j].id })
	ids := map[string]bool{}
	if q := r.URL.Query().Get("ids"); q != "" {
		for _, id := range strings.Split(q, ",") {
			ids[id] = true
		}
	}
	out := []Resource{}
	for _, m := range all {
		if len(ids) > 0 && !ids[m.id] {
			continue
		}
		m.mu.Lock()
		v := m.unit.Current()
		m.mu.Unlock()
		res, err := s.encode(m, v)
		if err != nil {
			writeError(w, http.StatusInternalServerError, err)
			return
		}
		out = append(out, res)
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *supervisor) handleUpdate(w http.ResponseWriter, r *http.Request) {
	m, ok := s.lookup(w, r)
	if !ok {
		return
	}
	var req ResourceRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, fmt.Errorf("bad request: %w", err))
		return
	}
	ty, _ := kindType(m.kind)
	cfg, err := ctyjson.Unmarshal(req.Desired, ty)
	if err != nil {
		writeError(w, http.StatusBadRequest, fmt.Errorf("bad configuration: %w", err))
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if req.StackDir != "" {
		m.env.StackDir = req.StackDir
	}
	actual, err := m.unit.Apply(r.Context(), cfg)
	if err != nil {
		writeError(w, http.StatusUnprocessableEntity, err)
		return
	}
	res, err := s.encode(m, actual)
	if err != nil {
		writeError(w, http.StatusInternalServerError, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

func (s *supervisor) handleDelete(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	m, ok := s.units[r.PathValue("id")]
	s.mu.Unlock()
	if !ok {
		w.WriteHeader(http.StatusNoContent) // already gone
		return
	}
	m.mu.Lock()
	err := m.unit.Stop(r.Context())
	m.mu.Unlock()
	s.mu.Lock()
	delete(s.units, m.id)
	s.mu.Unlock()
	s.armIdle()
	if err != nil {
		writeError(w, http.StatusInternalServerError, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *supervisor) handleObserve(w http.ResponseWriter, r *http.Request) {
	m, ok := s.lookup(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	ready := m.ready
	s.mu.Unlock()
	if !ready {
		writeJSON(w, http.StatusOK, providers.Observation{Healthy: false, Detail: m.address + " is still starting"})
		return
	}
	writeJSON(w, http.StatusOK, m.unit.Observe(r.Context()))
}

// handleMetrics reports every resource's observation, by address.
func (s *supervisor) handleMetrics(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	all := make([]*managed, 0, len(s.units))
	for _, m := range s.units {
		if m.ready {
			all = append(all, m)
		}
	}
	s.mu.Unlock()
	out := map[string]providers.Observation{}
	for _, m := range all {
		out[m.address] = m.unit.Observe(r.Context())
	}
	writeJSON(w, http.StatusOK, out)
}

// DataDir is the data directory of a resource, by address (stable across
// supervisor restarts, unlike ids).
func (e *Env) DataDir(address string) string {
	return filepath.Join(e.Paths.Data(), sanitize(address))
}

// LogPath is a log file of a resource.
func (e *Env) LogPath(address, name string) string {
	return filepath.Join(e.Paths.Logs(), sanitize(address), name+".log")
}

// sanitize turns an address into a file name.
func sanitize(s string) string {
	r := strings.NewReplacer("/", "_", "\"", "", "[", "_", "]", "", " ", "_")
	return r.Replace(s)
}
