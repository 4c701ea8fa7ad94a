// Package providers defines the contract between the planner and the
// systems that run a stack's resources (the local machine, AWS, a simulated
// cloud): the Provider and ResourceKind interfaces and their optional
// extensions, resource references and tags, retries, and the registry that
// maps a provider name to its implementation. The attribute type system is
// providers/schema; the catalog of kinds is providers/kinds.
package providers

import (
	"context"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/stagecraft/stagecraft/providers/schema"
)

// Provider is one backend that can run resources: it is configured once per
// run from the stack's provider block and then hands out one ResourceKind per
// resource kind it supports.
type Provider interface {
	// Name is the name used in stack files ("local", "aws", "sim").
	Name() string
	// Configure receives the evaluated provider block as an object value
	// (attributes only). Problems are returned as diagnostics so that the
	// user sees which setting to fix.
	Configure(ctx context.Context, config cty.Value) hcl.Diagnostics
	// Kind returns the implementation of one resource kind, and false when
	// the provider does not support that kind.
	Kind(kind string) (ResourceKind, bool)
}

// ResourceKind carries out the lifecycle operations of one kind of resource.
//
// Values passed in and returned conform to Schema().ImpliedType(): desired
// values hold the evaluated configuration with computed attributes null;
// actual values returned by Read, Create and Update hold the configuration as
// it exists plus every computed attribute, including "id".
type ResourceKind interface {
	// Schema describes the kind's attributes as this provider sees them.
	Schema() *schema.Schema
	// Read returns what exists for r, or exists=false when it is gone.
	Read(ctx context.Context, r Ref) (actual cty.Value, exists bool, err error)
	// Create makes the resource and returns its actual value.
	Create(ctx context.Context, r Ref, desired cty.Value) (actual cty.Value, err error)
	// Update changes the resource in place from prior to desired.
	Update(ctx context.Context, r Ref, prior, desired cty.Value) (actual cty.Value, err error)
	// Delete removes the resource. Deleting something already gone is not an
	// error.
	Delete(ctx context.Context, r Ref, prior cty.Value) error
}

// BatchReader is implemented by kinds that can read many resources in one
// call, which makes refreshing large states fast.
type BatchReader interface {
	// ReadMany returns one result per ref, in the same order.
	ReadMany(ctx context.Context, refs []Ref) ([]ReadResult, error)
}

// ReadResult is the outcome of reading one resource in a batch.
type ReadResult struct {
	Actual cty.Value
	Exists bool
	Err    error
	// Incomplete, when set, says in one sentence what an existing
	// resource lacks (parts an interrupted create never made, or that
	// went missing since): the plan updates the resource, and the kind's
	// Update makes the missing parts, even when Actual shows no change.
	Incomplete string
}

// Observer is implemented by kinds that can report health and traffic
// figures; migration gates and autoscaling decisions read them.
type Observer interface {
	Observe(ctx context.Context, r Ref, actual cty.Value) (Observation, error)
}

// Observation is a snapshot of a resource's health and traffic.
type Observation struct {
	// Healthy is true when the resource serves as intended.
	Healthy bool
	// Detail explains an unhealthy state in one sentence.
	Detail string
	// Targets holds per-target figures (load balancers: one entry per
	// backend instance; groups: one per instance; clusters: one per member).
	Targets []TargetObservation
	// Requests and Errors5xx count requests since the resource started.
	Requests  int64
	Errors5xx int64
}

// TargetObservation holds the figures of one target of a resource.
type TargetObservation struct {
	ID        string
	Group     string
	Healthy   bool
	Weight    int
	Requests  int64
	Errors5xx int64
	// LatencyP50 and LatencyP99 are in seconds.
	LatencyP50 float64
	LatencyP99 float64
}

// Discoverer is implemented by kinds that can list every resource carrying a
// stack's tags. The planner uses it to adopt resources created by a run that
// crashed before recording them, and state recovery uses it to rebuild state.
type Discoverer interface {
	Discover(ctx context.Context, stack, environment string) ([]Discovered, error)
}

// Workspace is implemented by providers that keep files on this machine
// (the local provider's processes and data, the sim provider's cloud file).
// The command line calls SetWorkspace before Configure, so relative paths
// in provider settings mean the same wherever stagecraft runs from.
type Workspace interface {
	SetWorkspace(ws WorkspaceInfo)
}

// WorkspaceInfo says where a stack lives.
type WorkspaceInfo struct {
	// Dir is the stack directory (absolute); relative paths in settings
	// are relative to it.
	Dir string
	// DataDir is the directory Stagecraft keeps its files in
	// (Dir/.stagecraft).
	DataDir string
	// Stack and Environment name what runs.
	Stack       string
	Environment string
}

// WarningFunc receives a warning about one resource: something that
// worked, but not the way the user may assume (a stand-in for a program
// that is not installed).
type WarningFunc func(address, message string)

type warningKey struct{}

// WithWarnings returns a context through which providers report warnings
// to fn.
func WithWarnings(ctx context.Context, fn WarningFunc) context.Context {
	return context.WithValue(ctx, warningKey{}, fn)
}

// Warn reports a warning to the function ctx carries, if any.
func Warn(ctx context.Context, address, message string) {
	if fn, ok := ctx.Value(warningKey{}).(WarningFunc); ok && fn != nil {
		fn(address, message)
	}
}

// Discovered is one resource found through its tags.
type Discovered struct {
	Ref    Ref
	Actual cty.Value
}
