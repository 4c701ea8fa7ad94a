package stacks

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/stagecraft/stagecraft/modules"
	"github.com/stagecraft/stagecraft/stacks/stackfs"
)

// builtinPrefix starts the source of a built-in module.
const builtinPrefix = "stagecraft/"

// moduleConfig is a loaded module directory: the blocks of its files.
type moduleConfig struct {
	key       string // where it was loaded from, unique per module
	fsys      fs.FS
	dir       string // directory inside fsys
	files     fs.FS  // the module directory, for functions
	variables []*Variable
	locals    []*Local
	outputs   []*Output
	resources []*ResourceBlock
	modules   []*ModuleCall
}

var moduleRootSchema = &hcl.BodySchema{
	Blocks: append([]hcl.BlockHeaderSchema{
		{Type: "variable", LabelNames: []string{"name"}},
		{Type: "locals"},
		{Type: "output", LabelNames: []string{"name"}},
		{Type: "module", LabelNames: []string{"name"}},
		{Type: "stage", LabelNames: []string{"name"}},
		{Type: "environment", LabelNames: []string{"name"}},
		{Type: "provider", LabelNames: []string{"name"}},
		{Type: "stack", LabelNames: []string{"name"}},
	}, kindHeaders()...),
}

var moduleCallMetaSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "source"}, {Name: "count"}, {Name: "for_each"}, {Name: "depends_on"},
	},
}

// moduleSource is where a module call's source leads.
type moduleSource struct {
	key  string
	fsys fs.FS
	dir  string
}

// resolveSource finds a module source relative to the calling directory.
func resolveSource(fsys fs.FS, callerDir, source string) (moduleSource, error) {
	switch {
	case strings.HasPrefix(source, "./") || strings.HasPrefix(source, "../"):
		dir := path.Join(callerDir, source)
		if !fs.ValidPath(dir) {
			return moduleSource{}, fmt.Errorf("the path %q leaves the stack directory; a stack reads only files inside its directory, so move the module into it", source)
		}
		return moduleSource{key: "path:" + dir, fsys: fsys, dir: dir}, nil
	case strings.HasPrefix(source, builtinPrefix):
		name := strings.TrimPrefix(source, builtinPrefix)
		for _, n := range modules.Names() {
			if n == name {
				return moduleSource{key: "builtin:" + name, fsys: modules.FS(), dir: name}, nil
			}
		}
		return moduleSource{}, fmt.Errorf("there is no built-in module %q (the built-in modules are %s)", name, quotedList(prefixAll(builtinPrefix, modules.Names())))
	}
	return moduleSource{}, fmt.Errorf("%q is not a module source; use a local path starting with ./ or ../, or a built-in module such as %q", source, builtinPrefix+"web-tier")
}

func prefixAll(p string, ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = p + s
	}
	return out
}

func quotedList(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(q, ", ")
}

// callSource reads a module call's source attribute.
func callSource(body hcl.Body) (string, hcl.Range, hcl.Diagnostics) {
	content, _, diags := body.PartialContent(moduleCallMetaSchema)
	a, ok := content.Attributes["source"]
	if !ok {
		return "", body.MissingItemRange(), append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Missing module source",
			Detail:  "A module block needs source = \"./path/to/module\" or a built-in such as \"stagecraft/web-tier\".",
			Subject: body.MissingItemRange().Ptr()})
	}
	s, d := constString(a)
	return s, a.Expr.Range(), append(diags, d...)
}

// loadModules loads every module the stages call, and the modules those
// call, once each.
func (s *Stack) loadModules(l *loader, dir string) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, st := range s.Stages {
		for _, mc := range st.Modules {
			diags = append(diags, s.loadCall(l, s.fsys, dir, mc, nil)...)
		}
	}
	return diags
}

func (s *Stack) loadCall(l *loader, fsys fs.FS, callerDir string, mc *ModuleCall, loading []string) hcl.Diagnostics {
	src, rng, diags := callSource(mc.Body)
	if diags.HasErrors() || src == "" {
		return diags
	}
	ms, err := resolveSource(fsys, callerDir, src)
	if err != nil {
		return append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid module source",
			Detail: upperFirst(err.Error()) + ".", Subject: rng.Ptr()})
	}
	for _, k := range loading {
		if k == ms.key {
			return append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Module calls itself",
				Detail:  fmt.Sprintf("Module %q calls %q, which is already being loaded higher up; a module cannot contain itself.", mc.Name, src),
				Subject: rng.Ptr()})
		}
	}
	if _, ok := s.modules[ms.key]; ok {
		return diags
	}
	m, md := l.loadModule(ms)
	diags = append(diags, md...)
	if m == nil {
		for i := range md {
			if md[i].Subject == nil {
				md[i].Subject = rng.Ptr()
			}
		}
		return diags
	}
	s.modules[ms.key] = m
	for _, child := range m.modules {
		diags = append(diags, s.loadCall(l, m.fsys, m.dir, child, append(loading, ms.key))...)
	}
	return diags
}

func (l *loader) loadModule(ms moduleSource) (*moduleConfig, hcl.Diagnostics) {
	names, err := stackFileNames(ms.fsys, ms.dir)
	if (err == nil && len(names) == 0) || errors.Is(err, fs.ErrNotExist) {
		return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Module not found",
			Detail: fmt.Sprintf("There are no .hcl files in the module directory %s; check the source path.", ms.dir)}}
	}
	var files fs.FS
	if err == nil {
		// Functions in the module read only inside its directory.
		files, err = fs.Sub(ms.fsys, ms.dir)
	}
	if err != nil {
		return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Module not found",
			Detail: fmt.Sprintf("Cannot read the module directory %s: %s; a module must be a directory inside the stack directory.", ms.dir, stackfs.Describe(err))}}
	}
	m := &moduleConfig{key: ms.key, fsys: ms.fsys, dir: ms.dir, files: files}
	var diags hcl.Diagnostics
	d := &decoder{stack: &Stack{}}
	for _, n := range names {
		p := path.Join(ms.dir, n)
		name := l.displayName(p)
		if strings.HasPrefix(ms.key, "builtin:") {
			name = builtinPrefix + p
		}
		f, fd := l.parseFile(ms.fsys, p, name)
		diags = append(diags, fd...)
		if f == nil || fd.HasErrors() {
			continue
		}
		content, cd := f.Body.Content(moduleRootSchema)
		diags = append(diags, cd...)
		for _, b := range content.Blocks {
			if vd, ok := d.decodeValueBlock(b, &m.outputs); ok {
				diags = append(diags, vd...)
				continue
			}
			switch b.Type {
			case "module":
				m.modules = append(m.modules, &ModuleCall{Name: b.Labels[0], Body: b.Body, DeclRange: b.DefRange})
			case "stage", "environment", "provider", "stack":
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Unexpected " + b.Type + " block in module",
					Detail:  fmt.Sprintf("A module holds variables, locals, outputs, resources and module calls; %s blocks belong to the stack that calls it.", b.Type),
					Subject: b.DefRange.Ptr()})
			default:
				r := &ResourceBlock{Kind: b.Type, Name: b.Labels[0], Body: b.Body, DeclRange: b.DefRange}
				diags = append(diags, checkName(b.Type, r.Name, b.LabelRanges[0])...)
				dup := false
				for _, prev := range m.resources {
					if prev.Address() == r.Address() {
						diags = append(diags, duplicate(b.Type, r.Name, r.DeclRange, prev.DeclRange))
						dup = true
					}
				}
				if !dup {
					m.resources = append(m.resources, r)
				}
			}
		}
	}
	m.variables = d.stack.Variables
	m.locals = d.stack.Locals
	return m, diags
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
