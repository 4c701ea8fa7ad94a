// Package planner turns a desired resource set and what actually exists
// into a plan: refresh, diff, planning and adoption. Carrying a plan out
// is planner/apply's work; Planner.Apply hands it over.
package planner

import (
	"context"
	"sync"

	"github.com/stagecraft/stagecraft/planner/apply"
	"github.com/stagecraft/stagecraft/planner/plan"
	"github.com/stagecraft/stagecraft/providers"
	"github.com/stagecraft/stagecraft/state"
)

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
	Evaluate apply.Evaluator
	// Parallelism bounds concurrent provider calls
	// (apply.DefaultParallelism when 0).
	Parallelism int

	once sync.Once
	exec *apply.Executor
}

// executor is the apply side of the planner, made once from its fields:
// planning reads the provider through it too, so both share one cache of
// implied types.
func (p *Planner) executor() *apply.Executor {
	p.once.Do(func() {
		p.exec = &apply.Executor{
			Provider: p.Provider, ProviderName: p.ProviderName,
			Stack: p.Stack, Environment: p.Environment,
			Evaluate: p.Evaluate, Parallelism: p.Parallelism,
		}
	})
	return p.exec
}

// Apply carries out the plan (see apply.Executor.Apply).
func (p *Planner) Apply(ctx context.Context, pl *plan.Plan, opts apply.Options) (*state.State, error) {
	return p.executor().Apply(ctx, pl, opts)
}
