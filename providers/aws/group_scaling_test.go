package aws

import (
	"testing"
	"time"

	sdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/zclconf/go-cty/cty"

	"github.com/stagecraft/stagecraft/providers/kinds"
)

// TestGroupDesiredBelongsToScalingPolicy: with a scaling block and no
// desired, the capacity the policy sets is the group's: Read reports it,
// an update of something else keeps it, and new bounds move it inside
// them. Without a scaling block an update keeps it within the bounds too.
func TestGroupDesiredBelongsToScalingPolicy(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, 30*time.Second)
	k := e.kind(kinds.AutoscalingGroup)
	scaled := func(max int64, env string) attrs {
		return groupAttrs(testAMI, attrs{
			"max": cty.NumberIntVal(max), "scaling": cty.ObjectVal(attrs{"target_cpu": cty.NumberIntVal(50)}),
			"env": cty.MapVal(attrs{"V": cty.StringVal(env)}),
		})
	}
	r, v := e.create(kinds.AutoscalingGroup, "app", scaled(4, "1"))
	desired := func(v cty.Value) int64 {
		n, _ := v.GetAttr("desired").AsBigFloat().Int64()
		return n
	}
	if got := desired(v); got != 1 {
		t.Fatalf("a new group with min 1 has desired %d, want 1", got)
	}

	// The policy scales out.
	if _, err := e.clients().autoscaling.SetDesiredCapacity(e.ctx, &autoscaling.SetDesiredCapacityInput{
		AutoScalingGroupName: sdk.String(r.ID), DesiredCapacity: sdk.Int32(3),
	}); err != nil {
		t.Fatal(err)
	}
	got, _, err := k.Read(e.ctx, r)
	if err != nil || desired(got) != 3 {
		t.Fatalf("Read after the policy scaled to 3: desired %v, %v", got.GetAttr("desired"), err)
	}
	for _, c := range []struct {
		name string
		a    attrs
		want int64
	}{
		{"an env change", scaled(4, "2"), 3},
		{"a lower max", scaled(2, "2"), 2},
		{"no scaling block, a higher min", groupAttrs(testAMI, attrs{"min": cty.NumberIntVal(2), "max": cty.NumberIntVal(5)}), 2},
	} {
		v, err = k.Update(e.ctx, r, got, e.desired(r.Kind, c.a))
		if err != nil {
			t.Fatalf("update with %s: %v", c.name, err)
		}
		if desired(v) != c.want {
			t.Errorf("after %s, desired is %d, want %d", c.name, desired(v), c.want)
		}
		if n := len(e.groupInstances(r.ID)); int64(n) != c.want {
			t.Errorf("after %s, the group runs %d instances, want %d", c.name, n, c.want)
		}
		got = v
	}
}
