package stacks

import (
	"github.com/hashicorp/hcl/v2"
	"github.com/stagecraft/stagecraft/stacks/marks"
	"github.com/zclconf/go-cty/cty"

	"github.com/stagecraft/stagecraft/stacks/addrs"
)

// DesiredSet is what one environment should run at one stage: every resource
// instance with its evaluated configuration and its dependencies. It is the
// stack language's product; the planner diffs it against what exists.
type DesiredSet struct {
	// Stack, Environment and Stage name what was evaluated.
	Stack       string
	Environment string
	Stage       string
	// Provider is the provider name the environment binds ("local").
	Provider string
	// ProviderConfig is the evaluated provider block (an object of its
	// attributes; an empty object when the block is absent).
	ProviderConfig cty.Value
	// Backend is the environment's state backend, nil for the default.
	Backend *BackendConfig
	// Resources are sorted by address.
	Resources []*Resource
	// SourceHash is a digest of the stack files and of every file the
	// evaluation read through file(), fileexists() and templatefile(). A
	// saved plan records it, so applying it after any of them changed is
	// refused.
	SourceHash string
	// Outputs are the stack's outputs, sorted by name. Their values are
	// unknown where they depend on attributes that exist only after apply.
	Outputs []*OutputValue

	// blocks and reads are kept for a later evaluation's Reuse: the root
	// resource blocks' results and the files this evaluation read.
	blocks map[string]*blockResult
	reads  map[string]string
}

// Resource returns the resource instance at addr, and whether the set has
// one there: the lookup the planner and the tests of templates and stages
// all make.
func (d *DesiredSet) Resource(addr addrs.Instance) (*Resource, bool) {
	for _, r := range d.Resources {
		if r.Address == addr {
			return r, true
		}
	}
	return nil, false
}

// Resource is one resource instance of the desired set.
type Resource struct {
	// Address is the instance's address, such as cache.sessions,
	// autoscaling_group.svc["orders"] or module.web.load_balancer.edge: its
	// module path, kind, name and count or for_each key.
	Address addrs.Instance
	// Config conforms to the kind's schema for the environment's provider
	// (kinds.Schema(kind).ForProvider(p).ImpliedType()). Computed
	// attributes are null unless set in the stack; values that depend on
	// attributes that only exist after apply are unknown; sensitive values
	// carry the Sensitive mark.
	Config cty.Value
	// Settings holds the planner's plan-only settings of the resource (a
	// load balancer's migration blocks), split off Config; cty.NilVal when
	// the kind has none.
	Settings cty.Value
	// DependsOn lists the addresses of the instances this one depends on,
	// through references or depends_on, sorted by addrs.Compare. A
	// dependency on a block with count or for_each is the block's address
	// (no key), standing for all its instances (see addrs.Instance.Contains),
	// so dependencies stay as many as the references written.
	DependsOn []addrs.Instance
	// Lifecycle holds the resource's lifecycle settings.
	Lifecycle Lifecycle
	// DeclRange is where the resource block is written (for a merged block,
	// the block of the stage that last set it).
	DeclRange hcl.Range
}

// Lifecycle is a resource's lifecycle block.
type Lifecycle struct {
	// PreventDestroy refuses any plan that deletes or replaces the resource.
	PreventDestroy bool
	// AllowDataLoss consents to deleting or replacing a data-bearing
	// resource (cache, coordinator).
	AllowDataLoss bool
	// IgnoreChanges lists attribute paths whose differences are not
	// planned; IgnoreAllChanges ignores every attribute.
	IgnoreChanges    []cty.Path
	IgnoreAllChanges bool
}

// BackendConfig is an environment's backend block.
type BackendConfig struct {
	// Type is the block label ("local", "s3").
	Type string
	// Config is the evaluated block (an object of its attributes).
	Config cty.Value
	// DeclRange is where the block is written.
	DeclRange hcl.Range
}

// OutputValue is one evaluated output.
type OutputValue struct {
	Name        string
	Description string
	// Value carries the Sensitive mark when the output is sensitive or
	// derives from a sensitive value.
	Value     cty.Value
	Sensitive bool
}

// Sensitive is the cty mark carried by every value that must not be
// printed: sensitive variables and outputs, sensitive attributes, and
// everything computed from them. It is marks.Sensitive, named here for the
// code that evaluates stacks.
const Sensitive = marks.Sensitive

// Request asks for the desired set of one environment.
type Request struct {
	// Environment names the environment block to evaluate.
	Environment string
	// Stage, when set, overrides the environment's stage (--stage).
	Stage string
	// Vars are -var and -var-file inputs in command-line order; later ones
	// win.
	Vars []VarInput
	// Getenv reads STAGECRAFT_VAR_name environment variables; nil reads
	// none.
	Getenv func(string) string
	// Known holds the actual values of resources that already exist, by
	// address (as recorded in state). Their computed attributes are used
	// for references instead of unknowns.
	Known map[addrs.Instance]cty.Value
	// Reuse, when set, takes over an earlier evaluation's results for the
	// blocks whose inputs did not change (see Reuse).
	Reuse *Reuse
}

// VarInput is one -var NAME=VALUE or -var-file PATH given on the command
// line.
type VarInput struct {
	// Name and Value for -var; Value is parsed as an HCL expression when the
	// variable's type is not string, as Terraform does.
	Name  string
	Value string
	// File is the path of a -var-file (HCL or, ending in .json, JSON).
	File string
	// Source, when set, is the content of File, read earlier (a saved plan
	// carries its variable files so that applying it uses the same values).
	Source []byte `json:",omitempty"`
}
