package apply

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/stagecraft/stagecraft/planner/dag"
	"github.com/stagecraft/stagecraft/planner/plan"
	"github.com/stagecraft/stagecraft/providers"
	"github.com/stagecraft/stagecraft/providers/schema"
	"github.com/stagecraft/stagecraft/stacks"
	"github.com/stagecraft/stagecraft/stacks/addrs"
	"github.com/stagecraft/stagecraft/stacks/marks"
	"github.com/stagecraft/stagecraft/state"
)

// Phase is where an operation on one resource is.
type Phase string

const (
	PhaseStart  Phase = "start"
	PhaseDone   Phase = "done"
	PhaseFailed Phase = "failed"
	// PhaseStatus carries the provider's latest status of an operation
	// in progress (Event.Status), for the live view and the heartbeat.
	PhaseStatus Phase = "status"
	// PhasePending ends a delete that the provider accepted but had not
	// finished: the state records it as pending deletion, and
	// Event.Status says what the provider reported.
	PhasePending Phase = "pending"
	// PhaseInterrupted ends an operation an interrupt cut short: its wait
	// stopped, and what it had done is recorded or read again by the next
	// plan.
	PhaseInterrupted Phase = "interrupted"
)

// Event reports progress of apply, for the command line's progress view.
type Event struct {
	Address string
	// Operation is "creating", "updating", "deleting", "replacing" or
	// "destroying old copy".
	Operation string
	Phase     Phase
	// Elapsed is set when the operation ends.
	Elapsed time.Duration
	Err     error
	// Status is what the provider last reported about the operation
	// (PhaseStatus, PhasePending): "ElastiCache status: deleting".
	Status string
}

// Options are the inputs of one apply.
type Options struct {
	// Backend holds the state; the caller has locked it.
	Backend state.Backend
	// State is the environment's state as read before planning (nil before
	// the first apply).
	State *state.State
	// Progress, when set, receives every event. It is called from several
	// goroutines, one call at a time.
	Progress func(Event)
	// Phases, when set, is told as each part of the apply begins
	// (PhasePreparing, PhaseApplying, PhaseWritingState), so that the
	// command line can show what a long run is doing between operations.
	Phases PhaseFunc
}

// PhaseFunc is told when a part of planning or applying that grows with
// the stack begins: what it does and how many resources it covers (-1
// when that is not known yet).
type PhaseFunc func(name string, count int)

// The parts of an apply that Options.Phases is told of.
const (
	PhasePreparing    = "preparing"
	PhaseApplying     = "applying"
	PhaseWritingState = "writing the state"
)

// phase tells f of a phase, when there is an f.
func (f PhaseFunc) phase(name string, count int) {
	if f != nil {
		f(name, count)
	}
}

// ApplyError lists what failed, per address.
type ApplyError struct {
	Failed map[string]error
	// Stopped holds the steps an interrupt cut short, per step: their
	// errors are *InterruptedError values (a traffic shift's says at
	// which step it stopped).
	Stopped     map[string]error
	Skipped     []string
	Interrupted bool
}

// Unwrap returns the failures and the steps cut short, so errors.As finds
// a *GateError or an *InterruptedError among them.
func (e *ApplyError) Unwrap() []error {
	out := make([]error, 0, len(e.Failed)+len(e.Stopped))
	for _, err := range e.Failed {
		out = append(out, err)
	}
	for _, err := range e.Stopped {
		out = append(out, err)
	}
	return out
}

// InterruptedError is a step an interrupt cut short: a wait stopped, or a
// traffic shift stopped at the step it was on (Shift set).
type InterruptedError struct {
	// Step names the step (its address) and Operation what it was doing
	// ("creating", "shifting").
	Step      string
	Operation string
	// Shift, for a traffic shift, says where it stopped.
	Shift *ShiftStop
	// Err is what the provider returned, when it was cut short.
	Err error
}

// ShiftStop is where an interrupted traffic shift stopped: at step N of M
// of one path, with that share of the path's traffic moved.
type ShiftStop struct {
	Path  string
	Step  int
	Steps int
	Share int
}

func (e *InterruptedError) Error() string {
	if s := e.Shift; s != nil {
		if s.Step == 0 {
			return fmt.Sprintf("%s: shifting %s, %d%% moved, interrupted before its first step; run apply to continue", e.Step, s.Path, s.Share)
		}
		return fmt.Sprintf("%s: shifting %s, %d%% moved, interrupted at shift step %d of %d; run apply to continue", e.Step, s.Path, s.Share, s.Step, s.Steps)
	}
	return fmt.Sprintf("%s: %s was interrupted; the next plan reads what it did", e.Step, e.Operation)
}

// Unwrap returns what the provider returned.
func (e *InterruptedError) Unwrap() error { return e.Err }

func (e *ApplyError) Error() string {
	var b strings.Builder
	failed := make([]string, 0, len(e.Failed))
	for a := range e.Failed {
		failed = append(failed, a)
	}
	sort.Slice(failed, func(i, j int) bool { return addrs.CompareStrings(failed[i], failed[j]) < 0 })
	for i, a := range failed {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(e.Failed[a].Error())
	}
	stopped := make([]string, 0, len(e.Stopped))
	for a := range e.Stopped {
		stopped = append(stopped, a)
	}
	sort.Slice(stopped, func(i, j int) bool { return addrs.CompareStrings(stopped[i], stopped[j]) < 0 })
	for _, a := range stopped {
		if b.Len() > 0 {
			b.WriteString("; ")
		}
		b.WriteString(e.Stopped[a].Error())
	}
	if e.Interrupted {
		if b.Len() > 0 {
			b.WriteString("; ")
		}
		b.WriteString("apply interrupted")
	}
	if len(e.Skipped) > 0 {
		// An interrupted apply of a large stack leaves thousands not
		// started: the message names the first few and counts the rest.
		const named = 10
		if len(e.Skipped) > named {
			fmt.Fprintf(&b, " (%d not started: %s and %d more)", len(e.Skipped), strings.Join(e.Skipped[:named], ", "), len(e.Skipped)-named)
		} else {
			fmt.Fprintf(&b, " (%d not started: %s)", len(e.Skipped), strings.Join(e.Skipped, ", "))
		}
	}
	return b.String()
}

// Apply carries out the plan. Every completed provider operation is
// recorded in the journal before anything that depends on it starts, so a
// crash at any point leaves a state the next plan completes. It returns the
// new state (also written to the backend) and an *ApplyError when some
// changes failed.
func (x *Executor) Apply(ctx context.Context, pl *plan.Plan, opts Options) (*state.State, error) {
	if len(pl.Refused) > 0 {
		return nil, fmt.Errorf("the plan needs consent first: %s", pl.Refused[0].Reason)
	}
	cur := opts.State
	if cur == nil {
		cur = state.New(x.Stack, x.Environment)
	} else {
		cur = cur.Clone()
	}
	if cur.Serial == 0 {
		// The journal continues a written state.
		if err := opts.Backend.Write(ctx, cur); err != nil {
			return nil, err
		}
	}
	j, err := opts.Backend.Journal(ctx)
	if err != nil {
		return nil, err
	}
	defer j.Close()
	a := &applier{x: x, plan: pl, cur: cur, jw: newJournalWriter(j), progress: opts.Progress}
	opts.Phases.phase(PhasePreparing, len(pl.Changes))
	if err := a.recordAdopted(ctx); err != nil {
		return nil, err
	}
	if err := a.prepare(); err != nil {
		return nil, err
	}
	if err := a.announceCreates(ctx); err != nil {
		return nil, err
	}
	opts.Phases.phase(PhaseApplying, a.graph.Len())
	res := a.graph.Walk(ctx, x.Concurrency(), a.run)

	var aerr *ApplyError
	if len(res) > 0 {
		aerr = &ApplyError{Failed: map[string]error{}, Stopped: map[string]error{}}
		for s, err := range res {
			if s.IsBarrier() {
				continue
			}
			var stopped *InterruptedError
			switch {
			case errors.As(err, &stopped):
				aerr.Interrupted = true
				aerr.Stopped[s.text] = err
			case errors.Is(err, dag.ErrNotStarted):
				aerr.Interrupted = true
				aerr.Skipped = append(aerr.Skipped, s.text)
			case errors.Is(err, dag.ErrSkipped):
				aerr.Skipped = append(aerr.Skipped, s.text)
			default:
				aerr.Failed[s.text] = err
			}
		}
		sort.Slice(aerr.Skipped, func(i, j int) bool { return addrs.CompareStrings(aerr.Skipped[i], aerr.Skipped[j]) < 0 })
	}
	// The backend persists even after an interrupt (state.Backend), so
	// what finished is recorded with the apply's own context.
	if aerr == nil {
		if err := a.finish(ctx); err != nil {
			return nil, err
		}
	}
	opts.Phases.phase(PhaseWritingState, len(a.cur.Resources))
	if err := opts.Backend.Write(ctx, a.cur); err != nil {
		return nil, fmt.Errorf("write state: %w", err)
	}
	if aerr != nil {
		return a.cur, aerr
	}
	return a.cur, nil
}

// applier is one apply in progress.
type applier struct {
	x        *Executor
	plan     *plan.Plan
	jw       *journalWriter
	progress func(Event)
	graph    *Graph
	initial  map[addrs.Instance]*stacks.Resource
	queue    *evalQueue

	// announced holds the creates whose intents announceCreates journaled
	// (by change, a smaller key than the address).
	announced map[*plan.Change]bool

	mu         sync.Mutex
	cur        *state.State
	progressMu sync.Mutex
}

// announceCreates journals the intents of the plan's creates in one batch
// before the walk, instead of one by one before each call: a create then
// waits for one fsync (its record) instead of two. An intent whose create
// never started costs only a look through the provider's Discoverer after
// a crash, which finds nothing; so kinds without a Discoverer keep their
// intents next to the call, where an interrupted create warns by name.
func (a *applier) announceCreates(ctx context.Context) error {
	a.announced = map[*plan.Change]bool{}
	var entries []state.JournalEntry
	for _, c := range a.plan.Changes {
		if c.Action != plan.ActionCreate || c.Deposed || c.Adopted {
			continue
		}
		impl, err := a.x.Kind(c.Kind)
		if err != nil {
			return err
		}
		if _, ok := impl.(providers.Discoverer); !ok {
			continue
		}
		entries = append(entries, state.IntentEntry(c.Address, "create", &state.Resource{Address: c.Address, Kind: c.Kind, Provider: a.x.ProviderName}))
		a.announced[c] = true
	}
	if len(entries) == 0 {
		return nil
	}
	return a.jw.append(ctx, entries...)
}

// recordAdopted puts the resources the plan adopted (created by an
// interrupted apply without being recorded) on record before anything else
// happens, so they are never lost track of again.
func (a *applier) recordAdopted(ctx context.Context) error {
	var entries []state.JournalEntry
	for _, c := range a.plan.Changes {
		if !c.Adopted {
			continue
		}
		impl, err := a.x.Kind(c.Kind)
		if err != nil {
			return err
		}
		before, _ := c.Before.UnmarkDeep()
		r, err := a.x.NewResource(c.Address, c.Kind, c.ID, before, impl.Schema())
		if err != nil {
			return fmt.Errorf("adopt %s: %w", c.Address, err)
		}
		r.Dependencies = c.DependsOn
		if c.Deposed {
			a.cur.AddDeposed(r)
			entries = append(entries, state.DeposedEntry(r))
		} else {
			a.cur.Set(r)
			entries = append(entries, state.SetEntry(r))
		}
	}
	if len(entries) == 0 {
		return nil
	}
	return a.jw.append(ctx, entries...)
}

// prepare evaluates the stack once with what exists and builds the graph.
func (a *applier) prepare() error {
	known := map[addrs.Instance]cty.Value{}
	for _, r := range a.cur.Resources {
		if r.Status == state.StatusTainted {
			continue
		}
		_, v, err := a.x.DecodeResource(r)
		if err != nil {
			return err
		}
		known[r.Address] = v
	}
	// What the plan creates or replaces does not exist yet as far as the
	// configuration of its dependents is concerned: they wait for it. An
	// update whose computed attributes are known only after it (a
	// coordinator's endpoints when its members change) is what the plan
	// says it will be, so its dependents are evaluated again after it.
	for _, c := range a.plan.Changes {
		switch {
		case c.Deposed:
		case c.Action == plan.ActionCreate || c.Action == plan.ActionReplace:
			delete(known, c.Address)
		case c.Action == plan.ActionUpdate && !c.After.IsWhollyKnown():
			if _, ok := known[c.Address]; ok {
				known[c.Address] = c.After
			}
		}
	}
	a.initial = map[addrs.Instance]*stacks.Resource{}
	var initialSet *stacks.DesiredSet
	if !a.plan.Destroy {
		ds, diags := a.x.Evaluate(copyKnown(known), nil)
		if diags.HasErrors() {
			return &DiagnosticsError{Diags: diags}
		}
		initialSet = ds
		for _, r := range ds.Resources {
			// Only a configuration known in full is used from here (see
			// desired); the others are evaluated again when their turn
			// comes, so keeping them would only hold memory.
			if r.Config.IsWhollyKnown() {
				a.initial[r.Address] = r
			}
		}
	}
	a.queue = newEvalQueue(a.x.Evaluate, known)
	// The first evaluation during the walk takes over what this one found
	// for the blocks that did not change since.
	a.queue.lastSet = initialSet
	return a.buildGraph()
}

func copyKnown(m map[addrs.Instance]cty.Value) map[addrs.Instance]cty.Value {
	out := make(map[addrs.Instance]cty.Value, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// buildGraph orders the plan's steps (see BuildGraph).
func (a *applier) buildGraph() error {
	g, err := BuildGraph(a.plan.Changes, a.cur.Resources)
	if err != nil {
		return err
	}
	a.graph = g
	return nil
}

func (a *applier) emit(e Event) {
	if a.progress == nil {
		return
	}
	a.progressMu.Lock()
	defer a.progressMu.Unlock()
	a.progress(e)
}

// operationNames are the words the progress view shows for each operation.
var operationNames = map[Op]string{
	OpCreate: "creating", OpUpdate: "updating", OpDelete: "deleting", OpDestroyOld: "destroying old copy",
}

// run carries out one step. The provider sees ctx: an interrupt stops its
// waits, while a call it has already sent finishes (each provider bounds
// such calls itself). A step cut short by the interrupt ends with an
// *InterruptedError; what it finished is journaled, a create in flight has
// its intent on record, and the next plan reads what the rest did.
func (a *applier) run(ctx context.Context, s *Step) error {
	if s.IsBarrier() {
		return nil
	}
	c := s.Change
	op := operationNames[s.Op]
	if c.Action == plan.ActionReplace && s.Op == OpCreate {
		op = "replacing"
	}
	a.emit(Event{Address: s.text, Operation: op, Phase: PhaseStart})
	start := time.Now()
	ctx = providers.WithStatus(ctx, func(status string) {
		a.emit(Event{Address: s.text, Operation: op, Phase: PhaseStatus, Status: status})
	})
	err := a.do(ctx, s)
	ev := Event{Address: s.text, Operation: op, Phase: PhaseDone, Elapsed: time.Since(start)}
	// delete returns a *providers.PendingDeletion itself, unwrapped, only
	// once the state records it.
	pending, isPending := err.(*providers.PendingDeletion)
	var stopped *InterruptedError
	if err != nil && !isPending && !errors.As(err, &stopped) && ctx.Err() != nil {
		err = &InterruptedError{Step: s.text, Operation: op, Err: err}
	}
	switch {
	case isPending:
		ev.Phase, ev.Status, err = PhasePending, pending.Error(), nil
	case errors.As(err, &stopped):
		ev.Phase, ev.Err = PhaseInterrupted, err
	case err != nil:
		ev.Phase, ev.Err = PhaseFailed, err
	}
	a.emit(ev)
	return err
}

func (a *applier) do(ctx context.Context, s *Step) error {
	c := s.Change
	impl, err := a.x.Kind(c.Kind)
	if err != nil {
		return fmt.Errorf("%s: %w", c.Address, err)
	}
	schema := impl.Schema()
	switch s.Op {
	case OpCreate, OpUpdate:
		res, err := a.desired(c.Address)
		if err != nil {
			return fmt.Errorf("%s %s: %w", s.Op, c.Address, err)
		}
		cfg, _ := res.Config.UnmarkDeep()
		if !cfg.IsWhollyKnown() {
			return fmt.Errorf("%s %s: its configuration still has values that are not known after its dependencies were applied", s.Op, c.Address)
		}
		if s.Op == OpUpdate && c.Shift != nil {
			return a.shiftTraffic(ctx, impl, schema, c, res, cfg)
		}
		if s.Op == OpUpdate {
			return a.update(ctx, impl, schema, c, res, cfg)
		}
		return a.create(ctx, impl, schema, c, res, cfg)
	case OpDelete, OpDestroyOld:
		waiting := a.graph.Waiting(s)
		if len(waiting) == 0 {
			// Nothing later needs the object gone: the provider may
			// leave its deletion pending instead of holding the apply.
			ctx = providers.AllowPendingDeletion(ctx)
		}
		err := a.delete(ctx, impl, c, c.Deposed || s.Op == OpDestroyOld)
		if _, pending := err.(*providers.PendingDeletion); err != nil && !pending && len(waiting) > 0 {
			return fmt.Errorf("%w; it had to be gone before %s", err, heldUp(waiting))
		}
		return err
	}
	panic(fmt.Sprintf("apply: step %s has no operation to run", s.Key))
}

// desired returns the resource's configuration, evaluated again when the
// first evaluation could not know all of it.
func (a *applier) desired(addr addrs.Instance) (*stacks.Resource, error) {
	if r, ok := a.initial[addr]; ok {
		if r.Config.IsWhollyKnown() {
			return r, nil
		}
	}
	return a.queue.resource(addr)
}

func (a *applier) create(ctx context.Context, impl providers.ResourceKind, schema *schema.Schema, c *plan.Change, res *stacks.Resource, cfg cty.Value) error {
	var intents []state.JournalEntry
	if c.Action == plan.ActionReplace && c.ReplaceOrder == plan.CreateBeforeDestroy {
		// Keep the old copy on record until it is destroyed.
		intents = append(intents, state.DeposeEntry(c.Address, c.ID))
	}
	if !a.announced[c] {
		intents = append(intents, state.IntentEntry(c.Address, "create", &state.Resource{Address: c.Address, Kind: c.Kind, Provider: a.x.ProviderName}))
	}
	if len(intents) > 0 {
		if err := a.jw.append(ctx, intents...); err != nil {
			return err
		}
	}
	a.mu.Lock()
	if c.Action == plan.ActionReplace && c.ReplaceOrder == plan.CreateBeforeDestroy {
		a.cur.Depose(c.Address, c.ID)
	}
	a.mu.Unlock()
	ref := a.x.Ref(c.Address, c.Kind, "")
	if c.Action == plan.ActionReplace {
		ref.Replaces = c.ID
	}
	actual, err := impl.Create(ctx, ref, cfg)
	if err != nil {
		if actual != cty.NilVal && !actual.IsNull() {
			// Half made: record it so the next plan replaces it instead of
			// losing track of it.
			_ = a.record(ctx, schema, res, actual, state.StatusTainted)
		}
		return opError(OpCreate, c.Address, err)
	}
	return a.record(ctx, schema, res, actual, "")
}

func (a *applier) update(ctx context.Context, impl providers.ResourceKind, schema *schema.Schema, c *plan.Change, res *stacks.Resource, cfg cty.Value) error {
	prior := c.Before
	if r, ok := a.stateResource(c.Address); ok {
		if v, err := r.Value(a.x.ImpliedType(schema)); err == nil {
			prior = v
		}
	}
	prior, _ = prior.UnmarkDeep()
	actual, err := impl.Update(ctx, a.x.Ref(c.Address, c.Kind, c.ID), prior, cfg)
	if err != nil {
		return opError(OpUpdate, c.Address, err)
	}
	return a.record(ctx, schema, res, actual, "")
}

func (a *applier) delete(ctx context.Context, impl providers.ResourceKind, c *plan.Change, deposed bool) error {
	prior, _ := c.Before.UnmarkDeep()
	if err := impl.Delete(ctx, a.x.Ref(c.Address, c.Kind, c.ID), prior); err != nil {
		var pending *providers.PendingDeletion
		if errors.As(err, &pending) && providers.PendingDeletionAllowed(ctx) {
			if rerr := a.recordPending(ctx, impl, c, deposed, pending); rerr != nil {
				return rerr
			}
			return err
		}
		return opError(OpDelete, c.Address, err)
	}
	if err := a.jw.append(ctx, state.RemoveEntry(c.Address, c.ID)); err != nil {
		return err
	}
	a.mu.Lock()
	if deposed {
		a.cur.RemoveDeposed(c.Address, c.ID)
	} else if r, ok := a.cur.Resource(c.Address); ok && r.ID == c.ID {
		a.cur.Remove(c.Address)
	}
	a.mu.Unlock()
	if !deposed {
		a.queue.remove(c.Address)
	}
	return nil
}

// heldUp names the steps that wait for a delete, for its error: why the
// apply waited for the object to be gone ("network.main is deleted").
func heldUp(steps []*Step) string {
	var parts []string
	for _, w := range steps {
		if w.IsBarrier() {
			continue
		}
		parts = append(parts, w.text+" is "+map[Op]string{OpCreate: "created", OpUpdate: "updated", OpDelete: "deleted", OpDestroyOld: "deleted"}[w.Op])
	}
	return strings.Join(parts, " and ")
}

// recordPending records the object of c, whose deletion the provider
// left pending, as a deposed copy with the pending status, so the next
// plan checks that it is gone (see planner's pending deletions) while its
// address is free for a new resource.
func (a *applier) recordPending(ctx context.Context, impl providers.ResourceKind, c *plan.Change, deposed bool, p *providers.PendingDeletion) error {
	a.mu.Lock()
	var rec *state.Resource
	if r, ok := a.cur.Resource(c.Address); ok && !deposed && r.ID == c.ID {
		rec = r.Clone()
	} else {
		for _, d := range a.cur.Deposed {
			if d.Address == c.Address && d.ID == c.ID {
				rec = d.Clone()
			}
		}
	}
	a.mu.Unlock()
	if rec == nil {
		before, _ := c.Before.UnmarkDeep()
		r, err := a.x.NewResource(c.Address, c.Kind, c.ID, before, impl.Schema())
		if err != nil {
			return fmt.Errorf("record the pending deletion of %s: %w", c.Address, err)
		}
		r.Dependencies = c.DependsOn
		rec = r
	}
	rec.Status = state.StatusPendingDeletion
	rec.Pending = &state.Pending{Since: time.Now().UTC(), At: p.At, Status: p.Status}
	if err := a.jw.append(ctx, state.RemoveEntry(c.Address, c.ID), state.DeposedEntry(rec)); err != nil {
		return err
	}
	a.mu.Lock()
	if r, ok := a.cur.Resource(c.Address); ok && !deposed && r.ID == c.ID {
		a.cur.Remove(c.Address)
	} else {
		a.cur.RemoveDeposed(c.Address, c.ID)
	}
	a.cur.AddDeposed(rec)
	a.mu.Unlock()
	if !deposed {
		a.queue.remove(c.Address)
	}
	return nil
}

// opError names the operation and the address in front of a provider's
// error, unless the provider returned a providers.OperationError that says
// as much already: about this address, for this operation or for none.
// Any other error is wrapped, whatever its text says.
func opError(op Op, addr addrs.Instance, err error) error {
	var oe *providers.OperationError
	if errors.As(err, &oe) && oe.Address == addr.String() && (oe.Worded || oe.Op == "" || oe.Op == op.String()) {
		return err
	}
	return fmt.Errorf("%s %s: %w", op, addr, err)
}

// record journals a resource's new actual value and updates the state.
// also are dependencies beyond those the stack gives it: the targets a
// load balancer in the middle of a traffic shift still sends traffic to.
func (a *applier) record(ctx context.Context, schema *schema.Schema, res *stacks.Resource, actual cty.Value, status string, also ...addrs.Instance) error {
	id, _ := stringAttr(actual, "id")
	r, err := a.x.NewResource(res.Address, res.Address.Kind, id, actual, schema)
	if err != nil {
		return fmt.Errorf("record %s: %w", res.Address, err)
	}
	WithStack(r, res)
	r.Dependencies = withDependencies(r.Dependencies, also)
	r.Status = status
	if err := a.jw.append(ctx, state.SetEntry(r)); err != nil {
		return err
	}
	a.mu.Lock()
	a.cur.Set(r)
	a.mu.Unlock()
	if status == "" {
		// Marked as recorded, so that what refers to a sensitive
		// attribute (a generated password) is sensitive too.
		a.queue.set(res.Address, MarkSensitive(actual, r.SensitivePaths))
	}
	return nil
}

func (a *applier) stateResource(addr addrs.Instance) (*state.Resource, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.cur.Resource(addr)
}

// finish records the applied stage and the outputs, evaluated with
// everything that now exists.
func (a *applier) finish(ctx context.Context) error {
	var entries []state.JournalEntry
	if len(a.plan.Targets) == 0 {
		a.cur.Stage = a.plan.TargetStage
		entries = append(entries, state.StageEntry(a.plan.TargetStage))
	}
	outputs := map[string]*state.Output{}
	if !a.plan.Destroy {
		ds, diags := a.queue.final()
		if diags.HasErrors() {
			return &DiagnosticsError{Diags: diags}
		}
		for _, o := range ds.Outputs {
			v := o.Value
			if !v.IsWhollyKnown() {
				continue
			}
			plainV, _ := v.UnmarkDeep()
			enc, err := state.EncodeOutput(plainV, o.Sensitive || marks.HasSensitive(v))
			if err != nil {
				return fmt.Errorf("output %s: %w", o.Name, err)
			}
			outputs[o.Name] = enc
			e, err := state.OutputEntry(o.Name, enc)
			if err != nil {
				return err
			}
			entries = append(entries, e)
		}
	}
	if len(a.plan.Targets) > 0 {
		for name, o := range a.cur.Outputs {
			if _, ok := outputs[name]; !ok {
				outputs[name] = o
			}
		}
	}
	a.cur.Outputs = outputs
	if len(entries) == 0 {
		return nil
	}
	return a.jw.append(ctx, entries...)
}

// WithStack records on r what the stack says about the resource d: its
// dependencies, the sensitive paths of its configuration and its
// lifecycle flags.
func WithStack(r *state.Resource, d *stacks.Resource) {
	r.Dependencies = d.DependsOn
	r.SensitivePaths = sensitivePaths(d.Config, r.SensitivePaths)
	r.PreventDestroy, r.AllowDataLoss = d.Lifecycle.PreventDestroy, d.Lifecycle.AllowDataLoss
}

// withDependencies returns deps with the addresses of also that it does
// not cover yet (a dependency on a block covers its instances) added, in
// address order after the stack's own.
func withDependencies(deps, also []addrs.Instance) []addrs.Instance {
	var extra []addrs.Instance
	for _, x := range also {
		covered := slices.ContainsFunc(deps, func(d addrs.Instance) bool { return d.Contains(x) }) ||
			slices.Contains(extra, x)
		if !covered {
			extra = append(extra, x)
		}
	}
	if len(extra) == 0 {
		return deps
	}
	slices.SortFunc(extra, addrs.Compare)
	return append(slices.Clip(deps), extra...)
}

// sensitivePaths lists the paths of a value that carry the sensitive mark,
// together with declared (the attributes the kind declares sensitive),
// sorted, once each.
func sensitivePaths(v cty.Value, declared []string) []string {
	_, pvm := v.UnmarkDeepWithPaths()
	out := append([]string(nil), declared...)
	for _, p := range pvm {
		if _, ok := p.Marks[stacks.Sensitive]; ok {
			out = append(out, state.FormatPath(p.Path))
		}
	}
	sort.Strings(out)
	return slices.Compact(out)
}
