package planner

import (
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/stagecraft/stagecraft/providers/kinds"
	"github.com/stagecraft/stagecraft/providers/schema"
	"github.com/stagecraft/stagecraft/stacks"
)

// TestDiffValuesWithMarks compares configurations holding sensitive values
// at several depths (the whole value, a map element, a single nested
// block, a list block's element) with unmarked actual values: the marks
// never count as a difference, and a difference under a mark is found.
func TestDiffValuesWithMarks(t *testing.T) {
	t.Parallel()
	secret := func(v cty.Value) cty.Value { return v.Mark(stacks.Sensitive) }
	plain := func(v cty.Value) cty.Value { return v }

	groupKind, _ := kinds.Schema(kinds.AutoscalingGroup)
	group := groupKind.ForProvider("sim")
	groupValue := func(mark func(cty.Value) cty.Value, env, path string) cty.Value {
		v := nullObject(group.ImpliedType())
		hc := nullObject(group.ImpliedType().AttributeType("health_check"))
		hc = withAttr(hc, "path", mark(cty.StringVal(path)))
		v = withAttr(v, "health_check", mark(hc))
		v = withAttr(v, "env", cty.MapVal(map[string]cty.Value{"A": mark(cty.StringVal(env))}))
		v = withAttr(v, "min", cty.NumberIntVal(1))
		return mark(v)
	}
	lbKind, _ := kinds.Schema(kinds.LoadBalancer)
	lb := lbKind.ForProvider("sim")
	lbValue := func(mark func(cty.Value) cty.Value, port int64) cty.Value {
		v := nullObject(lb.ImpliedType())
		l := nullObject(lb.ImpliedType().AttributeType("listener").ElementType())
		l = withAttr(l, "port", mark(cty.NumberIntVal(port)))
		v = withAttr(v, "listener", mark(cty.ListVal([]cty.Value{mark(l)})))
		return mark(v)
	}
	for _, tc := range []struct {
		name            string
		schema          *schema.Schema
		desired, actual cty.Value
		changed         bool
	}{
		{"group, same", group, groupValue(plain, "1", "/healthz"), groupValue(plain, "1", "/healthz"), false},
		{"group, same, marked", group, groupValue(secret, "1", "/healthz"), groupValue(plain, "1", "/healthz"), false},
		{"group, map element differs under a mark", group, groupValue(secret, "2", "/healthz"), groupValue(plain, "1", "/healthz"), true},
		{"group, nested block differs under a mark", group, groupValue(secret, "1", "/ready"), groupValue(plain, "1", "/healthz"), true},
		{"lb, same, marked", lb, lbValue(secret, 80), lbValue(plain, 80), false},
		{"lb, list element differs under a mark", lb, lbValue(secret, 81), lbValue(plain, 80), true},
	} {
		d := diffValues(tc.schema, tc.desired, tc.actual, stacks.Lifecycle{})
		if got := len(d.changed) > 0; got != tc.changed {
			t.Errorf("%s: changed %v (%v), want %v", tc.name, got, d.changed, tc.changed)
		}
	}
}

func nullObject(ty cty.Type) cty.Value {
	attrs := map[string]cty.Value{}
	for name, aty := range ty.AttributeTypes() {
		attrs[name] = cty.NullVal(aty)
	}
	return cty.ObjectVal(attrs)
}

func withAttr(obj cty.Value, name string, v cty.Value) cty.Value {
	attrs := obj.AsValueMap()
	attrs[name] = v
	return cty.ObjectVal(attrs)
}
