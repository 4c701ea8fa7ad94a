package cmd

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/stagecraft/stagecraft/planner"
	"github.com/stagecraft/stagecraft/providers"
	"github.com/stagecraft/stagecraft/render"
	"github.com/stagecraft/stagecraft/stacks"
	"github.com/stagecraft/stagecraft/stacks/addrs"
	"github.com/stagecraft/stagecraft/stacks/stackfs"
	"github.com/stagecraft/stagecraft/state"
)

// dataDirName is where Stagecraft keeps its files inside a stack directory.
const dataDirName = ".stagecraft"

// workspace is a loaded stack and the environment a command works on.
type workspace struct {
	deps  *Deps
	g     *GlobalOptions
	dir   string // absolute stack directory
	stack *stacks.Stack
	env   *stacks.Environment
	// intr, in a command that changes things, reads its interrupts
	// (watchInterrupts); carryOut starts its own when it is nil.
	intr *interrupts
}

// printDiags writes diagnostics to stderr as text, or to stdout as JSON
// under -o json.
func printDiags(deps *Deps, g *GlobalOptions, files map[string]*hcl.File, diags hcl.Diagnostics) {
	if len(diags) == 0 {
		return
	}
	if g.Output == "json" {
		_ = render.DiagnosticsJSON(deps.IO.Out, diags)
		return
	}
	_ = render.Diagnostics(deps.IO.ErrOut, files, diags, render.Options{Color: deps.IO.color(deps.IO.ErrOutTTY, g.NoColor)})
}

// loadStack reads the stack directory, printing any diagnostics.
func loadStack(deps *Deps, g *GlobalOptions) (*stacks.Stack, string, error) {
	abs, err := filepath.Abs(g.Dir)
	if err != nil {
		return nil, "", userError("cannot resolve the stack directory %q: %s.", g.Dir, err)
	}
	if info, err := os.Stat(abs); err != nil || !info.IsDir() {
		return nil, "", userError("there is no stack directory %q; run stagecraft in a directory with stack files, or point -C at one.", g.Dir)
	}
	st, diags := stacks.Load(g.Dir)
	files := map[string]*hcl.File{}
	if st != nil {
		files = st.Files
	}
	if diags.HasErrors() {
		printDiags(deps, g, files, diags)
		return nil, "", silentExit(ExitError)
	}
	printDiags(deps, g, files, diags)
	return st, abs, nil
}

// openWorkspace loads the stack and picks the environment.
func openWorkspace(deps *Deps, g *GlobalOptions) (*workspace, error) {
	st, abs, err := loadStack(deps, g)
	if err != nil {
		return nil, err
	}
	w := &workspace{deps: deps, g: g, dir: abs, stack: st}
	names := st.EnvironmentNames()
	switch {
	case g.Env != "":
		env, ok := st.Environment(g.Env)
		if !ok {
			if len(names) == 0 {
				return nil, userError("there is no environment %q: the stack has no environment block. Add one, such as environment \"dev\" { provider = \"local\"  stage = \"...\" }.", g.Env)
			}
			return nil, userError("there is no environment %q; the environments are %s.", g.Env, strings.Join(names, ", "))
		}
		w.env = env
	case len(names) == 1:
		w.env = st.Environments[0]
	case len(names) == 0:
		return nil, userError("the stack has no environment block; add one, such as environment \"dev\" { provider = \"local\"  stage = \"...\" }.")
	default:
		return nil, userError("the stack has several environments (%s); choose one with -e.", strings.Join(names, ", "))
	}
	return w, nil
}

// request is the evaluation request for this workspace's environment.
func (w *workspace) request(stage string) stacks.Request {
	return stacks.Request{Environment: w.env.Name, Stage: stage, Vars: w.g.Vars, Getenv: w.deps.Getenv}
}

// checkStage reports an unknown --stage as one sentence.
func (w *workspace) checkStage(stage string) error {
	if stage == "" {
		return nil
	}
	if _, ok := w.stack.Stage(stage); !ok {
		return userError("there is no stage %q; the stages are %s.", stage, strings.Join(w.stack.StageNames(), ", "))
	}
	return nil
}

// evaluate evaluates the environment, printing diagnostics.
func (w *workspace) evaluate(req stacks.Request) (*stacks.DesiredSet, error) {
	ds, diags := w.stack.Evaluate(req)
	if diags.HasErrors() {
		printDiags(w.deps, w.g, w.stack.Files, diags)
		return nil, silentExit(ExitError)
	}
	return ds, nil
}

// backend opens the environment's state backend.
func (w *workspace) backend() (state.Backend, error) {
	return w.openBackend(context.Background(), w.env.Backend) // see state_backend.go
}

// openWorkspaceBackend opens the workspace and its environment's state
// backend: the first step of every command that reads or writes the state.
func openWorkspaceBackend(deps *Deps, g *GlobalOptions) (*workspace, state.Backend, error) {
	return openWorkspaceAtStage(deps, g, "")
}

// openWorkspaceAtStage is openWorkspaceBackend for the commands that take
// --stage: an unknown stage is reported before the backend is opened.
func openWorkspaceAtStage(deps *Deps, g *GlobalOptions, stage string) (*workspace, state.Backend, error) {
	w, err := openWorkspace(deps, g)
	if err != nil {
		return nil, nil, err
	}
	if err := w.checkStage(stage); err != nil {
		return nil, nil, err
	}
	b, err := w.backend()
	if err != nil {
		return nil, nil, err
	}
	return w, b, nil
}

// readState reads the stored state (nil when there is none yet), with a
// read error as one sentence for the user.
func readState(ctx context.Context, b state.Backend) (*state.State, error) {
	st, err := b.Read(ctx)
	if err != nil {
		return nil, userError("cannot read the state: %s", err)
	}
	return st, nil
}

// readWorkspaceState opens the workspace and reads its environment's
// state (nil when there is none yet), for the commands that only look at
// it.
func readWorkspaceState(ctx context.Context, deps *Deps, g *GlobalOptions) (*workspace, *state.State, error) {
	w, b, err := openWorkspaceBackend(deps, g)
	if err != nil {
		return nil, nil, err
	}
	st, err := readState(ctx, b)
	if err != nil {
		return nil, nil, err
	}
	return w, st, nil
}

// closeProvider releases what a provider holds open (processes,
// connections), for the providers that hold anything.
func closeProvider(p providers.Provider) {
	if c, ok := p.(interface{ Close() error }); ok {
		_ = c.Close()
	}
}

// keepsFiles reports whether the environment's provider keeps files on
// this machine (providers.Workspace): configuring it touches them, so the
// commands that configure it hold the state lock.
func (w *workspace) keepsFiles() bool {
	p, ok := w.deps.Registry.New(w.env.Provider)
	if !ok {
		return false
	}
	_, ok = p.(providers.Workspace)
	return ok
}

// provider builds and configures the environment's provider.
func (w *workspace) provider(ctx context.Context, config cty.Value) (providers.Provider, error) {
	p, ok := w.deps.Registry.New(w.env.Provider)
	if !ok {
		return nil, userError("environment %q uses provider %q, which this stagecraft does not have; the providers are %s.", w.env.Name, w.env.Provider, strings.Join(w.deps.Registry.Names(), ", "))
	}
	if ws, ok := p.(providers.Workspace); ok {
		ws.SetWorkspace(providers.WorkspaceInfo{Dir: w.dir, DataDir: filepath.Join(w.dir, dataDirName), Stack: w.stack.Name, Environment: w.env.Name})
	}
	if diags := p.Configure(ctx, config); diags.HasErrors() {
		for _, d := range diags {
			if d.Subject == nil {
				if pb, ok := w.stack.Provider(w.env.Provider); ok {
					r := pb.DeclRange
					d.Subject = &r
				}
			}
		}
		printDiags(w.deps, w.g, w.stack.Files, diags)
		return nil, silentExit(ExitError)
	}
	return p, nil
}

// planner wires the planner for this environment with the given inputs.
func (w *workspace) planner(p providers.Provider, req stacks.Request) *planner.Planner {
	return &planner.Planner{
		Provider: p, ProviderName: w.env.Provider, Stack: w.stack.Name, Environment: w.env.Name,
		Parallelism: w.g.Parallelism,
		Evaluate: func(known map[addrs.Instance]cty.Value, reuse *stacks.Reuse) (*stacks.DesiredSet, hcl.Diagnostics) {
			r := req
			r.Known = known
			r.Reuse = reuse
			return w.stack.Evaluate(r)
		},
	}
}

// lock takes the state lock for an operation, failing fast with the
// holder's name.
func (w *workspace) lock(ctx context.Context, b state.Backend, operation string) (func(), error) {
	unlock, err := b.Lock(ctx, state.LockInfo{Operation: operation})
	if err != nil {
		return nil, userError("%s", strings.TrimSuffix(err.Error(), "."))
	}
	return func() {
		if err := unlock(); err != nil {
			fmt.Fprintf(w.deps.IO.ErrOut, "Warning: releasing the state lock failed: %s\n", err)
		}
	}, nil
}

// recover reads the state with what an interrupted apply left.
func recoverState(ctx context.Context, b state.Backend) (*state.Recovery, error) {
	rec, err := b.Recover(ctx)
	if err != nil {
		return nil, userError("cannot read the state: %s.", strings.TrimSuffix(err.Error(), "."))
	}
	if rec == nil {
		rec = &state.Recovery{}
	}
	return rec, nil
}

// frozenInputs turns the variable inputs into a form that evaluates the
// same later: STAGECRAFT_VAR_ values become -var inputs (placed first, so
// command-line ones still win) and -var-file contents are read now.
func (w *workspace) frozenInputs() ([]stacks.VarInput, error) {
	var out []stacks.VarInput
	var names []string
	for _, v := range w.stack.Variables {
		names = append(names, v.Name)
	}
	sort.Strings(names)
	if w.deps.Getenv != nil {
		for _, n := range names {
			if val := w.deps.Getenv(stacks.EnvVarPrefix + n); val != "" {
				out = append(out, stacks.VarInput{Name: n, Value: val})
			}
		}
	}
	for _, in := range w.g.Vars {
		if in.File != "" {
			src, err := stackfs.ReadPath(in.File)
			if err != nil {
				return nil, userError("cannot read -var-file %s: %s; a variable file must be a regular file.", in.File, stackfs.Describe(err))
			}
			in.Source = src
		}
		out = append(out, in)
	}
	return out, nil
}
