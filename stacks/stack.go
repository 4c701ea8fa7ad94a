// Package stacks is the stack language: it loads a directory of stack files,
// resolves stage inheritance and modules, evaluates expressions and
// validates the result against the kind tables, producing the desired
// resource set the planner works from.
package stacks

import (
	"io/fs"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// Stack is a loaded stack directory: the blocks of every file, not yet
// evaluated.
type Stack struct {
	// Name comes from the stack block, or the directory's name.
	Name        string
	Description string
	// Dir is the directory the stack was loaded from.
	Dir string
	// Files maps each file name read (stack files and module files) to its
	// parsed form, for rendering diagnostics with source snippets.
	Files map[string]*hcl.File
	// Hash is a digest of every file read; a saved plan records it so that
	// applying the plan after the files changed is refused.
	Hash string

	Variables    []*Variable
	Locals       []*Local
	Outputs      []*Output
	Providers    []*ProviderBlock
	Environments []*Environment
	// Stages are in the order written (files in name order).
	Stages []*Stage

	fsys    fs.FS
	dir     string                   // the stack directory inside fsys
	files   fs.FS                    // the stack directory, for functions
	modules map[string]*moduleConfig // by source, loaded once
}

// Variable is a variable block.
type Variable struct {
	Name        string
	Description string
	Type        cty.Type
	// Default is cty.NilVal when the variable is required.
	Default     cty.Value
	Sensitive   bool
	Nullable    bool
	Validations []*Validation
	DeclRange   hcl.Range

	typeDefaults interface{ Apply(cty.Value) cty.Value }
}

// Validation is a validation block of a variable.
type Validation struct {
	Condition    hcl.Expression
	ErrorMessage hcl.Expression
	DeclRange    hcl.Range
}

// Local is one entry of a locals block.
type Local struct {
	Name      string
	Expr      hcl.Expression
	DeclRange hcl.Range
}

// Output is an output block.
type Output struct {
	Name        string
	Description string
	Expr        hcl.Expression
	Sensitive   bool
	DependsOn   []hcl.Traversal
	DeclRange   hcl.Range
}

// ProviderBlock is a provider block: its attributes are the provider's
// configuration.
type ProviderBlock struct {
	Name      string
	Body      hcl.Body
	DeclRange hcl.Range
}

// Environment binds the stack to a provider, a target stage, a backend and
// variable values.
type Environment struct {
	Name      string
	Provider  string
	Stage     string
	Variables hcl.Expression // nil when absent
	Backend   *Backend       // nil for the default local backend
	DeclRange hcl.Range

	providerRange hcl.Range
	stageRange    hcl.Range
}

// Backend is an environment's backend block.
type Backend struct {
	Type      string
	Body      hcl.Body
	DeclRange hcl.Range
}

// Stage is a stage block as written; inheritance is resolved at evaluation.
type Stage struct {
	Name        string
	Description string
	// Extends names the parent stage, "" for none.
	Extends      string
	ExtendsRange hcl.Range
	// Remove lists the inherited resource and module addresses dropped by
	// this stage.
	Remove    []string
	Resources []*ResourceBlock
	Modules   []*ModuleCall
	DeclRange hcl.Range

	removeRanges []hcl.Range
}

// ResourceBlock is a resource block (before merging and evaluation).
type ResourceBlock struct {
	Kind      string
	Name      string
	Body      hcl.Body
	DeclRange hcl.Range
	// Stage is the stage the block is written in ("" inside a module).
	Stage string
}

// Address is the resource's address within its module ("cache.sessions").
func (r *ResourceBlock) Address() string { return r.Kind + "." + r.Name }

// ModuleCall is a module block.
type ModuleCall struct {
	Name      string
	Body      hcl.Body
	DeclRange hcl.Range
	Stage     string
}

// Address is the call's address within its module ("module.web").
func (m *ModuleCall) Address() string { return "module." + m.Name }

// Stage returns the stage with the given name.
func (s *Stack) Stage(name string) (*Stage, bool) {
	for _, st := range s.Stages {
		if st.Name == name {
			return st, true
		}
	}
	return nil, false
}

// StageNames lists the stages in ladder order.
func (s *Stack) StageNames() []string {
	out := make([]string, len(s.Stages))
	for i, st := range s.Stages {
		out[i] = st.Name
	}
	return out
}

// Environment returns the environment with the given name.
func (s *Stack) Environment(name string) (*Environment, bool) {
	for _, e := range s.Environments {
		if e.Name == name {
			return e, true
		}
	}
	return nil, false
}

// EnvironmentNames lists the environments in the order written.
func (s *Stack) EnvironmentNames() []string {
	out := make([]string, len(s.Environments))
	for i, e := range s.Environments {
		out[i] = e.Name
	}
	return out
}

// Provider returns the provider block with the given name.
func (s *Stack) Provider(name string) (*ProviderBlock, bool) {
	for _, p := range s.Providers {
		if p.Name == name {
			return p, true
		}
	}
	return nil, false
}
