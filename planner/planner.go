// Package planner turns a desired resource set and what actually exists
// into a plan, and carries plans out: refresh, diff, plan, and a parallel,
// crash-safe apply.
package planner

import (
	"fmt"
	"sync"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/stagecraft/stagecraft/providers"
	"github.com/stagecraft/stagecraft/stacks"
)

// DefaultParallelism bounds how many provider operations run at once.
const DefaultParallelism = 10

// Evaluator produces the desired set given the actual values of existing
// resources (by address); it is the stack language's Evaluate with the
// environment, stage and variables fixed, passing reuse on as
// Request.Reuse (nil: evaluate everything).
type Evaluator func(known map[string]cty.Value, reuse *stacks.Reuse) (*stacks.DesiredSet, hcl.Diagnostics)

// Planner plans and applies one environment through one configured
// provider.
type Planner struct {
	// Provider is configured already; ProviderName is what the state
	// records.
	Provider     providers.Provider
	ProviderName string
	// Stack and Environment name the owner, for provider tags.
	Stack       string
	Environment string
	// Evaluate produces the desired set.
	Evaluate Evaluator
	// Parallelism bounds concurrent provider calls (DefaultParallelism
	// when 0).
	Parallelism int

	// types holds the kinds' implied types (see impliedType).
	types sync.Map
}

func (p *Planner) parallelism() int {
	if p.Parallelism > 0 {
		return p.Parallelism
	}
	return DefaultParallelism
}

// kind returns the provider's implementation of a kind.
func (p *Planner) kind(kind string) (providers.ResourceKind, error) {
	k, ok := p.Provider.Kind(kind)
	if !ok {
		return nil, fmt.Errorf("provider %q does not support %s resources; use another provider for this environment or remove them", p.ProviderName, kind)
	}
	return k, nil
}

func (p *Planner) ref(addr, kind, id string) providers.Ref {
	return providers.Ref{Address: addr, Kind: kind, ID: id, Stack: p.Stack, Environment: p.Environment}
}

// DiagnosticsError carries diagnostics from the stack language through an
// error return.
type DiagnosticsError struct {
	Diags hcl.Diagnostics
}

func (e *DiagnosticsError) Error() string {
	for _, d := range e.Diags {
		if d.Severity == hcl.DiagError {
			if d.Subject != nil {
				return fmt.Sprintf("%s: %s: %s", d.Subject, d.Summary, d.Detail)
			}
			return d.Summary + ": " + d.Detail
		}
	}
	return "invalid stack"
}
