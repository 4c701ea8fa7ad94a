package stacks

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	hcljson "github.com/hashicorp/hcl/v2/json"

	"github.com/stagecraft/stagecraft/stacks/limits"
	"github.com/stagecraft/stagecraft/stacks/stackfs"
)

// Load reads every stack file in dir: files ending in .hcl or .hcl.json,
// except variable files (.vars.hcl, .vars.hcl.json) and hidden files. It
// does not descend into subdirectories; modules are loaded from their
// source when a stage calls them.
func Load(dir string) (*Stack, hcl.Diagnostics) {
	info, err := os.Stat(dir)
	if err != nil || !info.IsDir() {
		return nil, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Stack directory not found",
			Detail:   fmt.Sprintf("There is no directory %q. Run stagecraft in a directory with stack files, or point -C at one.", dir),
		}}
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Stack directory not found",
			Detail: fmt.Sprintf("Cannot resolve %q: %s.", dir, err)}}
	}
	// Only the stack directory is opened: the files of a stack, of its
	// modules and those its functions read must all be inside it. Names
	// are shown relative to the working directory.
	fsys, err := stackfs.Open(abs)
	if err != nil {
		return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Cannot read stack directory",
			Detail: fmt.Sprintf("Opening %s failed: %s.", dir, err)}}
	}
	cwd, _ := os.Getwd()
	display := func(p string) string {
		full := filepath.Join(abs, filepath.FromSlash(p))
		if cwd != "" {
			if r, err := filepath.Rel(cwd, full); err == nil {
				return r
			}
		}
		return full
	}
	st, diags := load(fsys, ".", display, filepath.Base(abs))
	if st != nil {
		st.Dir = dir
	}
	return st, diags
}

// LoadFS is Load over a file system (tests and fuzzing use in-memory ones).
// File names in diagnostics are relative to fsys.
func LoadFS(fsys fs.FS, dir string) (*Stack, hcl.Diagnostics) {
	name := path.Base(dir)
	if name == "." {
		name = "stack"
	}
	st, diags := load(fsys, dir, func(p string) string { return p }, name)
	if st != nil {
		st.Dir = dir
	}
	return st, diags
}

// loader reads files from one file system and names them for display.
type loader struct {
	fsys    fs.FS
	display func(p string) string // the name shown for a path in fsys
	files   map[string]*hcl.File
	hashed  map[string][]byte
	// size adds up the bytes of every file read, for limits.MaxStackSize.
	size int64
}

func (l *loader) displayName(p string) string { return l.display(p) }

// parseSource parses a stack or variable file's source as HCL's JSON
// form or its native syntax, naming it name in diagnostics. Source that
// nests too deeply for the parser is refused before it is parsed.
func parseSource(src []byte, json bool, name string) (*hcl.File, hcl.Diagnostics) {
	if json {
		if diags := limits.CheckJSON(src, name); diags.HasErrors() {
			return nil, diags
		}
		return hcljson.Parse(src, name)
	}
	if diags := limits.CheckNative(src, name, hcl.InitialPos); diags.HasErrors() {
		return nil, diags
	}
	return hclsyntax.ParseConfig(src, name, hcl.InitialPos)
}

// parseFile parses one file as native syntax or JSON by its name.
func (l *loader) parseFile(fsys fs.FS, p, name string) (*hcl.File, hcl.Diagnostics) {
	src, err := stackfs.ReadFile(fsys, p)
	if err != nil {
		return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Cannot read stack file",
			Detail:  fmt.Sprintf("Reading %s failed: %s. Stack files must be regular files inside the stack directory.", name, stackfs.Describe(err)),
			Subject: &hcl.Range{Filename: name, Start: hcl.InitialPos, End: hcl.InitialPos}}}
	}
	l.size += int64(len(src))
	if l.size > limits.MaxStackSize {
		return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Stack too large",
			Detail: fmt.Sprintf("With %s, the stack and module files add up to more than %s, the limit for one stack; split the stack, or remove files that are not part of it from its directory.",
				name, limits.Size(limits.MaxStackSize)),
			Subject: &hcl.Range{Filename: name, Start: hcl.InitialPos, End: hcl.InitialPos}}}
	}
	f, diags := parseSource(src, strings.HasSuffix(p, ".json"), name)
	if f != nil {
		l.files[name] = f
	}
	l.hashed[name] = src
	return f, diags
}

// stackFileNames lists the stack files of a directory in name order.
func stackFileNames(fsys fs.FS, dir string) ([]string, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() || strings.HasPrefix(n, ".") {
			continue
		}
		if !(strings.HasSuffix(n, ".hcl") || strings.HasSuffix(n, ".hcl.json")) {
			continue
		}
		if strings.HasSuffix(n, ".vars.hcl") || strings.HasSuffix(n, ".vars.hcl.json") {
			continue
		}
		names = append(names, n)
	}
	sort.Strings(names)
	return names, nil
}

// load reads the stack directory dir of fsys; name is the stack's name
// when no stack block gives one.
func load(fsys fs.FS, dir string, display func(string) string, name string) (*Stack, hcl.Diagnostics) {
	l := &loader{fsys: fsys, display: display, files: map[string]*hcl.File{}, hashed: map[string][]byte{}}
	st := &Stack{fsys: fsys, dir: dir, modules: map[string]*moduleConfig{}}
	names, err := stackFileNames(fsys, dir)
	if err == nil {
		// Functions read files relative to the stack directory and
		// only inside it.
		st.files, err = fs.Sub(fsys, dir)
	}
	if err != nil {
		return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Cannot read stack directory",
			Detail: fmt.Sprintf("Listing %s failed: %s.", l.displayName(dir), err)}}
	}
	if len(names) == 0 {
		return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "No stack files",
			Detail: fmt.Sprintf("The directory %s has no .hcl or .hcl.json files. Write a stack file there (see docs/language.md), or point -C at the stack's directory.", l.displayName(dir))}}
	}
	var diags hcl.Diagnostics
	d := &decoder{stack: st}
	for _, n := range names {
		p := path.Join(dir, n)
		f, fdiags := l.parseFile(fsys, p, l.displayName(p))
		diags = append(diags, fdiags...)
		if f == nil || fdiags.HasErrors() {
			// A file with syntax errors is not decoded: what the parser
			// recovered would only cause misleading follow-on errors.
			continue
		}
		diags = append(diags, d.decodeRootFile(f)...)
	}
	diags = append(diags, d.finish()...)
	if st.Name == "" {
		st.Name = name
	}
	// Modules are loaded eagerly so that validate reports their problems
	// and the hash covers their files.
	diags = append(diags, st.loadModules(l, dir)...)
	st.Files = l.files
	st.Hash = hashFiles(l.hashed)
	return st, dedupe(diags)
}

func hashFiles(files map[string][]byte) string {
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	h := sha256.New()
	for _, n := range names {
		fmt.Fprintf(h, "%s\x00%d\x00", filepath.ToSlash(n), len(files[n]))
		h.Write(files[n])
	}
	return hex.EncodeToString(h.Sum(nil))
}

// dedupe drops diagnostics that repeat an earlier one exactly (the same
// inherited block is checked once per stage that inherits it) and orders
// the rest by where they point: file, line, column; those without a
// position first.
func dedupe(diags hcl.Diagnostics) hcl.Diagnostics {
	type key struct {
		sev             hcl.DiagnosticSeverity
		summary, detail string
		subject         hcl.Range
	}
	seen := map[key]bool{}
	var out hcl.Diagnostics
	for _, d := range diags {
		k := key{sev: d.Severity, summary: d.Summary, detail: d.Detail}
		if d.Subject != nil {
			k.subject = *d.Subject
		}
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, d)
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i].Subject, out[j].Subject
		switch {
		case a == nil || b == nil:
			return a == nil && b != nil
		case a.Filename != b.Filename:
			return a.Filename < b.Filename
		case a.Start.Line != b.Start.Line:
			return a.Start.Line < b.Start.Line
		}
		return a.Start.Column < b.Start.Column
	})
	return out
}
