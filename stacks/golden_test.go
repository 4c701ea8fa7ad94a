package stacks

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/hashicorp/hcl/v2"
	"github.com/stagecraft/stagecraft/stacks/addrs"
	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"
	"golang.org/x/tools/txtar"
)

var update = flag.Bool("update", false, "rewrite golden files")

// fixture is a txtar archive of stack files. Its comment holds one setting
// per line:
//
//	env: dev            evaluate this environment (default: validate only)
//	stage: cached       override the environment's stage
//	var: name=value     a -var input (repeatable)
//	getenv: NAME=value  an environment variable (repeatable)
//	known: ADDR=JSON    an existing resource's actual value (repeatable)
type fixture struct {
	fsys    fstest.MapFS
	env     string
	stage   string
	vars    []VarInput
	getenv  map[string]string
	known   map[string]string
	comment string
}

func readFixture(t *testing.T, path string) *fixture {
	t.Helper()
	ar, err := txtar.ParseFile(path)
	if err != nil {
		t.Fatal(err)
	}
	fx := &fixture{fsys: fstest.MapFS{}, getenv: map[string]string{}, known: map[string]string{}, comment: string(ar.Comment)}
	for _, f := range ar.Files {
		fx.fsys[f.Name] = &fstest.MapFile{Data: f.Data, Mode: 0o644}
	}
	for _, line := range strings.Split(string(ar.Comment), "\n") {
		k, v, ok := strings.Cut(line, ": ")
		if !ok {
			continue
		}
		switch strings.TrimSpace(k) {
		case "env":
			fx.env = v
		case "stage":
			fx.stage = v
		case "var":
			n, val, _ := strings.Cut(v, "=")
			fx.vars = append(fx.vars, VarInput{Name: n, Value: val})
		case "getenv":
			n, val, _ := strings.Cut(v, "=")
			fx.getenv[n] = val
		case "known":
			n, val, _ := strings.Cut(v, "=")
			fx.known[n] = val
		}
	}
	return fx
}

func (fx *fixture) request(t *testing.T, st *Stack) Request {
	req := Request{Environment: fx.env, Stage: fx.stage, Vars: fx.vars, Getenv: func(k string) string { return fx.getenv[k] }}
	if len(fx.known) > 0 {
		req.Known = map[addrs.Instance]cty.Value{}
		for addr, js := range fx.known {
			ty, err := ctyjson.ImpliedType([]byte(js))
			if err != nil {
				t.Fatalf("known %s: %v", addr, err)
			}
			v, err := ctyjson.Unmarshal([]byte(js), ty)
			if err != nil {
				t.Fatalf("known %s: %v", addr, err)
			}
			req.Known[addrs.MustParse(addr)] = v
		}
	}
	return req
}

// renderDiags renders diagnostics as a person sees them.
func renderDiags(files map[string]*hcl.File, diags hcl.Diagnostics) string {
	var buf bytes.Buffer
	wr := hcl.NewDiagnosticTextWriter(&buf, files, 100, false)
	_ = wr.WriteDiagnostics(diags)
	return buf.String()
}

func checkGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./stacks -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (run go test ./stacks -update if the change is intended)\n--- got ---\n%s\n--- want ---\n%s", path, got, want)
	}
}

// TestValidStacks loads every valid fixture, validates it, evaluates its
// environment and compares the desired set with the golden JSON.
func TestValidStacks(t *testing.T) {
	t.Parallel()
	n := eachFixture(t, "valid", func(t *testing.T, p string, fx *fixture, st *Stack, diags hcl.Diagnostics) {
		if diags.HasErrors() {
			t.Fatalf("load:\n%s", renderDiags(st.Files, diags))
		}
		if d := st.Validate(ValidateRequest{Getenv: func(k string) string { return fx.getenv[k] }}); d.HasErrors() {
			t.Fatalf("validate:\n%s", renderDiags(st.Files, d))
		}
		var out bytes.Buffer
		if fx.env != "" {
			ds, d := st.Evaluate(fx.request(t, st))
			if d.HasErrors() {
				t.Fatalf("evaluate:\n%s", renderDiags(st.Files, d))
			}
			out.Write(desiredJSON(t, ds))
			if w := renderDiags(st.Files, d); w != "" {
				out.WriteString("\n" + w)
			}
		} else {
			out.WriteString("validates\n")
		}
		checkGolden(t, strings.TrimSuffix(p, ".txtar")+".golden", out.Bytes())
	})
	if n == 0 {
		t.Fatal("no fixtures")
	}
}

// eachFixture loads every txtar fixture in testdata/DIR, each in a
// parallel subtest named after it, and hands check the fixture's path,
// its contents and what loading it gave. It returns how many there are.
func eachFixture(t *testing.T, dir string, check func(t *testing.T, path string, fx *fixture, st *Stack, diags hcl.Diagnostics)) int {
	paths, _ := filepath.Glob(filepath.Join("testdata", dir, "*.txtar"))
	for _, p := range paths {
		name := strings.TrimSuffix(filepath.Base(p), ".txtar")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			fx := readFixture(t, p)
			st, diags := LoadFS(fx.fsys, ".")
			check(t, p, fx, st, diags)
		})
	}
	return len(paths)
}

// TestInvalidStacks checks that every invalid fixture fails with the
// expected diagnostics at the expected lines.
func TestInvalidStacks(t *testing.T) {
	t.Parallel()
	n := eachFixture(t, "invalid", func(t *testing.T, p string, fx *fixture, st *Stack, diags hcl.Diagnostics) {
		files := map[string]*hcl.File{}
		if st != nil {
			files = st.Files
			if fx.env != "" {
				_, d := st.Evaluate(fx.request(t, st))
				diags = append(diags, d...)
			} else {
				diags = append(diags, st.Validate(ValidateRequest{Vars: fx.vars, Getenv: func(k string) string { return fx.getenv[k] }, KnownProviders: []string{"aws", "local", "sim"}})...)
			}
		}
		diags = dedupe(diags)
		if !diags.HasErrors() {
			t.Fatalf("expected errors, got none")
		}
		for _, d := range diags {
			if d.Severity == hcl.DiagError && d.Subject == nil && !strings.Contains(fx.comment, "nosubject") {
				t.Errorf("diagnostic %q has no source range", d.Summary)
			}
			if d.Detail == "" {
				t.Errorf("diagnostic %q has no detail", d.Summary)
			}
		}
		checkGolden(t, strings.TrimSuffix(p, ".txtar")+".golden", []byte(renderDiags(files, diags)))
	})
	if n < 30 {
		t.Errorf("only %d invalid fixtures; the language promises 30+", n)
	}
}

// desiredJSON renders a desired set for golden files: sensitive values as
// "(sensitive)", unknown ones as "(known after apply)".
func desiredJSON(t *testing.T, ds *DesiredSet) []byte {
	t.Helper()
	type res struct {
		Address   string   `json:"address"`
		Kind      string   `json:"kind"`
		Module    string   `json:"module,omitempty"`
		DependsOn []string `json:"depends_on,omitempty"`
		Config    any      `json:"config"`
		Lifecycle any      `json:"lifecycle,omitempty"`
		Line      int      `json:"line"`
	}
	type out struct {
		Stack, Environment, Stage, Provider string
		ProviderConfig                      any            `json:",omitempty"`
		Backend                             any            `json:",omitempty"`
		Resources                           []res          `json:"resources"`
		Outputs                             map[string]any `json:"outputs,omitempty"`
	}
	o := out{Stack: ds.Stack, Environment: ds.Environment, Stage: ds.Stage, Provider: ds.Provider, ProviderConfig: plain(ds.ProviderConfig)}
	if ds.Backend != nil {
		o.Backend = map[string]any{"type": ds.Backend.Type, "config": plain(ds.Backend.Config)}
	}
	for _, r := range ds.Resources {
		rr := res{Address: r.Address.String(), Kind: r.Address.Kind, Module: r.Address.Module.String(), DependsOn: addressStrings(r.DependsOn), Config: plain(r.Config), Line: r.DeclRange.Start.Line}
		if r.Lifecycle.PreventDestroy || r.Lifecycle.AllowDataLoss || r.Lifecycle.IgnoreAllChanges || len(r.Lifecycle.IgnoreChanges) > 0 {
			var ic []string
			for _, p := range r.Lifecycle.IgnoreChanges {
				ic = append(ic, pathKey(p))
			}
			rr.Lifecycle = map[string]any{"prevent_destroy": r.Lifecycle.PreventDestroy, "allow_data_loss": r.Lifecycle.AllowDataLoss, "ignore_changes": ic, "ignore_all": r.Lifecycle.IgnoreAllChanges}
		}
		o.Resources = append(o.Resources, rr)
	}
	if len(ds.Outputs) > 0 {
		o.Outputs = map[string]any{}
		for _, out := range ds.Outputs {
			o.Outputs[out.Name] = plain(out.Value)
		}
	}
	b, err := json.MarshalIndent(o, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(b, '\n')
}

// plain turns a cty value into JSON-friendly Go values.
func plain(v cty.Value) any {
	if v == cty.NilVal {
		return nil
	}
	if v.HasMark(Sensitive) {
		return "(sensitive)"
	}
	v, _ = v.Unmark()
	if !v.IsKnown() {
		return "(known after apply)"
	}
	if v.IsNull() {
		return nil
	}
	ty := v.Type()
	switch {
	case ty == cty.String:
		return v.AsString()
	case ty == cty.Number:
		f, _ := v.AsBigFloat().Float64()
		return f
	case ty == cty.Bool:
		return v.True()
	case ty.IsObjectType() || ty.IsMapType():
		m := map[string]any{}
		keys := []string{}
		for it := v.ElementIterator(); it.Next(); {
			k, e := it.Element()
			keys = append(keys, k.AsString())
			m[k.AsString()] = plain(e)
		}
		sort.Strings(keys)
		return m
	case ty.IsListType() || ty.IsTupleType() || ty.IsSetType():
		l := []any{}
		for it := v.ElementIterator(); it.Next(); {
			_, e := it.Element()
			l = append(l, plain(e))
		}
		return l
	}
	return v.GoString()
}
