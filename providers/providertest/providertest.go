// Package providertest is the conformance suite every provider passes: for
// each resource kind it creates a resource, reads it back, re-plans,
// updates it in place, replaces it, deletes it and feeds it bad input,
// checking at each step what the planner relies on. Provider packages call
// Run from a test with fixtures for the kinds they support; Desired builds
// those fixtures (and the planner's test values) from partial objects.
package providertest

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/stagecraft/stagecraft/providers"
	"github.com/stagecraft/stagecraft/providers/kinds"
	"github.com/stagecraft/stagecraft/providers/schema"
)

// Config is what the suite needs from one provider.
type Config struct {
	// Configure is the provider block's value, passed to Configure. The
	// zero value stands for an absent block (an empty object).
	Configure cty.Value
	// Stack and Environment are the owner tags of the resources the suite
	// creates; empty means "providertest" and "conformance".
	Stack       string
	Environment string
	// Fixtures holds the values to test each kind with, by kind name. A
	// kind without a fixture is skipped, naming the kind.
	Fixtures map[string]Fixture
	// Timeout bounds the run of one kind; zero means five minutes.
	Timeout time.Duration
}

// Fixture holds the values one kind is tested with. Each conforms to the
// provider's schema of the kind (build them with Desired), with computed
// attributes null. The suite checks the fixture against the schema first,
// so a fixture that does not test what it claims to fails loudly.
type Fixture struct {
	// Desired is the configuration created first.
	Desired cty.Value
	// Updated differs from Desired in attributes that change in place and
	// in no force-new attribute. It may be left zero only for a kind that
	// has no attribute that changes in place (network); the suite then
	// updates with Desired itself, which must keep the resource as it is.
	Updated cty.Value
	// Replaced differs from Desired in at least one force-new attribute.
	Replaced cty.Value
	// Invalid is a value the provider must reject on create, with an error
	// that names the resource's address.
	Invalid cty.Value
}

// Run runs the conformance suite against p: it configures p with
// cfg.Configure and then runs one subtest per resource kind, each a
// sequence of step subtests in which a failing step ends its kind. Kinds
// run one after another, so a provider that starts real processes is not
// asked to start them all at once.
func Run(t *testing.T, p providers.Provider, cfg Config) {
	t.Helper()
	if cfg.Configure == cty.NilVal {
		cfg.Configure = cty.EmptyObjectVal
	}
	if cfg.Stack == "" {
		cfg.Stack = "providertest"
	}
	if cfg.Environment == "" {
		cfg.Environment = "conformance"
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 5 * time.Minute
	}
	if diags := p.Configure(t.Context(), cfg.Configure); diags.HasErrors() {
		t.Fatalf("configure the %s provider: %s", p.Name(), diags.Error())
	}
	names := kinds.Names()
	for name := range cfg.Fixtures {
		if _, ok := kinds.Schema(name); !ok {
			t.Errorf("Fixtures has an entry for %q, which is not a resource kind; the kinds are %s", name, strings.Join(names, ", "))
		}
	}
	for _, kind := range names {
		t.Run(kind, func(t *testing.T) {
			fx, ok := cfg.Fixtures[kind]
			if !ok {
				t.Skipf("no fixture for %s: the %s provider's conformance run does not cover it", kind, p.Name())
			}
			k, ok := p.Kind(kind)
			if !ok {
				t.Fatalf("the %s provider does not support %s, but a fixture for it is given", p.Name(), kind)
			}
			newKindRun(t, k, kind, cfg, fx).run(t)
		})
	}
}

// kindRun is the state of the suite for one kind, carried from step to
// step.
type kindRun struct {
	kind   string
	k      providers.ResourceKind
	schema *schema.Schema
	fx     Fixture
	ctx    context.Context
	stack  string
	env    string

	// ref is the resource under test (its ID set once created), last its
	// latest Read, config the configuration it should have.
	ref    providers.Ref
	last   cty.Value
	config cty.Value
	// created is Create's answer for ref.
	created cty.Value
	// replaced is the ref of the resource the replacement superseded.
	replaced providers.Ref
	// live holds what the suite created and has not deleted, for cleanup.
	live map[string]providers.Ref
}

func newKindRun(t *testing.T, k providers.ResourceKind, kind string, cfg Config, fx Fixture) *kindRun {
	ctx, cancel := context.WithTimeout(t.Context(), cfg.Timeout)
	t.Cleanup(cancel)
	r := &kindRun{
		kind: kind, k: k, schema: k.Schema(), fx: fx, ctx: ctx,
		stack: cfg.Stack, env: cfg.Environment,
		ref:  providers.Ref{Address: kind + ".conformance", Kind: kind, Stack: cfg.Stack, Environment: cfg.Environment},
		live: map[string]providers.Ref{},
	}
	t.Cleanup(func() { r.cleanup(t) })
	return r
}

func (r *kindRun) run(t *testing.T) {
	steps := []struct {
		name string
		run  func(t *testing.T)
	}{
		// The fixture is checked first: a wrong fixture makes every later
		// step meaningless.
		{"fixture", r.checkFixture},
		// Bad input needs no resource, so it runs before the lifecycle.
		{"invalid rejected", r.invalid},
		{"create", r.create},
		{"read back", r.readBack},
		// A second Read must equal the first, or every plan shows changes.
		{"re-plan is a no-op", r.noOp},
		{"batch read", r.batchRead},
		{"discover", r.discover},
		{"update in place", r.update},
		// Replacement runs after update so that it starts from Updated.
		{"replace", r.replace},
		{"delete", r.delete},
	}
	for _, s := range steps {
		if !t.Run(s.name, s.run) {
			return
		}
	}
}

// checkFixture makes sure the fixture tests what it claims to.
func (r *kindRun) checkFixture(t *testing.T) {
	ty := r.schema.ImpliedType()
	if r.schema.Kind != r.kind {
		t.Errorf("Schema().Kind is %q, want %q", r.schema.Kind, r.kind)
	}
	for _, f := range []struct {
		name string
		v    cty.Value
		need bool
	}{
		{"Desired", r.fx.Desired, true},
		{"Updated", r.fx.Updated, false},
		{"Replaced", r.fx.Replaced, true},
	} {
		if f.v == cty.NilVal {
			if f.need {
				t.Fatalf("the fixture has no %s value; build one with providertest.Desired", f.name)
			}
			continue
		}
		if errs := f.v.Type().TestConformance(ty); len(errs) > 0 {
			t.Fatalf("the fixture's %s value does not conform to the schema of %s: %v", f.name, r.kind, errs)
		}
		if ps := setComputed(&r.schema.Block, nil, f.v); len(ps) > 0 {
			t.Fatalf("the fixture's %s value sets computed attributes (%s); leave them null, the provider sets them", f.name, strings.Join(ps, ", "))
		}
	}
	if r.fx.Invalid == cty.NilVal {
		t.Fatalf("the fixture has no Invalid value; give one the provider must reject")
	}

	if r.fx.Updated == cty.NilVal {
		if names := updatable(&r.schema.Block, ""); len(names) > 0 {
			t.Fatalf("the fixture has no Updated value, but %s has attributes that change in place (%s); change one of them in Updated", r.kind, strings.Join(names, ", "))
		}
		t.Logf("%s has no attribute that changes in place: the update step updates with Desired itself", r.kind)
	} else {
		changed := r.configChanges(r.fx.Desired, r.fx.Updated)
		if len(changed) == 0 {
			t.Errorf("the fixture's Updated value configures the same as Desired; change an attribute that updates in place (%s)", strings.Join(updatable(&r.schema.Block, ""), ", "))
		}
		for _, p := range changed {
			if r.schema.IsForceNew(p) {
				t.Errorf("the fixture's Updated value changes %s, which forces a replacement; an in-place change may only touch attributes that are not force-new", schema.PathString(p))
			}
		}
	}
	forceNew := false
	changed := r.configChanges(r.fx.Desired, r.fx.Replaced)
	for _, p := range changed {
		forceNew = forceNew || r.schema.IsForceNew(p)
	}
	if !forceNew {
		t.Errorf("the fixture's Replaced value changes %s compared with Desired, none of which forces a replacement; change one of %s",
			pathList(changed), strings.Join(forceNewNames(&r.schema.Block, ""), ", "))
	}
}

// configChanges lists where b differs from a, ignoring computed attributes.
func (r *kindRun) configChanges(a, b cty.Value) []cty.Path {
	var out []cty.Path
	for _, p := range valueDiff(nil, a, b) {
		if attr, ok := r.schema.AttributeAt(p); ok && attr.Computed && !attr.Optional {
			continue
		}
		out = append(out, p)
	}
	return out
}

func (r *kindRun) invalid(t *testing.T) {
	ref := providers.Ref{Address: r.kind + ".conformance_invalid", Kind: r.kind, Stack: r.stack, Environment: r.env}
	actual, err := r.k.Create(r.ctx, ref, r.fx.Invalid)
	if err == nil {
		if id, ok := idOf(actual); ok {
			ref.ID = id
			r.live[id] = ref
		}
		t.Fatalf("Create accepted the Invalid fixture %s; the provider must reject it with an error", render(r.fx.Invalid))
	}
	if !strings.Contains(err.Error(), ref.Address) {
		t.Errorf("Create rejected the Invalid fixture with %q, which does not name the address %s; errors must say what they concern", err, ref.Address)
	}
	var oe *providers.OperationError
	if !errors.As(err, &oe) || oe.Address != ref.Address {
		t.Errorf("Create rejected the Invalid fixture with %q, which is not a *providers.OperationError about %s; the planner would name the address a second time", err, ref.Address)
	}
}

func (r *kindRun) create(t *testing.T) {
	actual, err := r.k.Create(r.ctx, r.ref, r.fx.Desired)
	if err != nil {
		t.Fatalf("Create %s: %v", r.ref.Address, err)
	}
	r.ref.ID = r.checkActual(t, "Create", actual)
	r.live[r.ref.ID] = r.ref
	r.created, r.config = actual, r.fx.Desired
	r.expectConfig(t, "Create", r.config, actual)
}

func (r *kindRun) readBack(t *testing.T) {
	got := r.mustRead(t, r.ref)
	r.expectConfig(t, "Read", r.config, got)
	if d := exactDiff(r.created, got); len(d) > 0 {
		t.Errorf("Read returns a value that differs from what Create returned, so the next plan would report drift:\n  %s", strings.Join(d, "\n  "))
	}
	r.last = got
}

func (r *kindRun) noOp(t *testing.T) {
	got := r.mustRead(t, r.ref)
	if d := exactDiff(r.last, got); len(d) > 0 {
		t.Errorf("a second Read differs from the first, so every plan would show changes:\n  %s", strings.Join(d, "\n  "))
	}
	r.last = got
}

func (r *kindRun) batchRead(t *testing.T) {
	br, ok := r.k.(providers.BatchReader)
	if !ok {
		t.Skipf("%s does not implement providers.BatchReader", r.kind)
	}
	res, err := br.ReadMany(r.ctx, []providers.Ref{r.ref})
	if err != nil {
		t.Fatalf("ReadMany: %v", err)
	}
	if len(res) != 1 {
		t.Fatalf("ReadMany of 1 ref returned %d results", len(res))
	}
	if res[0].Err != nil || !res[0].Exists {
		t.Fatalf("ReadMany of %s (id %s): exists=%t, err=%v; Read found it", r.ref.Address, r.ref.ID, res[0].Exists, res[0].Err)
	}
	if d := exactDiff(r.last, res[0].Actual); len(d) > 0 {
		t.Errorf("ReadMany disagrees with Read:\n  %s", strings.Join(d, "\n  "))
	}
}

func (r *kindRun) discover(t *testing.T) {
	d, ok := r.k.(providers.Discoverer)
	if !ok {
		t.Skipf("%s does not implement providers.Discoverer", r.kind)
	}
	found, err := d.Discover(r.ctx, r.stack, r.env)
	if err != nil {
		t.Fatalf("Discover(%q, %q): %v", r.stack, r.env, err)
	}
	for _, f := range found {
		if f.Ref.ID != r.ref.ID {
			continue
		}
		want := r.ref
		if f.Ref != want {
			t.Errorf("Discover found id %s as %+v, want %+v (the ref must carry the address, kind and owner tags)", r.ref.ID, f.Ref, want)
		}
		if d := exactDiff(r.last, f.Actual); len(d) > 0 {
			t.Errorf("Discover's value disagrees with Read:\n  %s", strings.Join(d, "\n  "))
		}
		return
	}
	t.Errorf("Discover(%q, %q) did not find %s (id %s) among %d resources; it must carry the stagecraft tags", r.stack, r.env, r.ref.Address, r.ref.ID, len(found))
}

func (r *kindRun) update(t *testing.T) {
	desired := r.fx.Updated
	if desired == cty.NilVal {
		desired = r.fx.Desired
	}
	actual, err := r.k.Update(r.ctx, r.ref, r.last, desired)
	if err != nil {
		t.Fatalf("Update %s: %v", r.ref.Address, err)
	}
	if id := r.checkActual(t, "Update", actual); id != r.ref.ID {
		t.Errorf("Update changed the id from %s to %s; an in-place update keeps the resource", r.ref.ID, id)
	}
	r.config = desired
	r.expectConfig(t, "Update", desired, actual)
	got := r.mustRead(t, r.ref)
	r.expectConfig(t, "Read after Update", desired, got)
	if d := exactDiff(actual, got); len(d) > 0 {
		t.Errorf("Read after Update differs from what Update returned, so the next plan would report drift:\n  %s", strings.Join(d, "\n  "))
	}
	again := r.mustRead(t, r.ref)
	if d := exactDiff(got, again); len(d) > 0 {
		t.Errorf("a second Read after Update differs from the first, so every plan would show changes:\n  %s", strings.Join(d, "\n  "))
	}
	r.last = got
}

func (r *kindRun) replace(t *testing.T) {
	old, oldActual := r.ref, r.last
	next := r.ref
	next.ID = ""
	if r.schema.UniqueNames {
		// Destroy before create: the provider cannot hold both.
		r.mustDelete(t, old, oldActual)
	}
	actual, err := r.k.Create(r.ctx, next, r.fx.Replaced)
	if err != nil {
		t.Fatalf("Create the replacement of %s: %v", next.Address, err)
	}
	next.ID = r.checkActual(t, "Create (replacement)", actual)
	r.live[next.ID] = next
	r.ref, r.created, r.config, r.replaced = next, actual, r.fx.Replaced, old
	r.expectConfig(t, "Create (replacement)", r.fx.Replaced, actual)
	if !r.schema.UniqueNames {
		if next.ID == old.ID {
			t.Fatalf("the replacement got the old resource's id %s; a replacement is a new resource", old.ID)
		}
		if _, exists, err := r.k.Read(r.ctx, old); err != nil || !exists {
			t.Fatalf("after creating the replacement, Read of the old resource (id %s): exists=%t, err=%v; both must exist until the old one is deleted", old.ID, exists, err)
		}
		r.mustDelete(t, old, oldActual)
	}
	got := r.mustRead(t, next)
	r.expectConfig(t, "Read of the replacement", r.fx.Replaced, got)
	if d := exactDiff(actual, got); len(d) > 0 {
		t.Errorf("Read of the replacement differs from what Create returned:\n  %s", strings.Join(d, "\n  "))
	}
	r.last = got
}

func (r *kindRun) delete(t *testing.T) {
	r.mustDelete(t, r.ref, r.last)
	if err := r.k.Delete(r.ctx, r.ref, r.last); err != nil {
		t.Errorf("Delete of %s a second time: %v; deleting something already gone is not an error", r.ref.Address, err)
	}
	gone := []providers.Ref{r.ref, r.replaced}
	if br, ok := r.k.(providers.BatchReader); ok {
		res, err := br.ReadMany(r.ctx, gone)
		switch {
		case err != nil:
			t.Errorf("ReadMany of deleted resources: %v", err)
		case len(res) != len(gone):
			t.Errorf("ReadMany of %d refs returned %d results", len(gone), len(res))
		default:
			for i, rr := range res {
				if rr.Exists || rr.Err != nil {
					t.Errorf("ReadMany of deleted %s (id %s): exists=%t, err=%v; Read reports it absent", gone[i].Address, gone[i].ID, rr.Exists, rr.Err)
				}
			}
		}
	}
	if d, ok := r.k.(providers.Discoverer); ok {
		found, err := d.Discover(r.ctx, r.stack, r.env)
		if err != nil {
			t.Errorf("Discover after delete: %v", err)
		}
		for _, f := range found {
			for _, g := range gone {
				if f.Ref.ID == g.ID {
					t.Errorf("Discover still finds deleted %s (id %s)", g.Address, g.ID)
				}
			}
		}
	}
}

// mustDelete deletes ref and checks that Read then reports it absent.
func (r *kindRun) mustDelete(t *testing.T, ref providers.Ref, prior cty.Value) {
	t.Helper()
	if err := r.k.Delete(r.ctx, ref, prior); err != nil {
		t.Fatalf("Delete %s (id %s): %v", ref.Address, ref.ID, err)
	}
	delete(r.live, ref.ID)
	actual, exists, err := r.k.Read(r.ctx, ref)
	if err != nil {
		t.Fatalf("Read after Delete of %s (id %s): %v; a deleted resource reads as absent, not as an error", ref.Address, ref.ID, err)
	}
	if exists {
		t.Fatalf("Read after Delete of %s (id %s) still finds it: %s", ref.Address, ref.ID, render(actual))
	}
}

func (r *kindRun) mustRead(t *testing.T, ref providers.Ref) cty.Value {
	t.Helper()
	got, exists, err := r.k.Read(r.ctx, ref)
	if err != nil {
		t.Fatalf("Read %s (id %s): %v", ref.Address, ref.ID, err)
	}
	if !exists {
		t.Fatalf("Read %s (id %s) reports it absent", ref.Address, ref.ID)
	}
	r.checkActual(t, "Read", got)
	return got
}

// checkActual checks the shape of a value a provider returned and returns
// its id.
func (r *kindRun) checkActual(t *testing.T, op string, actual cty.Value) string {
	t.Helper()
	ty := r.schema.ImpliedType()
	if actual == cty.NilVal || actual.IsNull() {
		t.Fatalf("%s returned a null value", op)
	}
	if errs := actual.Type().TestConformance(ty); len(errs) > 0 {
		t.Fatalf("%s returned a value that does not conform to the schema: %v", op, errs)
	}
	if !actual.IsWhollyKnown() {
		t.Errorf("%s returned unknown values: %s; after the call every attribute is known", op, render(actual))
	}
	id, ok := idOf(actual)
	if !ok {
		t.Fatalf("%s returned no id: the computed id attribute must be a non-empty string", op)
	}
	return id
}

// expectConfig reports where got does not hold the configuration want.
func (r *kindRun) expectConfig(t *testing.T, op string, want, got cty.Value) {
	t.Helper()
	if d := configDiff(&r.schema.Block, nil, want, got); len(d) > 0 {
		t.Errorf("%s returned a value that differs from the configuration:\n  %s", op, strings.Join(d, "\n  "))
	}
}

// cleanup deletes what a failed run left behind.
func (r *kindRun) cleanup(t *testing.T) {
	if len(r.live) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for id, ref := range r.live {
		if err := r.k.Delete(ctx, ref, cty.NullVal(r.schema.ImpliedType())); err != nil {
			t.Errorf("clean up %s (id %s): %v", ref.Address, id, err)
		}
	}
}

// idOf returns the id attribute of an actual value.
func idOf(v cty.Value) (string, bool) {
	if v == cty.NilVal || !v.IsKnown() || v.IsNull() || !v.Type().IsObjectType() || !v.Type().HasAttribute("id") {
		return "", false
	}
	id, _ := v.GetAttr("id").Unmark()
	if !id.IsKnown() || id.IsNull() || id.Type() != cty.String || id.AsString() == "" {
		return "", false
	}
	return id.AsString(), true
}

// setComputed lists the computed-only attributes that v sets.
func setComputed(b *schema.Block, path cty.Path, v cty.Value) []string {
	if v.IsNull() || !v.IsKnown() {
		return nil
	}
	var out []string
	for _, a := range b.Attributes {
		if a.Computed && !a.Optional && !v.GetAttr(a.Name).IsNull() {
			out = append(out, schema.PathString(path.GetAttr(a.Name)))
		}
	}
	for _, nb := range b.Blocks {
		bv := v.GetAttr(nb.TypeName)
		p := path.GetAttr(nb.TypeName)
		if nb.Nesting != schema.NestingList {
			out = append(out, setComputed(&nb.Block, p, bv)...)
			continue
		}
		if bv.IsNull() || !bv.IsKnown() {
			continue
		}
		for i, e := range bv.AsValueSlice() {
			out = append(out, setComputed(&nb.Block, p.IndexInt(i), e)...)
		}
	}
	return out
}

// updatable lists the configurable attributes that change in place.
func updatable(b *schema.Block, prefix string) []string {
	var out []string
	for _, a := range b.Attributes {
		if (a.Required || a.Optional) && !a.ForceNew {
			out = append(out, prefix+a.Name)
		}
	}
	for _, nb := range b.Blocks {
		out = append(out, updatable(&nb.Block, prefix+nb.TypeName+".")...)
	}
	return out
}

// forceNewNames lists the configurable attributes that force a
// replacement.
func forceNewNames(b *schema.Block, prefix string) []string {
	var out []string
	for _, a := range b.Attributes {
		if (a.Required || a.Optional) && a.ForceNew {
			out = append(out, prefix+a.Name)
		}
	}
	for _, nb := range b.Blocks {
		out = append(out, forceNewNames(&nb.Block, prefix+nb.TypeName+".")...)
	}
	return out
}

func pathList(ps []cty.Path) string {
	if len(ps) == 0 {
		return "nothing"
	}
	ss := make([]string, len(ps))
	for i, p := range ps {
		ss[i] = schema.PathString(p)
	}
	return strings.Join(ss, ", ")
}
