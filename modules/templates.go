package modules

import (
	"embed"
	"fmt"
	"io/fs"
	"regexp"
	"sort"
	"strings"
)

// templatesDir is where the templates live, beside the modules. It is not a
// module: Names leaves it out.
const templatesDir = "templates"

// stackTemplateSuffix marks a template of a whole stack (init --template);
// every other .hcl file in templates/ is a stage template (stage add
// --template).
const stackTemplateSuffix = ".stack.hcl"

//go:embed templates/*.hcl
var templates embed.FS

// placeholder matches the names a template leaves for the command to fill:
// upper-case words between double underscores, such as __NAME__.
var placeholder = regexp.MustCompile(`__[A-Z][A-Z0-9_]*?__`)

// StartupTemplate is the stack init --template startup writes: the five
// stages from monolith to microservices, with a local and an aws
// environment. It holds the placeholder __STACK__ (the stack's name).
func StartupTemplate() []byte {
	src, ok := StackTemplate("startup")
	if !ok {
		panic("modules: the startup template is missing") // fixed at build time
	}
	return src
}

// StackTemplate returns the stack template NAME (templates/NAME.stack.hcl),
// a complete stack for init --template.
func StackTemplate(name string) ([]byte, bool) {
	return readTemplate(name + stackTemplateSuffix)
}

// Template returns the stage template NAME (templates/NAME.hcl): one stage
// block for stage add --template, with placeholders such as __NAME__ and
// __PARENT__ that the command fills (Fill).
func Template(name string) ([]byte, bool) {
	if strings.HasSuffix(name, ".stack") {
		return nil, false
	}
	return readTemplate(name + ".hcl")
}

func readTemplate(file string) ([]byte, bool) {
	if strings.ContainsAny(file, "/\\") {
		return nil, false
	}
	src, err := fs.ReadFile(templates, templatesDir+"/"+file)
	if err != nil {
		return nil, false
	}
	return src, true
}

// StackTemplateNames lists the stack templates, for init --template.
func StackTemplateNames() []string {
	var names []string
	for _, f := range templateFiles() {
		if n, ok := strings.CutSuffix(f, stackTemplateSuffix); ok {
			names = append(names, n)
		}
	}
	return names
}

// StageTemplateNames lists the stage templates, for stage add --template.
func StageTemplateNames() []string {
	var names []string
	for _, f := range templateFiles() {
		if !strings.HasSuffix(f, stackTemplateSuffix) {
			names = append(names, strings.TrimSuffix(f, ".hcl"))
		}
	}
	return names
}

func templateFiles() []string {
	entries, err := fs.ReadDir(templates, templatesDir)
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	var files []string
	for _, e := range entries {
		if !e.IsDir() && strings.HasSuffix(e.Name(), ".hcl") {
			files = append(files, e.Name())
		}
	}
	sort.Strings(files)
	return files
}

// Fill replaces a template's placeholders: values["NAME"] replaces
// __NAME__. Every placeholder the template holds needs a value; one left
// over is an error naming it, so a template and its command cannot drift
// apart unnoticed. Values are inserted as they are: the caller passes names
// (identifiers), which need no quoting inside HCL strings.
func Fill(src []byte, values map[string]string) ([]byte, error) {
	var missing []string
	out := placeholder.ReplaceAllFunc(src, func(m []byte) []byte {
		key := string(m[2 : len(m)-2])
		if v, ok := values[key]; ok {
			return []byte(v)
		}
		missing = append(missing, string(m))
		return m
	})
	if len(missing) > 0 {
		return nil, fmt.Errorf("the template has placeholders without a value: %s", strings.Join(dedupeSorted(missing), ", "))
	}
	return out, nil
}

// Placeholders lists the placeholders src holds, without the underscores
// ("NAME", "PARENT"), sorted.
func Placeholders(src []byte) []string {
	var keys []string
	for _, m := range placeholder.FindAll(src, -1) {
		keys = append(keys, string(m[2:len(m)-2]))
	}
	return dedupeSorted(keys)
}

func dedupeSorted(ss []string) []string {
	sort.Strings(ss)
	out := ss[:0]
	for i, s := range ss {
		if i == 0 || s != ss[i-1] {
			out = append(out, s)
		}
	}
	return out
}
