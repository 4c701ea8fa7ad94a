package aws

import (
	"maps"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	sdk "github.com/aws/aws-sdk-go-v2/aws"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/zclconf/go-cty/cty"

	"github.com/stagecraft/stagecraft/providers"
	"github.com/stagecraft/stagecraft/providers/kinds"
)

// TestLoadBalancerObserve reads the health of a load balancer's targets:
// every instance of every routed group, named after its group, and the
// load balancer unhealthy, naming the group, once a group's instances
// leave its target group.
func TestLoadBalancerObserve(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, 30*time.Second)
	app, _ := e.create(kinds.AutoscalingGroup, "app", groupAttrs(testAMI, attrs{"min": cty.NumberIntVal(2)}))
	orders, _ := e.create(kinds.AutoscalingGroup, "orders", groupAttrs(testAMI, nil))
	lb, _ := e.create(kinds.LoadBalancer, "edge", lbAttrs("http", route("/orders/*", orders.Address, -1), route("/*", app.Address, -1)))
	obs := e.kind(kinds.LoadBalancer).(providers.Observer)

	got, err := obs.Observe(e.ctx, lb, cty.NilVal)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Healthy {
		t.Errorf("Observe reports the load balancer unhealthy (%s); moto's targets are healthy", got.Detail)
	}
	byGroup := map[string][]string{}
	for _, tg := range got.Targets {
		if !tg.Healthy {
			t.Errorf("target %s of %s is unhealthy", tg.ID, tg.Group)
		}
		byGroup[tg.Group] = append(byGroup[tg.Group], tg.ID[:strings.Index(tg.ID, "@")])
	}
	for _, g := range []providers.Ref{app, orders} {
		want := slices.Sorted(maps.Keys(e.groupInstances(g.ID)))
		sort.Strings(byGroup[g.Address])
		if !slices.Equal(byGroup[g.Address], want) {
			t.Errorf("Observe lists %v as the targets of %s, want its instances %v", byGroup[g.Address], g.Address, want)
		}
	}

	// The orders instances leave their target group.
	tgs := e.attachedTargetGroups(orders.ID)
	if len(tgs) != 1 {
		t.Fatalf("%s is attached to %d target groups, want 1", orders.Address, len(tgs))
	}
	var targets []elbtypes.TargetDescription
	for id := range e.groupInstances(orders.ID) {
		targets = append(targets, elbtypes.TargetDescription{Id: sdk.String(id)})
	}
	if _, err := e.clients().elbv2.DeregisterTargets(e.ctx, &elbv2.DeregisterTargetsInput{TargetGroupArn: sdk.String(tgs[0]), Targets: targets}); err != nil {
		t.Fatal(err)
	}
	got, err = obs.Observe(e.ctx, lb, cty.NilVal)
	if err != nil {
		t.Fatal(err)
	}
	if got.Healthy || !strings.Contains(got.Detail, orders.Address) || strings.Contains(got.Detail, app.Address) {
		t.Errorf("with no target left for %s, Observe = healthy %t, %q; want unhealthy, naming only that group", orders.Address, got.Healthy, got.Detail)
	}

	if _, err := obs.Observe(e.ctx, providers.Ref{Address: "load_balancer.none", Kind: kinds.LoadBalancer}, cty.NilVal); err == nil || !strings.Contains(err.Error(), "load_balancer.none") {
		t.Errorf("Observe of a load balancer not created yet: %v; want an error naming it", err)
	}
}
