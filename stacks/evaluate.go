package stacks

import (
	"fmt"
	"slices"
	"sort"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/stagecraft/stagecraft/providers/schema"
	"github.com/stagecraft/stagecraft/stacks/addrs"
)

// Evaluate produces the desired set of one environment at its target stage
// (or req.Stage). Problems come back as diagnostics; the set is nil when
// any of them is an error.
func (s *Stack) Evaluate(req Request) (*DesiredSet, hcl.Diagnostics) {
	env, ok := s.Environment(req.Environment)
	if !ok {
		return nil, hcl.Diagnostics{s.unknownEnvironment(req.Environment)}
	}
	stage := env.Stage
	if req.Stage != "" {
		stage = req.Stage
	}
	ds, diags := s.evaluate(env, stage, env.Provider, modePlan, req)
	diags = dedupe(diags)
	if diags.HasErrors() {
		return nil, diags
	}
	return ds, diags
}

func (s *Stack) unknownEnvironment(name string) *hcl.Diagnostic {
	if len(s.Environments) == 0 {
		return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "No environments",
			Detail: "The stack has no environment block. Add one, such as environment \"dev\" { provider = \"local\"  stage = \"...\" }."}
	}
	return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Unknown environment",
		Detail: fmt.Sprintf("There is no environment %q.%s The environments are: %s.", name, suggestion(name, s.EnvironmentNames()), quotedList(s.EnvironmentNames()))}
}

// ValidateRequest says which inputs validation may use; every field is
// optional.
type ValidateRequest struct {
	Vars   []VarInput
	Getenv func(string) string
	// KnownProviders, when set, lists the provider names that exist; an
	// environment naming another is an error.
	KnownProviders []string
}

// Validate checks the whole stack in one pass: every stage on its own, for
// every provider's settings, and every environment at its target stage
// with its provider. Variables without a value are unknown, so only what
// can be checked is.
func (s *Stack) Validate(req ValidateRequest) hcl.Diagnostics {
	var diags hcl.Diagnostics
	r := Request{Vars: req.Vars, Getenv: req.Getenv}
	for _, st := range s.Stages {
		_, d := s.evaluate(nil, st.Name, "", modeValidate, r)
		diags = append(diags, d...)
	}
	for _, env := range s.Environments {
		if req.KnownProviders != nil && env.Provider != "" && !contains(req.KnownProviders, env.Provider) {
			r := env.providerRange
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Unknown provider",
				Detail:  fmt.Sprintf("Environment %q uses provider %q, which this stagecraft does not have.%s The providers are: %s.", env.Name, env.Provider, suggestion(env.Provider, req.KnownProviders), quotedList(req.KnownProviders)),
				Subject: &r})
			continue
		}
		if _, ok := s.Stage(env.Stage); !ok {
			continue // reported while loading
		}
		r.Environment = env.Name
		_, d := s.evaluate(env, env.Stage, env.Provider, modeValidate, r)
		diags = append(diags, d...)
	}
	return dedupe(diags)
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// evaluate runs one evaluation. env may be nil when a stage is checked on
// its own.
func (s *Stack) evaluate(env *Environment, stageName, provider string, mode evalMode, req Request) (*DesiredSet, hcl.Diagnostics) {
	ev, root := s.newEvaluation(env, stageName, provider, mode, req)
	if root == nil {
		return nil, ev.diags
	}
	root.runBody(s.Variables, s.Locals, root.stage.resources, root.stage.modules, s.Outputs)
	ds := &DesiredSet{Stack: s.Name, Stage: stageName, Provider: provider, ProviderConfig: cty.EmptyObjectVal}
	if env != nil {
		ds.Environment = env.Name
		ds.ProviderConfig = root.providerConfig(provider)
		ds.Backend = root.backendConfig(env)
	}
	slices.SortFunc(ev.resources, func(a, b *Resource) int { return addrs.Compare(a.Address, b.Address) })
	ds.Resources = ev.resources
	ds.SourceHash = ev.reads.hash(s.Hash)
	ds.blocks = ev.blocks
	ds.reads = ev.reads.snapshot()
	for _, o := range s.Outputs {
		v, ok := root.outputVals[o.Name]
		if !ok {
			continue // belongs to blocks of other stages
		}
		ds.Outputs = append(ds.Outputs, &OutputValue{Name: o.Name, Description: o.Description, Value: v, Sensitive: o.Sensitive})
	}
	sort.Slice(ds.Outputs, func(i, j int) bool { return ds.Outputs[i].Name < ds.Outputs[j].Name })
	return ds, ev.diags
}

// EvaluateProvider evaluates only the settings of the environment's
// provider, which may refer to variables, environment, stage and stack
// but to no resource: what a command needs to configure the provider
// before planning, without evaluating every resource of a large stack one
// time more. Problems with the rest of the stack come from Evaluate.
func (s *Stack) EvaluateProvider(req Request) (cty.Value, hcl.Diagnostics) {
	env, ok := s.Environment(req.Environment)
	if !ok {
		return cty.NilVal, hcl.Diagnostics{s.unknownEnvironment(req.Environment)}
	}
	stage := env.Stage
	if req.Stage != "" {
		stage = req.Stage
	}
	ev, root := s.newEvaluation(env, stage, env.Provider, modePlan, req)
	if root == nil {
		return cty.NilVal, dedupe(ev.diags)
	}
	root.validateVariables(s.Variables)
	root.varObj = cty.ObjectVal(root.vars)
	v := root.providerConfig(env.Provider)
	return v, dedupe(ev.diags)
}

// newEvaluation sets up one evaluation: the evaluator and its root scope
// with the root variables set. The scope is nil when the stage cannot be
// resolved (the evaluator's diagnostics say why).
func (s *Stack) newEvaluation(env *Environment, stageName, provider string, mode evalMode, req Request) (*evaluator, *scope) {
	rs, diags := s.resolveStage(stageName)
	if rs == nil {
		return &evaluator{diags: diags}, nil
	}
	envName := cty.UnknownVal(cty.String)
	if env != nil {
		envName = cty.StringVal(env.Name)
	}
	ev := &evaluator{
		stack:    s,
		provider: provider,
		mode:     mode,
		known:    req.Known,
		reads:    newFileReads(),
		reuse:    req.Reuse,
		blocks:   map[string]*blockResult{},
		same:     map[string]bool{},
		types:    schema.TypeCache{},
		globals: map[string]cty.Value{
			"environment": cty.ObjectVal(map[string]cty.Value{"name": envName}),
			"stage":       cty.ObjectVal(map[string]cty.Value{"name": cty.StringVal(stageName)}),
			"stack":       cty.ObjectVal(map[string]cty.Value{"name": cty.StringVal(s.Name)}),
		},
	}
	ev.diags = diags
	if req.Reuse != nil && req.Reuse.Previous != nil {
		// Blocks taken over do not read their files again.
		for name, digest := range req.Reuse.Previous.reads {
			ev.reads.note(name, digest)
		}
	}
	root := newScope(ev, addrs.RootModule, s.fsys, s.dir, s.files, "")
	root.stage = rs
	root.rootVariables(s.Variables, env, req)
	return ev, root
}

// providerConfig evaluates the provider block of the named provider. It may
// use variables and functions, not resources.
func (sc *scope) providerConfig(name string) cty.Value {
	p, ok := sc.ev.stack.Provider(name)
	if !ok {
		return cty.EmptyObjectVal
	}
	return sc.attributesObject(p.Body, "provider "+name)
}

func (sc *scope) backendConfig(env *Environment) *BackendConfig {
	if env.Backend == nil {
		return nil
	}
	return &BackendConfig{Type: env.Backend.Type, Config: sc.attributesObject(env.Backend.Body, "backend "+env.Backend.Type), DeclRange: env.Backend.DeclRange}
}

// attributesObject evaluates a body of plain attributes with variables and
// functions in scope.
func (sc *scope) attributesObject(body hcl.Body, what string) cty.Value {
	attrs, d := body.JustAttributes()
	sc.addDiags(d)
	ctx := &hcl.EvalContext{Variables: map[string]cty.Value{"var": sc.varObj}, Functions: sc.funcs}
	for k, v := range sc.ev.globals {
		ctx.Variables[k] = v
	}
	out := map[string]cty.Value{}
	for _, a := range sortedAttributes(attrs) {
		for _, tr := range a.Expr.Variables() {
			switch tr.RootName() {
			case "var", "environment", "stage", "stack":
			default:
				sc.errorf(tr.SourceRange(), "Invalid reference in "+what,
					"Settings of a %s may use variables (var.NAME) and functions, not %s: they are needed before any resource exists.", what, traversalString(tr))
			}
		}
		v, vd := exprValue(a.Expr, ctx)
		sc.addDiags(vd)
		if vd.HasErrors() {
			v = cty.DynamicVal
		}
		out[a.Name] = v
	}
	return cty.ObjectVal(out)
}
