package apply

import (
	"fmt"
	"sync"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/stagecraft/stagecraft/providers"
	"github.com/stagecraft/stagecraft/providers/schema"
	"github.com/stagecraft/stagecraft/stacks"
	"github.com/stagecraft/stagecraft/stacks/addrs"
	"github.com/stagecraft/stagecraft/state"
)

// DefaultParallelism bounds how many provider operations run at once.
const DefaultParallelism = 10

// Evaluator produces the desired set given the actual values of existing
// resources (by address); it is the stack language's Evaluate with the
// environment, stage and variables fixed, passing reuse on as
// Request.Reuse (nil: evaluate everything).
type Evaluator func(known map[addrs.Instance]cty.Value, reuse *stacks.Reuse) (*stacks.DesiredSet, hcl.Diagnostics)

// Executor carries plans out through one configured provider. The planner
// reads the provider through it as well (Kind, Ref, DecodeResource).
type Executor struct {
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

	// types holds the kinds' implied types (see ImpliedType).
	types sync.Map
}

// Concurrency is how many provider calls may run at once: Parallelism, or
// DefaultParallelism when it is 0.
func (x *Executor) Concurrency() int {
	if x.Parallelism > 0 {
		return x.Parallelism
	}
	return DefaultParallelism
}

// Kind returns the provider's implementation of a kind, or an error that
// says the provider does not have it.
func (x *Executor) Kind(kind string) (providers.ResourceKind, error) {
	k, ok := x.Provider.Kind(kind)
	if !ok {
		return nil, fmt.Errorf("provider %q does not support %s resources; use another provider for this environment or remove them", x.ProviderName, kind)
	}
	return k, nil
}

// NewResource is the one place a state record is made from what the
// provider reports: the attributes encoded with the kind's implied type,
// the resource recorded as this provider's, the attributes the kind
// declares sensitive (a generated password) recorded as such. Callers add
// what the stack says (dependencies, lifecycle, sensitive configuration).
func (x *Executor) NewResource(addr addrs.Instance, kind, id string, actual cty.Value, s *schema.Schema) (*state.Resource, error) {
	attrs, err := state.EncodeValue(actual, x.ImpliedType(s))
	if err != nil {
		return nil, err
	}
	var sens []string
	for _, p := range s.SensitivePaths(actual) {
		sens = append(sens, state.FormatPath(p))
	}
	return &state.Resource{Address: addr, Kind: kind, Provider: x.ProviderName, ID: id, Attributes: attrs, SensitivePaths: sens}, nil
}

// Ref names a resource to the provider, with the owner's tags.
func (x *Executor) Ref(addr addrs.Instance, kind, id string) providers.Ref {
	return providers.Ref{Address: addr.String(), Kind: kind, ID: id, Stack: x.Stack, Environment: x.Environment}
}

// DecodeResource reads a state resource's attributes with its kind's type.
func (x *Executor) DecodeResource(r *state.Resource) (*schema.Schema, cty.Value, error) {
	k, err := x.Kind(r.Kind)
	if err != nil {
		return nil, cty.NilVal, fmt.Errorf("%s: %w", r.Address, err)
	}
	schema := k.Schema()
	v, err := r.Value(x.ImpliedType(schema))
	if err != nil {
		return nil, cty.NilVal, fmt.Errorf("%s: read state attributes: %w", r.Address, err)
	}
	return schema, MarkSensitive(v, r.SensitivePaths), nil
}

// MarkSensitive marks the recorded sensitive paths of a value, so that what
// providers return (unmarked) is never printed where the stack said it is
// secret.
func MarkSensitive(v cty.Value, paths []string) cty.Value {
	if len(paths) == 0 || v == cty.NilVal {
		return v
	}
	sens := make(map[string]bool, len(paths))
	for _, p := range paths {
		sens[p] = true
	}
	out, err := cty.Transform(v, func(p cty.Path, v cty.Value) (cty.Value, error) {
		if sens[state.FormatPath(p)] {
			return v.Mark(stacks.Sensitive), nil
		}
		return v, nil
	})
	if err != nil {
		return v
	}
	return out
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
