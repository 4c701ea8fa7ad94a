package providertest_test

import (
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/stagecraft/stagecraft/providers/kinds"
	"github.com/stagecraft/stagecraft/providers/providertest"
	"github.com/stagecraft/stagecraft/providers/schema"
)

func schemaFor(t *testing.T, kind, provider string) *schema.Schema {
	t.Helper()
	s, ok := kinds.Schema(kind)
	if !ok {
		t.Fatalf("no kind %s", kind)
	}
	return s.ForProvider(provider)
}

func TestDesired(t *testing.T) {
	t.Parallel()
	type attrs = map[string]cty.Value
	str, num := cty.StringVal, cty.NumberIntVal
	tests := map[string]struct {
		kind     string
		provider string
		attrs    attrs
		// want holds the paths to check, as GetAttr/Index steps.
		want map[string]cty.Value
	}{
		"defaults and nulls": {
			kind: kinds.Cache, provider: "sim",
			attrs: attrs{"engine": str("redis")},
			want: map[string]cty.Value{
				"engine":          str("redis"),
				"nodes":           num(1),
				"eviction_policy": str("allkeys-lru"),
				"network":         cty.NullVal(cty.String),
				"id":              cty.NullVal(cty.String),
				"endpoints":       cty.NullVal(cty.List(cty.String)),
			},
		},
		"implied block filled, other blocks empty": {
			kind: kinds.AutoscalingGroup, provider: "local",
			attrs: attrs{"min": num(2), "env": cty.ObjectVal(attrs{"A": str("b")})},
			want: map[string]cty.Value{
				"min":                   num(2),
				"desired":               cty.NullVal(cty.Number),
				"env":                   cty.MapVal(map[string]cty.Value{"A": str("b")}),
				"health_check.path":     str("/healthz"),
				"health_check.interval": str("5s"),
				"rollout.max_surge":     num(1),
				"scaling":               cty.NullVal(nestedType(t, kinds.AutoscalingGroup, "local", "scaling")),
				"local":                 cty.NullVal(nestedType(t, kinds.AutoscalingGroup, "local", "local")),
			},
		},
		"partial nested blocks": {
			kind: kinds.AutoscalingGroup, provider: "local",
			attrs: attrs{
				"scaling": cty.ObjectVal(attrs{"target_cpu": num(60)}),
				"local":   cty.ObjectVal(attrs{"command": cty.TupleVal([]cty.Value{str("./app")})}),
			},
			want: map[string]cty.Value{
				"scaling.target_cpu": num(60),
				"scaling.cooldown":   str("60s"),
				"local.command":      cty.ListVal([]cty.Value{str("./app")}),
				"local.working_dir":  cty.NullVal(cty.String),
			},
		},
		"list blocks": {
			kind: kinds.LoadBalancer, provider: "sim",
			attrs: attrs{
				"route": cty.TupleVal([]cty.Value{cty.ObjectVal(attrs{"target": str("autoscaling_group.app")})}),
			},
			want: map[string]cty.Value{
				"type":           str("http"),
				"listener":       cty.ListValEmpty(schemaFor(t, kinds.LoadBalancer, "sim").Blocks[0].ImpliedType()),
				"route.0.path":   str("/"),
				"route.0.weight": cty.NullVal(cty.Number),
				"route.0.target": str("autoscaling_group.app"),
			},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			schema := schemaFor(t, tc.kind, tc.provider)
			got := providertest.Desired(schema, tc.attrs)
			if !got.Type().Equals(schema.ImpliedType()) {
				t.Fatalf("type %s, want the schema's implied type %s", got.Type().GoString(), schema.ImpliedType().GoString())
			}
			for path, want := range tc.want {
				v := got
				for _, step := range strings.Split(path, ".") {
					if step >= "0" && step <= "9" {
						v = v.Index(cty.NumberIntVal(int64(step[0] - '0')))
					} else {
						v = v.GetAttr(step)
					}
				}
				if !v.RawEquals(want) {
					t.Errorf("%s = %#v, want %#v", path, v, want)
				}
			}
		})
	}
}

// nestedType is the implied type of a kind's nested block.
func nestedType(t *testing.T, kind, provider, name string) cty.Type {
	t.Helper()
	nb, ok := schemaFor(t, kind, provider).NestedBlock(name)
	if !ok {
		t.Fatalf("%s has no %s block", kind, name)
	}
	return nb.ImpliedType()
}

func TestDesiredPanicsOnMistakes(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		attrs map[string]cty.Value
		want  string
	}{
		"unknown attribute": {map[string]cty.Value{"engin": cty.StringVal("redis")},
			"providertest.Desired: cache has no attribute or block named engin"},
		"unknown nested attribute": {map[string]cty.Value{"aws": cty.ObjectVal(map[string]cty.Value{"size": cty.StringVal("x")})},
			"providertest.Desired: cache.aws has no attribute or block named size"},
		"wrong type": {map[string]cty.Value{"nodes": cty.StringVal("many")},
			"providertest.Desired: cache.nodes: a number is required"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			defer func() {
				r := recover()
				if msg, _ := r.(string); !strings.HasPrefix(msg, tc.want) {
					t.Errorf("panic %v, want one starting %q", r, tc.want)
				}
			}()
			providertest.Desired(schemaFor(t, kinds.Cache, "aws"), tc.attrs)
		})
	}
}
