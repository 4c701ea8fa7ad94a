// Package local runs a stack for real on this machine: a supervisor
// process per environment hosts the load balancers (reverse proxies on
// loopback) and keeps the groups' processes, the caches (redis-server,
// memcached) and the coordination clusters (etcd members, ZooKeeper
// servers) running. The stagecraft command talks to it over a unix socket
// in a directory private to the user, and checks that the supervisor runs
// as the same user before it sends anything.
package local

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os/exec"
	"strings"
	"sync"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"

	"github.com/stagecraft/stagecraft/providers"
	"github.com/stagecraft/stagecraft/providers/kinds"
	"github.com/stagecraft/stagecraft/providers/local/supervisor"
	"github.com/stagecraft/stagecraft/providers/schema"
)

// Name is the provider's name in stack files.
const Name = supervisor.Provider

// provider is the CLI side: it finds or starts the supervisor and forwards
// every operation to it.
type provider struct {
	// command builds the command that runs a supervisor for a directory
	// on a socket.
	command func(dir, socket string) *exec.Cmd

	mu     sync.Mutex
	ws     providers.WorkspaceInfo
	client *client
	kinds  map[string]*kind
}

// New returns the local provider. command says how to run a supervisor
// (SupervisorCommand of the stagecraft binary).
func New(command func(dir, socket string) *exec.Cmd) providers.Provider {
	p := &provider{command: command, kinds: map[string]*kind{}}
	for _, k := range kinds.Names() {
		s, _ := kinds.Schema(k)
		p.kinds[k] = &kind{p: p, name: k, schema: s.ForProvider(Name)}
	}
	return p
}

func (p *provider) Name() string { return Name }

// SetWorkspace says where the stack and its .stagecraft directory are.
func (p *provider) SetWorkspace(ws providers.WorkspaceInfo) {
	p.mu.Lock()
	p.ws = ws
	p.mu.Unlock()
}

func (p *provider) paths() supervisor.Paths {
	return supervisor.NewPaths(p.ws.DataDir, p.ws.Environment)
}

// Configure accepts an empty provider block: the local provider has no
// settings yet.
func (p *provider) Configure(_ context.Context, config cty.Value) hcl.Diagnostics {
	if supervisor.ErrPlatform != nil {
		msg := supervisor.ErrPlatform.Error()
		return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Unsupported system", Detail: strings.ToUpper(msg[:1]) + msg[1:] + "."}}
	}
	var diags hcl.Diagnostics
	if config != cty.NilVal && !config.IsNull() && config.Type().IsObjectType() {
		for name := range config.Type().AttributeTypes() {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Unsupported argument",
				Detail: fmt.Sprintf("The local provider has no setting %q; its provider block takes no arguments (provider \"local\" {}).", name)})
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ws.DataDir == "" || p.ws.Environment == "" {
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "No stack directory for the local provider",
			Detail: "The local provider keeps its processes' files under the stack's .stagecraft directory, but none was given."})
	}
	return diags
}

func (p *provider) Kind(name string) (providers.ResourceKind, bool) {
	k, ok := p.kinds[name]
	return k, ok
}

// kind implements one resource kind by calling the supervisor.
type kind struct {
	p      *provider
	name   string
	schema *schema.Schema
}

func (k *kind) Schema() *schema.Schema { return k.schema }

// named prefixes the supervisor's error with the address of r, unless it
// is an operation error about r already (the supervisor said so).
func named(r providers.Ref, err error) error {
	var oe *providers.OperationError
	if errors.As(err, &oe) && oe.Address == r.Address {
		return err
	}
	return r.Errorf("", "%w", err)
}

func (k *kind) decode(r supervisor.Resource) (cty.Value, error) {
	return ctyjson.Unmarshal(r.Actual, k.schema.ImpliedType())
}

func (k *kind) request(r providers.Ref, desired cty.Value) (supervisor.ResourceRequest, error) {
	desired, _ = desired.UnmarkDeep()
	js, err := ctyjson.Marshal(desired, k.schema.ImpliedType())
	if err != nil {
		return supervisor.ResourceRequest{}, r.Errorf("", "%w", err)
	}
	return supervisor.ResourceRequest{Address: r.Address, Kind: k.name, Tags: r.Tags(), StackDir: k.p.ws.Dir, Desired: js}, nil
}

func (k *kind) Read(ctx context.Context, r providers.Ref) (cty.Value, bool, error) {
	c, found, err := k.p.connect(ctx, false)
	if err != nil {
		return cty.NilVal, false, r.Errorf("read", "%w", err)
	}
	if !found || r.ID == "" {
		// No supervisor: nothing of this environment runs.
		return cty.NilVal, false, nil
	}
	var res supervisor.Resource
	err = providers.Retry(ctx, providers.DefaultRetryPolicy(), func(ctx context.Context) error {
		return c.do(ctx, http.MethodGet, "/v1/resources/"+url.PathEscape(r.ID), nil, &res)
	})
	if errors.Is(err, errNotFound) {
		return cty.NilVal, false, nil
	}
	if err != nil {
		return cty.NilVal, false, r.Errorf("read", "%w", err)
	}
	v, err := k.decode(res)
	if err != nil {
		return cty.NilVal, false, r.Errorf("read", "%w", err)
	}
	return v, true, nil
}

func (k *kind) ReadMany(ctx context.Context, refs []providers.Ref) ([]providers.ReadResult, error) {
	out := make([]providers.ReadResult, len(refs))
	c, found, err := k.p.connect(ctx, false)
	if err != nil {
		return nil, err
	}
	if !found {
		return out, nil
	}
	var ids []string
	for _, r := range refs {
		if r.ID != "" {
			ids = append(ids, r.ID)
		}
	}
	var list []supervisor.Resource
	err = providers.Retry(ctx, providers.DefaultRetryPolicy(), func(ctx context.Context) error {
		return c.do(ctx, http.MethodGet, "/v1/resources?ids="+url.QueryEscape(strings.Join(ids, ",")), nil, &list)
	})
	if err != nil {
		return nil, err
	}
	byID := map[string]supervisor.Resource{}
	for _, r := range list {
		byID[r.ID] = r
	}
	for i, r := range refs {
		res, ok := byID[r.ID]
		if !ok {
			continue
		}
		v, err := k.decode(res)
		if err != nil {
			out[i].Err = r.Errorf("read", "%w", err)
			continue
		}
		out[i] = providers.ReadResult{Actual: v, Exists: true}
	}
	return out, nil
}

func (k *kind) Create(ctx context.Context, r providers.Ref, desired cty.Value) (cty.Value, error) {
	req, err := k.request(r, desired)
	if err != nil {
		return cty.NilVal, err
	}
	c, _, err := k.p.connect(ctx, true)
	if err != nil {
		return cty.NilVal, r.Errorf("create", "%w", err)
	}
	var res supervisor.Resource
	if err := c.do(ctx, http.MethodPost, "/v1/resources", req, &res); err != nil {
		return cty.NilVal, named(r, err)
	}
	return k.decode(res)
}

func (k *kind) Update(ctx context.Context, r providers.Ref, _, desired cty.Value) (cty.Value, error) {
	req, err := k.request(r, desired)
	if err != nil {
		return cty.NilVal, err
	}
	c, found, err := k.p.connect(ctx, false)
	if err != nil {
		return cty.NilVal, r.Errorf("", "%w", err)
	}
	if !found {
		return cty.NilVal, r.Errorf("", "the local supervisor is not running, so the resource is gone; run plan again to create it")
	}
	var res supervisor.Resource
	err = c.do(ctx, http.MethodPut, "/v1/resources/"+url.PathEscape(r.ID), req, &res)
	if errors.Is(err, errNotFound) {
		return cty.NilVal, r.Sentencef("update", "%s no longer runs; run plan again to create it", r.Address)
	}
	if err != nil {
		return cty.NilVal, named(r, err)
	}
	return k.decode(res)
}

func (k *kind) Delete(ctx context.Context, r providers.Ref, _ cty.Value) error {
	c, found, err := k.p.connect(ctx, false)
	if err != nil {
		return r.Errorf("", "%w", err)
	}
	if !found {
		// A supervisor that was killed may have left processes behind.
		if err := k.p.stopLeftovers(); err != nil {
			return r.Errorf("", "%w", err)
		}
		return nil
	}
	if r.ID == "" {
		return nil
	}
	err = c.do(ctx, http.MethodDelete, "/v1/resources/"+url.PathEscape(r.ID), nil, nil)
	if err != nil && !errors.Is(err, errNotFound) {
		return r.Errorf("", "%w", err)
	}
	return nil
}

// Discover lists the resources the supervisor runs for this stack and
// environment.
func (k *kind) Discover(ctx context.Context, stack, environment string) ([]providers.Discovered, error) {
	c, found, err := k.p.connect(ctx, false)
	if err != nil || !found {
		return nil, err
	}
	var list []supervisor.Resource
	if err := c.do(ctx, http.MethodGet, "/v1/resources", nil, &list); err != nil {
		return nil, err
	}
	var out []providers.Discovered
	for _, r := range list {
		if r.Kind != k.name || r.Tags[providers.TagStack] != stack || r.Tags[providers.TagEnvironment] != environment {
			continue
		}
		v, err := k.decode(r)
		if err != nil {
			return nil, err
		}
		out = append(out, providers.Discovered{Ref: providers.Ref{Address: r.Address, Kind: r.Kind, ID: r.ID, Stack: stack, Environment: environment}, Actual: v})
	}
	return out, nil
}

// GateSignals says what a gate measures through Observe: health, and for
// an HTTP load balancer the 5xx answers it counts per target.
func (k *kind) GateSignals(config cty.Value) []string {
	if k.name != kinds.LoadBalancer || !kinds.SeesStatusCodes(config) {
		return []string{providers.SignalHealth}
	}
	return []string{providers.SignalHealth, providers.Signal5xx}
}

// Observe reports a resource's health and traffic.
func (k *kind) Observe(ctx context.Context, r providers.Ref, _ cty.Value) (providers.Observation, error) {
	c, found, err := k.p.connect(ctx, false)
	if err != nil {
		return providers.Observation{}, err
	}
	if !found {
		return providers.Observation{Healthy: false, Detail: "the local supervisor is not running"}, nil
	}
	var obs providers.Observation
	err = c.do(ctx, http.MethodGet, "/v1/resources/"+url.PathEscape(r.ID)+"/observe", nil, &obs)
	if errors.Is(err, errNotFound) {
		return providers.Observation{Healthy: false, Detail: r.Address + " does not run"}, nil
	}
	return obs, err
}
