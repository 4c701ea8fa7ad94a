// Package aws runs a stack on AWS through aws-sdk-go-v2: networks as VPCs,
// load balancers as ALBs or NLBs with weighted target groups, caches as
// ElastiCache, coordinators and groups as launch templates with Auto
// Scaling groups. Every call honours endpoint_url, so the whole provider is
// tested against moto_server.
package aws

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/stagecraft/stagecraft/providers"
	"github.com/stagecraft/stagecraft/providers/kinds"
	"github.com/stagecraft/stagecraft/providers/schema"
)

// Name is the provider's name in stack files.
const Name = "aws"

// provider holds the configured clients and the kinds.
type provider struct {
	mu       sync.Mutex
	settings settings
	clients  *clients
	kinds    map[string]providers.ResourceKind
	// configured is when Configure ran: the traffic figures a load
	// balancer reports from CloudWatch count from then on.
	configured time.Time
}

// New returns an unconfigured aws provider.
func New() providers.Provider {
	return &provider{}
}

func (p *provider) Name() string { return Name }

// Configure reads the provider block and builds the service clients. It
// does not call AWS: credentials are checked by the first call, whose error
// then names the problem.
func (p *provider) Configure(ctx context.Context, config cty.Value) hcl.Diagnostics {
	s, diags := decodeSettings(config)
	if diags.HasErrors() {
		return diags
	}
	c, err := newClients(ctx, s)
	if err != nil {
		return append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Cannot configure the aws provider",
			Detail: fmt.Sprintf("Loading the AWS configuration failed: %s. Check region, profile and assume_role, and the credentials in the environment or ~/.aws.", err)})
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.settings, p.clients, p.configured = s, c, time.Now()
	p.kinds = map[string]providers.ResourceKind{}
	for _, name := range kinds.Names() {
		schema, _ := kinds.Schema(name)
		base := &kindBase{p: p, kind: name, schema: schema.ForProvider(Name)}
		p.kinds[name] = newKind(base)
	}
	return diags
}

func (p *provider) Kind(name string) (providers.ResourceKind, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.kinds == nil {
		// Unconfigured: schemas only, every call fails clearly.
		schema, ok := kinds.Schema(name)
		if !ok {
			return nil, false
		}
		return &kindBase{p: p, kind: name, schema: schema.ForProvider(Name)}, true
	}
	k, ok := p.kinds[name]
	return k, ok
}

// kindBase carries what every kind shares; kinds embed it.
type kindBase struct {
	p      *provider
	kind   string
	schema *schema.Schema
}

func (k *kindBase) Schema() *schema.Schema { return k.schema }

func (k *kindBase) notConfigured() error {
	return fmt.Errorf("the aws provider is not configured")
}

func (k *kindBase) Read(context.Context, providers.Ref) (cty.Value, bool, error) {
	return cty.NilVal, false, k.notConfigured()
}
func (k *kindBase) Create(context.Context, providers.Ref, cty.Value) (cty.Value, error) {
	return cty.NilVal, k.notConfigured()
}
func (k *kindBase) Update(context.Context, providers.Ref, cty.Value, cty.Value) (cty.Value, error) {
	return cty.NilVal, k.notConfigured()
}
func (k *kindBase) Delete(context.Context, providers.Ref, cty.Value) error { return k.notConfigured() }

// newKind builds the implementation of a kind. Each kind lives in its own
// file.
func newKind(b *kindBase) providers.ResourceKind {
	switch b.kind {
	case kinds.Network:
		return &networkKind{kindBase: b}
	case kinds.LoadBalancer:
		return &loadBalancerKind{kindBase: b}
	case kinds.AutoscalingGroup:
		return &groupKind{kindBase: b}
	case kinds.Cache:
		return &cacheKind{kindBase: b}
	case kinds.Coordinator:
		return &coordinatorKind{kindBase: b}
	}
	return b
}

// tags are the tags a resource gets: the provider's default_tags, then
// Stagecraft's own (which win).
func (k *kindBase) tags(r providers.Ref) map[string]string {
	out := map[string]string{}
	for key, v := range k.p.settings.DefaultTags {
		out[key] = v
	}
	for key, v := range r.Tags() {
		out[key] = v
	}
	return out
}

// sortedTagKeys orders tag keys, for stable requests.
func sortedTagKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// deadline bounds one wait with the configured timeout.
func (p *provider) waitTimeout() time.Duration { return p.settings.WaitTimeout }
