// Package sim is a simulated cloud: a provider that keeps resources in memory
// (and, when asked, in a file) and behaves like a remote API, with settable
// latency, a rate limit, injected transient errors and injected failures per
// address. Planner tests use it as the real thing, and scale benchmarks use
// it to measure the engine without a cloud's noise.
//
// # Settings
//
// The provider block takes these attributes, all optional:
//
//	path       = ".stagecraft/sim.jsonl"  # the journal file; "" keeps the cloud in memory
//	latency    = "100ms"                  # added to every call; default 0
//	rate_limit = 50                       # calls/s across the provider; 0 (default): no limit
//	error_rate = 0.01                     # probability of a transient error per call; default 0
//	seed       = 1                        # seeds error_rate; default 1
//	fail       = { "cache.sessions" = "create" }  # create, update, delete or read always fails
//	unhealthy  = ["autoscaling_group.app"]        # addresses Observe reports unhealthy
//
// A call over the rate limit fails with the retryable "sim: throttled (rate
// limit N calls/s)", an injected transient error with the retryable "sim:
// transient error (injected)"; both are retried inside the provider and
// reach the caller only when the retries run out. A fail entry gives the
// non-retryable "sim: injected failure for ADDRESS on OPERATION".
//
// # Observation
//
// Every kind is an Observer. The simulated cloud carries no traffic: every
// request, error and latency figure is zero, and everything is healthy
// except the addresses listed in unhealthy (see kind.Observe for targets).
//
// # Persistence
//
// The cloud lives in a JSON-lines file so that a second process (a re-run
// CLI) finds what the first one made: the path setting, or, without one,
// .stagecraft/sim/ENVIRONMENT.jsonl in the stack directory; path = "" (and
// a provider made without a workspace, as tests and benchmarks do) keeps
// it in memory. The file is private (0600, see package localfile) because
// it holds every attribute in the clear, sensitive ones included, and must
// be a regular file. It is an append-only journal: every mutating call
// appends one line ("put" with the resource's full value, or "delete")
// with a single write, without fsync, because this is a simulation and a
// rewrite of the whole cloud per call would make an apply of n resources
// cost O(n²). Configure replays the journal and, when it has grown to more
// than twice the live resources (or ends in a torn line), compacts it: it
// writes a snapshot to a temporary file in the same directory and renames
// it over the journal. Each instance reads the file only in Configure; one
// live writer per path is assumed, the way a state lock gives one CLI run
// per environment (the CLI configures the provider only under that lock).
// The provider keeps the journal open and implements io.Closer for
// processes that configure many providers.
//
// # Calls
//
// Every operation is one simulated API call made through a single helper,
// which applies latency (honouring cancellation), the rate limit (a token
// bucket across the provider), injected transient errors (seeded, so a
// sequential run is reproducible) and retries retryable errors with
// providers.Retry. Configuration is validated against the kind's schema
// before the call, the way a cloud rejects a malformed request.
package sim

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/stagecraft/stagecraft/providers"
	"github.com/stagecraft/stagecraft/providers/kinds"
	"github.com/stagecraft/stagecraft/state/localfile"
)

// Name is the provider's name in stack files.
const Name = "sim"

// provider is the sim provider. Its settings and its cloud are replaced as
// a whole by Configure and read through an atomic pointer, so calls in
// flight never see half a configuration.
type provider struct {
	// retry is how the call helper retries transient errors; tests set a
	// fast policy.
	retry providers.RetryPolicy
	kinds map[string]*kind
	cur   atomic.Pointer[session]
	// configureMu serialises Configure and Close.
	configureMu sync.Mutex
	// ws is the workspace: its stack directory is what a relative path
	// is resolved against, and without a path setting the cloud persists
	// in its data directory.
	ws providers.WorkspaceInfo
}

// New returns an unconfigured sim provider. Until Configure is called it
// behaves as if configured with an empty object: an in-memory cloud with no
// latency, limits or injected errors.
func New() providers.Provider {
	return newProvider()
}

func newProvider() *provider {
	p := &provider{
		retry: providers.DefaultRetryPolicy(),
		kinds: make(map[string]*kind),
	}
	for _, name := range kinds.Names() {
		p.kinds[name] = newKind(p, name)
	}
	p.cur.Store(newSession(defaultSettings(), newCloud(nil)))
	return p
}

// SetWorkspace makes a relative path setting relative to the stack
// directory, and a block without path persist the cloud under the data
// directory.
func (p *provider) SetWorkspace(ws providers.WorkspaceInfo) {
	p.configureMu.Lock()
	p.ws = ws
	p.configureMu.Unlock()
}

// cloudPath is the journal file the settings ask for, "" for a cloud in
// memory: the path setting (relative to the stack directory), or, without
// one, DATADIR/sim/ENVIRONMENT.jsonl in the workspace, so that a bare
// provider "sim" {} keeps its cloud from one command to the next. Without
// a workspace (a provider made in a test or benchmark) it is "".
func (p *provider) cloudPath(s settings) (string, error) {
	p.configureMu.Lock()
	ws := p.ws
	p.configureMu.Unlock()
	switch {
	case s.pathSet && s.path != "" && !filepath.IsAbs(s.path) && ws.Dir != "":
		return filepath.Join(ws.Dir, s.path), nil
	case s.pathSet:
		return s.path, nil
	case ws.DataDir == "" || ws.Environment == "":
		return "", nil
	}
	dir := filepath.Join(ws.DataDir, "sim")
	if err := localfile.MkdirAll(dir); err != nil {
		return "", err
	}
	return filepath.Join(dir, ws.Environment+".jsonl"), nil
}

// Name returns "sim".
func (p *provider) Name() string { return Name }

// Configure applies the provider block's settings and loads the cloud: from
// the journal at path when one is set, otherwise a fresh, empty in-memory
// cloud. Calling it again starts over with the new settings.
func (p *provider) Configure(ctx context.Context, config cty.Value) hcl.Diagnostics {
	s, diags := decodeSettings(config)
	if diags.HasErrors() {
		return diags
	}
	types := make(map[string]cty.Type, len(p.kinds))
	for name, k := range p.kinds {
		types[name] = k.ty
	}
	c := newCloud(types)
	path, err := p.cloudPath(s)
	if err != nil {
		return append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Cannot create the sim cloud directory",
			Detail:   fmt.Sprintf("The sim provider keeps its cloud under %s: %s. Make the directory writable, or set path = \"\" to keep the cloud in memory.", p.ws.DataDir, err),
		})
	}
	s.path = path
	if s.path != "" {
		if err := c.open(s.path); err != nil {
			detail := fmt.Sprintf("The sim provider cannot load its cloud from %q: %s. Point path at a writable file (it is created when missing), or set path = \"\" to keep the cloud in memory.", s.path, err)
			if nr := (*localfile.NotRegularError)(nil); errors.As(err, &nr) {
				detail = fmt.Sprintf("The sim provider keeps its cloud in a regular file, but %q is %s; point path at a file (it is created when missing), or set path = \"\" to keep the cloud in memory.", s.path, nr.What)
			}
			return append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Cannot open the sim cloud file",
				Detail:   detail,
			})
		}
	}
	p.configureMu.Lock()
	defer p.configureMu.Unlock()
	old := p.cur.Swap(newSession(s, c))
	if err := old.cloud.close(); err != nil {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagWarning,
			Summary:  "Cannot close the previous sim cloud file",
			Detail:   err.Error(),
		})
	}
	return diags
}

// Close releases the journal file of a provider configured with a path.
// The planner does not need it (the process exits); long-lived test
// processes that configure many providers call it through io.Closer.
func (p *provider) Close() error {
	p.configureMu.Lock()
	defer p.configureMu.Unlock()
	return p.cur.Load().cloud.close()
}

// Kind returns one of the five resource kinds.
func (p *provider) Kind(name string) (providers.ResourceKind, bool) {
	k, ok := p.kinds[name]
	if !ok {
		return nil, false
	}
	return k, true
}

func (p *provider) session() *session { return p.cur.Load() }
