package sim

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/zclconf/go-cty/cty"
)

func TestConfigure(t *testing.T) {
	t.Parallel()
	p := newProvider()
	config := cty.ObjectVal(map[string]cty.Value{
		"latency":    cty.StringVal("100ms"),
		"rate_limit": cty.NumberIntVal(50),
		"error_rate": cty.NumberFloatVal(0.25),
		"seed":       cty.NumberIntVal(9),
		"fail":       cty.ObjectVal(map[string]cty.Value{"cache.x": cty.StringVal("delete")}),
		"unhealthy":  cty.TupleVal([]cty.Value{cty.StringVal("autoscaling_group.app")}),
		"path":       cty.NullVal(cty.String),
	})
	if diags := p.Configure(t.Context(), config); diags.HasErrors() {
		t.Fatalf("Configure: %s", diags.Error())
	}
	got := p.session().settings
	want := settings{
		latency: 100 * time.Millisecond, rateLimit: 50, errorRate: 0.25, seed: 9,
		fail:      map[string]string{"cache.x": "delete"},
		unhealthy: map[string]bool{"autoscaling_group.app": true},
	}
	if d := cmp.Diff(want, got, cmp.AllowUnexported(settings{})); d != "" {
		t.Errorf("settings (-want +got):\n%s", d)
	}
	for _, empty := range []cty.Value{cty.NilVal, cty.NullVal(cty.EmptyObject), cty.EmptyObjectVal} {
		if diags := p.Configure(t.Context(), empty); diags.HasErrors() {
			t.Errorf("Configure(%#v): %s", empty, diags.Error())
		}
		if d := cmp.Diff(defaultSettings(), p.session().settings, cmp.AllowUnexported(settings{})); d != "" {
			t.Errorf("Configure(%#v) settings (-want +got):\n%s", empty, d)
		}
	}
}

func TestConfigureDiagnostics(t *testing.T) {
	t.Parallel()
	str, num := cty.StringVal, cty.NumberIntVal
	tests := map[string]struct {
		config cty.Value
		// summary and detail of each diagnostic, in order; detail is a
		// substring.
		want [][2]string
	}{
		"not an object": {str("fast"), [][2]string{
			{"Invalid sim provider configuration", "expects an object of settings, but got string"}}},
		"unknown": {cty.UnknownVal(cty.EmptyObject), [][2]string{
			{"Sim provider configuration not known", "only known after apply"}}},
		"unsupported setting with a suggestion": {obj("latancy", str("1s")), [][2]string{
			{"Unsupported sim provider setting", `no setting named "latancy". Did you mean "latency"? It accepts path, latency, rate_limit, error_rate, seed, fail and unhealthy.`}}},
		"unsupported setting": {obj("region", str("us-east-1")), [][2]string{
			{"Unsupported sim provider setting", `no setting named "region". It accepts path`}}},
		"latency not a duration": {obj("latency", str("fast")), [][2]string{
			{"Invalid sim latency setting", `"fast" is not a duration; write a number with a unit, such as "100ms"`}}},
		"latency a bare number": {obj("latency", num(5)), [][2]string{
			{"Invalid sim latency setting", `"5" is not a duration`}}},
		"latency of the wrong type": {obj("latency", cty.ListValEmpty(cty.String)), [][2]string{
			{"Invalid sim latency setting", `must be a duration such as "100ms", but got list of string`}}},
		"negative rate limit": {obj("rate_limit", num(-1)), [][2]string{
			{"Invalid sim rate_limit setting", "rate_limit is -1; use the number of calls per second to allow, or 0 for no limit."}}},
		"rate limit not a number": {obj("rate_limit", str("lots")), [][2]string{
			{"Invalid sim rate_limit setting", "must be calls per second, 0 for no limit, but got string"}}},
		"error rate above 1": {obj("error_rate", num(2)), [][2]string{
			{"Invalid sim error_rate setting", "error_rate is 2; use a probability from 0"}}},
		"fractional seed": {obj("seed", cty.NumberFloatVal(1.5)), [][2]string{
			{"Invalid sim seed setting", "seed is 1.5; use a whole number"}}},
		"fail with an unknown operation": {obj("fail", cty.ObjectVal(map[string]cty.Value{
			"cache.a": str("destroy"), "cache.b": str("create")})), [][2]string{
			{"Invalid sim fail setting", `one of "create", "update", "delete" and "read"; fix cache.a = "destroy".`}}},
		"fail not a map": {obj("fail", str("cache.a")), [][2]string{
			{"Invalid sim fail setting", "must be a map from address to operation"}}},
		"unhealthy not a list": {obj("unhealthy", cty.ObjectVal(map[string]cty.Value{"a": str("b")})), [][2]string{
			{"Invalid sim unhealthy setting", "must be a list of addresses"}}},
		"unknown setting value": {obj("latency", cty.UnknownVal(cty.String)), [][2]string{
			{"Sim provider setting not known", `The value of "latency" is only known after apply`}}},
		"every problem is reported": {cty.ObjectVal(map[string]cty.Value{
			"error_rate": num(-1), "latency": str("soon"), "colour": str("red")}), [][2]string{
			{"Unsupported sim provider setting", `"colour"`},
			{"Invalid sim error_rate setting", "error_rate is -1"},
			{"Invalid sim latency setting", `"soon"`}}},
		"path in a missing directory": {obj("path", str(filepath.Join(t.TempDir(), "no", "such", "cloud.jsonl"))), [][2]string{
			{"Cannot open the sim cloud file", "no such file or directory. Point path at a writable file"}}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			diags := newProvider().Configure(t.Context(), tc.config)
			if len(diags) != len(tc.want) {
				t.Fatalf("%d diagnostics, want %d: %s", len(diags), len(tc.want), diags.Error())
			}
			for i, d := range diags {
				if d.Summary != tc.want[i][0] || !strings.Contains(d.Detail, tc.want[i][1]) {
					t.Errorf("diagnostic %d:\n  got  %q: %q\n  want %q: ...%q...", i, d.Summary, d.Detail, tc.want[i][0], tc.want[i][1])
				}
				if d.Subject != nil {
					t.Errorf("diagnostic %d has a subject range; the sim provider has none to give", i)
				}
			}
		})
	}
}

func obj(name string, v cty.Value) cty.Value {
	return cty.ObjectVal(map[string]cty.Value{name: v})
}
