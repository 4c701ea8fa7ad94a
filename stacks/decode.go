package stacks

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/stagecraft/stagecraft/providers/kinds"
)

// Block types allowed at the top of a stack file.
var rootSchema = &hcl.BodySchema{
	Blocks: append([]hcl.BlockHeaderSchema{
		{Type: "stack", LabelNames: []string{"name"}},
		{Type: "variable", LabelNames: []string{"name"}},
		{Type: "locals"},
		{Type: "output", LabelNames: []string{"name"}},
		{Type: "provider", LabelNames: []string{"name"}},
		{Type: "environment", LabelNames: []string{"name"}},
		{Type: "stage", LabelNames: []string{"name"}},
		{Type: "module", LabelNames: []string{"name"}},
	}, kindHeaders()...),
}

func kindHeaders() []hcl.BlockHeaderSchema {
	var hs []hcl.BlockHeaderSchema
	for _, k := range kinds.Names() {
		hs = append(hs, hcl.BlockHeaderSchema{Type: k, LabelNames: []string{"name"}})
	}
	return hs
}

func isKind(t string) bool {
	_, ok := kinds.Schema(t)
	return ok
}

var stackBlockSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "description"}}}

var variableSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "type"}, {Name: "default"}, {Name: "description"}, {Name: "sensitive"}, {Name: "nullable"},
	},
	Blocks: []hcl.BlockHeaderSchema{{Type: "validation"}},
}

var validationSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "condition", Required: true}, {Name: "error_message", Required: true},
	},
}

var outputSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "value", Required: true}, {Name: "description"}, {Name: "sensitive"}, {Name: "depends_on"},
	},
}

var environmentSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "provider", Required: true}, {Name: "stage", Required: true}, {Name: "variables"}, {Name: "description"},
	},
	Blocks: []hcl.BlockHeaderSchema{{Type: "backend", LabelNames: []string{"type"}}},
}

var stageSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "extends"}, {Name: "remove"}, {Name: "description"}},
	Blocks:     append([]hcl.BlockHeaderSchema{{Type: "module", LabelNames: []string{"name"}}}, kindHeaders()...),
}

// decoder turns the blocks of root files into a Stack, noting duplicates.
type decoder struct {
	stack      *Stack
	stackBlock *hcl.Range
	localNames map[string]hcl.Range
}

func (d *decoder) decodeRootFile(f *hcl.File) hcl.Diagnostics {
	content, diags := f.Body.Content(rootSchema)
	for _, b := range content.Blocks {
		if vd, ok := d.decodeValueBlock(b, &d.stack.Outputs); ok {
			diags = append(diags, vd...)
			continue
		}
		switch b.Type {
		case "stack":
			diags = append(diags, d.decodeStackBlock(b)...)
		case "provider":
			p := &ProviderBlock{Name: b.Labels[0], Body: b.Body, DeclRange: b.DefRange}
			if prev, ok := d.stack.Provider(p.Name); ok {
				diags = append(diags, duplicate("provider", p.Name, p.DeclRange, prev.DeclRange))
				continue
			}
			d.stack.Providers = append(d.stack.Providers, p)
		case "environment":
			e, ed := decodeEnvironment(b)
			diags = append(diags, ed...)
			if prev, ok := d.stack.Environment(e.Name); ok {
				diags = append(diags, duplicate("environment", e.Name, e.DeclRange, prev.DeclRange))
				continue
			}
			d.stack.Environments = append(d.stack.Environments, e)
		case "stage":
			s, sd := decodeStage(b)
			diags = append(diags, sd...)
			if prev, ok := d.stack.Stage(s.Name); ok {
				diags = append(diags, duplicate("stage", s.Name, s.DeclRange, prev.DeclRange))
				continue
			}
			d.stack.Stages = append(d.stack.Stages, s)
		case "module":
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Module call outside a stage",
				Detail:  fmt.Sprintf("module %q is written at the top of the file. Module calls belong to a stage: move the block into the stage that first needs it; later stages that extend it inherit it.", b.Labels[0]),
				Subject: b.DefRange.Ptr()})
		default:
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Resource outside a stage",
				Detail:  fmt.Sprintf("%s %q is written at the top of the file. Resources belong to a stage: move the block into the stage that first needs it; later stages that extend it inherit it.", b.Type, b.Labels[0]),
				Subject: b.DefRange.Ptr()})
		}
	}
	return diags
}

func duplicate(what, name string, at, prev hcl.Range) *hcl.Diagnostic {
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  fmt.Sprintf("Duplicate %s %q", what, name),
		Detail:   fmt.Sprintf("%s named %q is already defined at %s. Names must be unique: rename or remove one of them.", upperFirst(withArticle(what)), name, prev),
		Subject:  at.Ptr(),
	}
}

func (d *decoder) decodeStackBlock(b *hcl.Block) hcl.Diagnostics {
	if d.stackBlock != nil {
		return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Duplicate stack block",
			Detail:  fmt.Sprintf("The stack is already named at %s; a stack has one stack block.", *d.stackBlock),
			Subject: b.DefRange.Ptr()}}
	}
	d.stackBlock = b.DefRange.Ptr()
	d.stack.Name = b.Labels[0]
	content, diags := b.Body.Content(stackBlockSchema)
	diags = append(diags, constAttr(content, "description", constString, &d.stack.Description)...)
	return diags
}

// decodeValueBlock decodes the blocks a stack's root files and a module's
// files hold alike: variables, locals, and outputs (added to outputs). It
// reports false for a block of any other type.
func (d *decoder) decodeValueBlock(b *hcl.Block, outputs *[]*Output) (hcl.Diagnostics, bool) {
	switch b.Type {
	case "variable":
		return d.addVariable(b), true
	case "locals":
		return d.decodeLocals(b), true
	case "output":
		var diags hcl.Diagnostics
		*outputs, diags = appendOutput(*outputs, b)
		return diags, true
	}
	return nil, false
}

// addVariable decodes a variable block of a stack's root files or of a
// module and declares the variable, once per name.
func (d *decoder) addVariable(b *hcl.Block) hcl.Diagnostics {
	v, diags := decodeVariable(b)
	if v == nil {
		return diags
	}
	for _, prev := range d.stack.Variables {
		if prev.Name == v.Name {
			return append(diags, duplicate("variable", v.Name, v.DeclRange, prev.DeclRange))
		}
	}
	d.stack.Variables = append(d.stack.Variables, v)
	return diags
}

// appendOutput decodes an output block of a stack's root files or of a
// module onto outputs, reporting a second output of the same name.
func appendOutput(outputs []*Output, b *hcl.Block) ([]*Output, hcl.Diagnostics) {
	o, diags := decodeOutput(b)
	if o == nil {
		return outputs, diags
	}
	for _, prev := range outputs {
		if prev.Name == o.Name {
			diags = append(diags, duplicate("output", o.Name, o.DeclRange, prev.DeclRange))
		}
	}
	return append(outputs, o), diags
}

func (d *decoder) decodeLocals(b *hcl.Block) hcl.Diagnostics {
	attrs, diags := b.Body.JustAttributes()
	if d.localNames == nil {
		d.localNames = map[string]hcl.Range{}
	}
	for _, a := range sortedAttributes(attrs) {
		if prev, ok := d.localNames[a.Name]; ok {
			diags = append(diags, duplicate("local value", a.Name, a.NameRange, prev))
			continue
		}
		d.localNames[a.Name] = a.NameRange
		d.stack.Locals = append(d.stack.Locals, &Local{Name: a.Name, Expr: a.Expr, DeclRange: a.Range})
	}
	return diags
}

// finish checks what needs every file: stage parents and environment
// bindings.
func (d *decoder) finish() hcl.Diagnostics {
	var diags hcl.Diagnostics
	st := d.stack
	for _, s := range st.Stages {
		if s.Extends == "" {
			continue
		}
		if _, ok := st.Stage(s.Extends); !ok {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Unknown parent stage",
				Detail:  fmt.Sprintf("Stage %q extends %q, but there is no stage with that name.%s", s.Name, s.Extends, suggestion(s.Extends, st.StageNames())),
				Subject: s.ExtendsRange.Ptr()})
		}
	}
	reported := map[string]bool{}
	for _, s := range st.Stages {
		chain := []string{s.Name}
		seen := map[string]bool{s.Name: true}
		cur := s
		for cur.Extends != "" {
			parent, ok := st.Stage(cur.Extends)
			if !ok {
				break
			}
			chain = append(chain, parent.Name)
			if seen[parent.Name] {
				if !reported[parent.Name] {
					for _, n := range chain {
						reported[n] = true
					}
					diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Cycle in stage inheritance",
						Detail:  fmt.Sprintf("The stages extend each other in a circle: %s. A stage may only extend an earlier stage of the ladder; change one of these extends.", strings.Join(chain, " -> ")),
						Subject: cur.ExtendsRange.Ptr()})
				}
				break
			}
			seen[parent.Name] = true
			cur = parent
		}
	}
	for _, e := range st.Environments {
		if e.Stage != "" {
			if _, ok := st.Stage(e.Stage); !ok {
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Unknown stage",
					Detail:  fmt.Sprintf("Environment %q targets stage %q, but there is no stage with that name.%s", e.Name, e.Stage, suggestion(e.Stage, st.StageNames())),
					Subject: e.stageRange.Ptr()})
			}
		}
	}
	return diags
}

func decodeVariable(b *hcl.Block) (*Variable, hcl.Diagnostics) {
	v := &Variable{Name: b.Labels[0], Type: cty.DynamicPseudoType, Nullable: true, DeclRange: b.DefRange}
	diags := checkName("variable", v.Name, b.LabelRanges[0])
	content, cd := b.Body.Content(variableSchema)
	diags = append(diags, cd...)
	diags = append(diags, constAttr(content, "description", constString, &v.Description)...)
	diags = append(diags, constAttr(content, "sensitive", constBool, &v.Sensitive)...)
	diags = append(diags, constAttr(content, "nullable", constBool, &v.Nullable)...)
	if a, ok := content.Attributes["type"]; ok {
		ty, defaults, d := typeexpr.TypeConstraintWithDefaults(a.Expr)
		diags = append(diags, d...)
		if !d.HasErrors() {
			v.Type = ty
			if defaults != nil {
				v.typeDefaults = defaults
			}
		}
	}
	if a, ok := content.Attributes["default"]; ok {
		val, d := exprValue(a.Expr, nil)
		diags = append(diags, d...)
		if !d.HasErrors() {
			if v.typeDefaults != nil {
				val = v.typeDefaults.Apply(val)
			}
			conv, err := convert.Convert(val, v.Type)
			if err != nil {
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid default value for variable",
					Detail:  fmt.Sprintf("The default of variable %q does not fit its type %s: %s.", v.Name, typeexpr.TypeString(v.Type), err),
					Subject: a.Expr.Range().Ptr()})
			} else {
				v.Default = conv
			}
			if val.IsNull() && !v.Nullable {
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid default value for variable",
					Detail:  fmt.Sprintf("Variable %q is not nullable, so its default cannot be null; give a value or remove nullable = false.", v.Name),
					Subject: a.Expr.Range().Ptr()})
			}
		}
	}
	for _, vb := range content.Blocks {
		vc, d := vb.Body.Content(validationSchema)
		diags = append(diags, d...)
		cond, okC := vc.Attributes["condition"]
		msg, okM := vc.Attributes["error_message"]
		if !okC || !okM {
			continue
		}
		for _, tr := range cond.Expr.Variables() {
			if tr.RootName() != "var" {
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid reference in variable validation",
					Detail:  fmt.Sprintf("A validation condition may refer only to variables (var.NAME); %s is not one.", traversalString(tr)),
					Subject: tr.SourceRange().Ptr()})
			}
		}
		v.Validations = append(v.Validations, &Validation{Condition: cond.Expr, ErrorMessage: msg.Expr, DeclRange: vb.DefRange})
	}
	return v, diags
}

func decodeOutput(b *hcl.Block) (*Output, hcl.Diagnostics) {
	o := &Output{Name: b.Labels[0], DeclRange: b.DefRange}
	diags := checkName("output", o.Name, b.LabelRanges[0])
	content, cd := b.Body.Content(outputSchema)
	diags = append(diags, cd...)
	if a, ok := content.Attributes["value"]; ok {
		o.Expr = a.Expr
	} else {
		return nil, diags
	}
	diags = append(diags, constAttr(content, "description", constString, &o.Description)...)
	diags = append(diags, constAttr(content, "sensitive", constBool, &o.Sensitive)...)
	if a, ok := content.Attributes["depends_on"]; ok {
		trs, d := dependsOnList(a.Expr)
		diags = append(diags, d...)
		o.DependsOn = trs
	}
	return o, diags
}

func decodeEnvironment(b *hcl.Block) (*Environment, hcl.Diagnostics) {
	e := &Environment{Name: b.Labels[0], DeclRange: b.DefRange}
	diags := checkName("environment", e.Name, b.LabelRanges[0])
	content, cd := b.Body.Content(environmentSchema)
	diags = append(diags, cd...)
	if a, ok := content.Attributes["provider"]; ok {
		s, d := constName(a)
		diags = append(diags, d...)
		e.Provider, e.providerRange = s, a.Expr.Range()
	}
	if a, ok := content.Attributes["stage"]; ok {
		s, d := constString(a)
		diags = append(diags, d...)
		e.Stage, e.stageRange = s, a.Expr.Range()
	}
	if a, ok := content.Attributes["variables"]; ok {
		e.Variables = a.Expr
	}
	for _, bb := range content.Blocks {
		if e.Backend != nil {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Duplicate backend block",
				Detail:  fmt.Sprintf("Environment %q already has a backend at %s; an environment keeps its state in one place.", e.Name, e.Backend.DeclRange),
				Subject: bb.DefRange.Ptr()})
			continue
		}
		e.Backend = &Backend{Type: bb.Labels[0], Body: bb.Body, DeclRange: bb.DefRange}
	}
	return e, diags
}

func decodeStage(b *hcl.Block) (*Stage, hcl.Diagnostics) {
	s := &Stage{Name: b.Labels[0], DeclRange: b.DefRange}
	diags := checkName("stage", s.Name, b.LabelRanges[0])
	content, cd := b.Body.Content(stageSchema)
	diags = append(diags, cd...)
	diags = append(diags, constAttr(content, "description", constString, &s.Description)...)
	if a, ok := content.Attributes["extends"]; ok {
		str, d := constString(a)
		diags = append(diags, d...)
		s.Extends, s.ExtendsRange = str, a.Expr.Range()
		if str == s.Name {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Cycle in stage inheritance",
				Detail:  fmt.Sprintf("Stage %q extends itself; name an earlier stage, or remove extends.", s.Name),
				Subject: a.Expr.Range().Ptr()})
			s.Extends = ""
		}
	}
	if a, ok := content.Attributes["remove"]; ok {
		addrs, ranges, d := addressList(a.Expr)
		diags = append(diags, d...)
		s.Remove, s.removeRanges = addrs, ranges
	}
	seen := map[string]hcl.Range{}
	for _, rb := range content.Blocks {
		name := rb.Labels[0]
		diags = append(diags, checkName(rb.Type, name, rb.LabelRanges[0])...)
		addr := rb.Type + "." + name
		if rb.Type == "module" {
			addr = "module." + name
		}
		if prev, ok := seen[addr]; ok {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Duplicate " + rb.Type + " block",
				Detail:  fmt.Sprintf("Stage %q already has %s at %s. To change an inherited block, write it once in this stage: its settings are merged over the parent's.", s.Name, addr, prev),
				Subject: rb.DefRange.Ptr()})
			continue
		}
		seen[addr] = rb.DefRange
		if rb.Type == "module" {
			s.Modules = append(s.Modules, &ModuleCall{Name: name, Body: rb.Body, DeclRange: rb.DefRange, Stage: s.Name})
		} else {
			s.Resources = append(s.Resources, &ResourceBlock{Kind: rb.Type, Name: name, Body: rb.Body, DeclRange: rb.DefRange, Stage: s.Name})
		}
	}
	return s, diags
}
