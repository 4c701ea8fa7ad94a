package apply

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/stagecraft/stagecraft/planner/plan"
	"github.com/stagecraft/stagecraft/providers"
	"github.com/stagecraft/stagecraft/providers/schema"
	"github.com/stagecraft/stagecraft/stacks"
	"github.com/stagecraft/stagecraft/stacks/addrs"
	"github.com/stagecraft/stagecraft/state"
)

// shiftNoteKey is the state note of a load balancer's stopped shift.
func shiftNoteKey(addr addrs.Instance) string { return "shift:" + addr.String() }

// haltedShift is what the state records when a gate stops a shift.
type haltedShift struct {
	LoadBalancer addrs.Instance `json:"load_balancer"`
	Path         string         `json:"path"`
	At           int            `json:"at"`
	FailedStep   int            `json:"failed_step"`
	Reason       string         `json:"reason"`
	Time         time.Time      `json:"time"`
}

// HaltedShifts turns the state's notes of stopped shifts into warnings.
func HaltedShifts(st *state.State) []string {
	var out []string
	var keys []string
	for k := range st.Notes {
		if strings.HasPrefix(k, "shift:") {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		var h haltedShift
		if json.Unmarshal(st.Notes[k], &h) != nil {
			continue
		}
		out = append(out, fmt.Sprintf("The last apply stopped shifting %s on %s at %d%%: %s. Applying again resumes the shift from there.", h.Path, h.LoadBalancer, h.At, h.Reason))
	}
	return out
}

// GateError is a traffic shift stopped by a failed gate; the traffic is
// back at the last good step.
type GateError struct {
	Address addrs.Instance
	Path    string
	At      int
	Step    int
	Reason  string
}

func (e *GateError) Error() string {
	return fmt.Sprintf("%s: shifting %s stopped at step %d%%: %s; the traffic is back at %d%% and the state records where the shift stopped. Fix the new target and apply again to resume", e.Address, e.Path, e.Step, e.Reason, e.At)
}

// stepCallTimeout bounds the provider call that sets the weights of one
// shift step. An interrupt does not cut that call short, since the journal
// would then not know how the traffic is split; the shift stops after it.
const stepCallTimeout = 2 * time.Minute

// interruptedReason is what the state's note of a shift says when an
// interrupt stopped it.
const interruptedReason = "the apply was interrupted"

// shiftTraffic carries out a load balancer update that moves traffic: for
// each shifted path in turn, it applies the intermediate weights of every
// step, watches the new targets for the bake time, and rolls back to the
// last good step when the gate fails. The last step applies cfg itself.
// An interrupt (ctx cancelled) stops it at the step it is on: the weights
// in force are recorded, and so is where the shift stopped.
func (a *applier) shiftTraffic(ctx context.Context, impl providers.ResourceKind, schema *schema.Schema, c *plan.Change, res *stacks.Resource, cfg cty.Value) error {
	obs, canObserve := impl.(providers.Observer)
	if !canObserve {
		providers.Warn(ctx, c.Address.String(), "this provider reports no health or traffic figures, so traffic moves without gates")
	}
	ref := a.x.Ref(c.Address, c.Kind, c.ID)
	// current holds, per shifted path, the weights now in force.
	current := map[string]map[string]int{}
	for _, sp := range c.Shift.Paths {
		current[sp.Path] = sp.Weights(sp.Start)
	}
	build := func(final bool) cty.Value {
		if final {
			return cfg
		}
		v := cfg
		for _, sp := range c.Shift.Paths {
			v = withRoutes(schema.Routing, v, sp.Path, current[sp.Path])
		}
		return v
	}
	apply := func(v cty.Value, final bool) error {
		prior := c.Before
		if r, ok := a.stateResource(c.Address); ok {
			if pv, err := r.Value(a.x.ImpliedType(schema)); err == nil {
				prior = pv
			}
		}
		prior, _ = prior.UnmarkDeep()
		callCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), stepCallTimeout)
		defer cancel()
		actual, err := impl.Update(callCtx, ref, prior, v)
		if err != nil {
			return opError(OpUpdate, c.Address, err)
		}
		// Until the shift is done, the load balancer depends on every
		// target that still gets traffic, so that a plan made after a
		// crash deletes none of them before the shift is finished.
		var live []addrs.Instance
		if !final {
			live = receiving(current)
		}
		return a.record(ctx, schema, res, actual, "", live...)
	}
	// stop ends the shift of sp, interrupted with share percent of its
	// traffic moved.
	stop := func(sp *plan.ShiftPath, share int, final bool) error {
		var note any
		if !final {
			note = haltedShift{LoadBalancer: c.Address, Path: sp.Path, At: share, Reason: interruptedReason, Time: time.Now().UTC()}
		}
		if err := a.note(ctx, shiftNoteKey(c.Address), note); err != nil {
			return err
		}
		n := 0
		for _, st := range sp.Steps {
			if st <= share && share > 0 {
				n++
			}
		}
		return &InterruptedError{Step: c.Address.String(), Operation: "shifting", Shift: &ShiftStop{Path: sp.Path, Step: n, Steps: len(sp.Steps), Share: share}}
	}
	for pi, sp := range c.Shift.Paths {
		lastGood := sp.Start
		pending := sp.PendingSteps()
		for si, share := range pending {
			if ctx.Err() != nil {
				return stop(sp, lastGood, false)
			}
			final := pi == len(c.Shift.Paths)-1 && si == len(pending)-1
			current[sp.Path] = sp.Weights(share)
			op := fmt.Sprintf("shifting %s to %d%%", sp.Path, share)
			a.emit(Event{Address: c.Address.String(), Operation: op, Phase: PhaseStart})
			start := time.Now()
			if err := apply(build(final), final); err != nil {
				return err
			}
			reason := ""
			if canObserve {
				var err error
				if reason, err = a.gate(ctx, obs, ref, sp); err != nil {
					stopped := stop(sp, share, final)
					a.emit(Event{Address: c.Address.String(), Operation: op, Phase: PhaseInterrupted, Elapsed: time.Since(start), Err: stopped})
					return stopped
				}
			}
			if reason != "" {
				a.emit(Event{Address: c.Address.String(), Operation: op, Phase: PhaseFailed, Elapsed: time.Since(start), Err: fmt.Errorf("gate failed: %s", reason)})
				current[sp.Path] = sp.Weights(lastGood)
				if err := apply(build(false), false); err != nil {
					return fmt.Errorf("%s: the gate failed (%s) and moving the traffic back failed too: %w", c.Address, reason, err)
				}
				note := haltedShift{LoadBalancer: c.Address, Path: sp.Path, At: lastGood, FailedStep: share, Reason: reason, Time: time.Now().UTC()}
				if err := a.note(ctx, shiftNoteKey(c.Address), note); err != nil {
					return err
				}
				return &GateError{Address: c.Address, Path: sp.Path, At: lastGood, Step: share, Reason: reason}
			}
			a.emit(Event{Address: c.Address.String(), Operation: op, Phase: PhaseDone, Elapsed: time.Since(start)})
			lastGood = share
		}
	}
	if len(c.Shift.Paths) == 0 {
		if err := apply(cfg, true); err != nil {
			return err
		}
	}
	return a.note(ctx, shiftNoteKey(c.Address), nil)
}

// receiving lists the targets that weights (per path, target -> percent)
// send traffic to.
func receiving(weights map[string]map[string]int) []addrs.Instance {
	var out []addrs.Instance
	for _, ws := range weights {
		for t, w := range ws {
			if w <= 0 {
				continue
			}
			if addr, err := addrs.Parse(t); err == nil {
				out = append(out, addr)
			}
		}
	}
	return out
}

// gate watches the targets that gain traffic for the bake time and returns
// why they fail it, or "" when they pass: every receiving group must have a
// healthy target, and the share of their requests answered with 5xx must
// stay at or under the limit; each check only where the plan says the
// provider measures it (ShiftPath.Signals). It returns ctx's error when
// an interrupt ends the watch before the bake time is up.
func (a *applier) gate(ctx context.Context, obs providers.Observer, ref providers.Ref, sp *plan.ShiftPath) (string, error) {
	receivers := map[string]bool{}
	for _, r := range sp.Receivers() {
		receivers[r] = true
	}
	count := func(o providers.Observation) map[string][2]int64 {
		out := map[string][2]int64{}
		for _, t := range o.Targets {
			if receivers[t.Group] {
				out[t.ID] = [2]int64{t.Requests, t.Errors5xx}
			}
		}
		return out
	}
	first, err := obs.Observe(ctx, ref, cty.NilVal)
	if ctx.Err() != nil {
		return "", ctx.Err()
	}
	if err != nil {
		return "reading its health failed: " + err.Error(), nil
	}
	before := count(first)
	bake := time.NewTimer(sp.Bake)
	defer bake.Stop()
	select {
	case <-ctx.Done():
		return "", ctx.Err()
	case <-bake.C:
	}
	last, err := obs.Observe(ctx, ref, cty.NilVal)
	if ctx.Err() != nil {
		return "", ctx.Err()
	}
	if err != nil {
		return "reading its health failed: " + err.Error(), nil
	}
	healthy := map[string]bool{}
	var requests, errors int64
	for _, t := range last.Targets {
		if !receivers[t.Group] {
			continue
		}
		if t.Healthy {
			healthy[t.Group] = true
		}
		b := before[t.ID]
		requests += t.Requests - b[0]
		errors += t.Errors5xx - b[1]
	}
	var missing []string
	for r := range receivers {
		if !healthy[r] {
			missing = append(missing, r)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 && sp.Measures(providers.SignalHealth) {
		return strings.Join(missing, " and ") + " has no healthy instance", nil
	}
	if requests > 0 && sp.Measures(providers.Signal5xx) {
		rate := float64(errors) / float64(requests)
		if rate > sp.MaxErrorRate {
			return fmt.Sprintf("%d of %d requests to %s failed (%s, over the %s limit) during the %s bake", errors, requests, strings.Join(sp.Receivers(), " and "), plan.Percent(rate), plan.Percent(sp.MaxErrorRate), sp.Bake), nil
		}
	}
	return "", nil
}

// note records (or, with a nil value, clears) a state note.
func (a *applier) note(ctx context.Context, key string, value any) error {
	a.mu.Lock()
	_, had := a.cur.Notes[key]
	a.mu.Unlock()
	if value == nil && !had {
		return nil
	}
	e, err := state.NoteEntry(key, value)
	if err != nil {
		return err
	}
	if err := a.jw.append(ctx, e); err != nil {
		return err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if value == nil {
		delete(a.cur.Notes, key)
		return nil
	}
	if a.cur.Notes == nil {
		a.cur.Notes = map[string]json.RawMessage{}
	}
	a.cur.Notes[key] = e.Value
	return nil
}

// withRoutes returns a routing configuration (a load balancer's, whose
// roles rt names) whose routes for the shifted path carry the given
// weights, and whose other routes are those of cfg.
func withRoutes(rt *schema.Routing, cfg cty.Value, path string, weights map[string]int) cty.Value {
	cfg, _ = cfg.UnmarkDeep()
	m := cfg.AsValueMap()
	routes := m[rt.Block]
	ety := routes.Type().ElementType()
	var out []cty.Value
	if routes.IsKnown() && !routes.IsNull() {
		for _, r := range routes.AsValueSlice() {
			if p, ok := stringAttr(r, rt.Path); ok && schema.NormalizeRoutePath(p) == path {
				continue
			}
			out = append(out, r)
		}
	}
	var targets []string
	for t := range weights {
		targets = append(targets, t)
	}
	sort.Strings(targets)
	for _, t := range targets {
		attrs := map[string]cty.Value{}
		for name, aty := range ety.AttributeTypes() {
			attrs[name] = cty.NullVal(aty)
		}
		attrs[rt.Path] = cty.StringVal(path)
		attrs[rt.Target] = cty.StringVal(t)
		attrs[rt.Weight] = cty.NumberIntVal(int64(weights[t]))
		out = append(out, cty.ObjectVal(attrs))
	}
	if len(out) == 0 {
		m[rt.Block] = cty.ListValEmpty(ety)
	} else {
		m[rt.Block] = cty.ListVal(out)
	}
	return cty.ObjectVal(m)
}

// stringAttr reads a known, non-null string attribute of an object value.
func stringAttr(obj cty.Value, name string) (string, bool) {
	if obj == cty.NilVal || !obj.IsKnown() || obj.IsNull() || !obj.Type().IsObjectType() || !obj.Type().HasAttribute(name) {
		return "", false
	}
	v := obj.GetAttr(name)
	if !v.IsKnown() || v.IsNull() || v.Type() != cty.String {
		return "", false
	}
	return v.AsString(), true
}
