// Package plan holds a plan as pure data: the changes to make, the steps
// they run in, the traffic shifts and gates, the drift found and the
// outputs, with the JSON form that `plan -o json` prints and plan files
// store. It imports nothing from providers, state or the planning engine,
// so anything that only reads a plan (rendering, saved plan files) links
// none of them.
package plan

import (
	"github.com/stagecraft/stagecraft/stacks/addrs"
	"github.com/zclconf/go-cty/cty"
)

// FormatVersion is the version of the plan's JSON form (plan files and
// `plan -o json`). It changes when a field changes meaning or goes away.
const FormatVersion = 1

// Action is what a change does to one resource.
type Action string

// The actions, in the order a summary lists them.
const (
	ActionNoOp    Action = "no-op"
	ActionCreate  Action = "create"
	ActionUpdate  Action = "update"
	ActionReplace Action = "replace"
	ActionDelete  Action = "delete"
)

// ReplaceOrder says how a replacement runs.
type ReplaceOrder string

const (
	// CreateBeforeDestroy makes the new resource first, so traffic can move
	// before the old one goes (the default).
	CreateBeforeDestroy ReplaceOrder = "create_before_destroy"
	// DestroyBeforeCreate removes the old one first, for kinds whose names
	// must be unique at the provider.
	DestroyBeforeCreate ReplaceOrder = "destroy_before_create"
)

// Plan is the outcome of planning: pure data, with no provider or stack
// types inside, so it can be rendered, saved and applied later.
type Plan struct {
	Stack       string
	Environment string
	Provider    string
	// AppliedStage is the stage the state records; TargetStage the one
	// planned for. They differ during a migration.
	AppliedStage string
	TargetStage  string
	// Destroy is true for a plan that removes everything.
	Destroy bool
	// Lineage and Serial identify the state the plan was made from; a plan
	// applied to any other state is stale.
	Lineage string
	Serial  uint64
	// StackHash is the digest of the stack files the plan was made from.
	StackHash string
	// Changes holds one entry per resource instance, no-ops included,
	// sorted by address.
	Changes []*Change
	// Drift lists resources whose actual attributes differ from what was
	// last applied (someone changed them outside Stagecraft).
	Drift []*Drift
	// Outputs lists the stack's outputs with their planned values.
	Outputs []*OutputChange
	// Targets is the --target list the plan was limited to, if any.
	Targets []string
	// Steps are the changes in the order apply runs them, described as a
	// migration (create, roll, shift, resize, delete).
	Steps []*MigrationStep
	// PendingDeletions lists objects an earlier apply asked the provider
	// to delete that are still on their way out; they are not changes.
	PendingDeletions []*PendingDeletion
	// Warnings are things the user should know that do not stop the plan.
	Warnings []string
	// Refused lists changes the plan will not carry out without consent
	// (data loss, prevent_destroy). A plan with refusals cannot be applied.
	Refused []*Refusal
}

// Change is what happens to one resource instance.
type Change struct {
	// Address is the resource instance the change is about.
	Address addrs.Instance
	Kind    string
	Action  Action
	// ID is the provider's identifier of the existing resource (empty for
	// a create).
	ID string
	// Deposed is true for an old copy left behind by an interrupted
	// replacement or apply; it is deleted.
	Deposed bool
	// Adopted is true for a resource found through its tags that the state
	// does not track (an interrupted apply created it without recording
	// it, or the state was lost and the plan was made with --adopt): apply
	// records it first.
	Adopted bool
	// Before is the resource as it exists (null for a create); After is
	// what it will be (null for a delete). Unknown parts of After are
	// known only after apply.
	Before cty.Value
	After  cty.Value
	// ChangedPaths lists the attributes that differ.
	ChangedPaths []cty.Path
	// ReplacePaths lists the attributes whose change forces the
	// replacement.
	ReplacePaths []cty.Path
	// SensitivePaths lists the attributes of Before and After that the
	// kind's schema declares sensitive, so whoever shows the change hides
	// them without knowing the kind.
	SensitivePaths []cty.Path
	// ReplaceOrder is set for replacements.
	ReplaceOrder ReplaceOrder
	// DataLoss is true when the change deletes or replaces a resource that
	// holds data; Consent says who allowed it ("stack" for
	// lifecycle.allow_data_loss, "flag" for --allow-data-loss).
	DataLoss bool
	Consent  Consent
	// Reason explains a change a person might not expect, such as a
	// resource deleted outside Stagecraft being created again.
	Reason string
	// DependsOn lists the addresses this resource depends on; a block's
	// address stands for all its instances (addrs.Instance.Contains).
	DependsOn []addrs.Instance
	// Lifecycle carries the flags the state records for later plans.
	PreventDestroy bool
	AllowDataLoss  bool
	// Shift is set on a load balancer update that moves a path's traffic
	// between targets: apply moves it in steps with a gate after each.
	Shift *Shift
}

// Consent says who allowed a change that destroys data.
type Consent string

const (
	// ConsentStack: the resource's lifecycle { allow_data_loss = true }.
	ConsentStack Consent = "stack"
	// ConsentFlag: --allow-data-loss on the command line, for one run.
	ConsentFlag Consent = "flag"
)

// Drift is a resource whose actual attributes changed outside Stagecraft.
type Drift struct {
	Address addrs.Instance
	Kind    string
	// Gone is true when the resource no longer exists at all.
	Gone bool
	// Paths lists the attributes that differ from the last apply.
	Paths []cty.Path
	// SensitivePaths lists the attributes of Before and Actual that the
	// kind's schema declares sensitive.
	SensitivePaths []cty.Path
	// Before is the value last applied, Actual what exists now.
	Before cty.Value
	Actual cty.Value
}

// OutputChange is one output's value before and after the plan.
type OutputChange struct {
	Name      string
	Action    Action
	Before    cty.Value
	After     cty.Value
	Sensitive bool
}

// Refusal is a change the plan will not make without consent.
type Refusal struct {
	Address addrs.Instance
	Action  Action
	// Reason is one sentence saying why and how to consent.
	Reason string
}

// Counts tallies the changes by action.
func (p *Plan) Counts() map[Action]int {
	c := map[Action]int{}
	for _, ch := range p.Changes {
		c[ch.Action]++
	}
	return c
}

// HasChanges reports whether applying the plan would change anything:
// resources, outputs or the recorded stage.
func (p *Plan) HasChanges() bool {
	for _, ch := range p.Changes {
		if ch.Action != ActionNoOp || ch.Adopted {
			return true
		}
	}
	for _, o := range p.Outputs {
		if o.Action != ActionNoOp {
			return true
		}
	}
	return !p.Destroy && p.AppliedStage != p.TargetStage
}

// Change returns the change for an address.
func (p *Plan) Change(addr addrs.Instance) (*Change, bool) {
	for _, c := range p.Changes {
		if c.Address == addr && !c.Deposed {
			return c, true
		}
	}
	return nil, false
}
