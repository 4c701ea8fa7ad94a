package aws

import (
	"maps"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	sdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
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
		if strings.HasPrefix(tg.ID, "targetgroup/") {
			continue // a target group's traffic figures
		}
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

// TestLoadBalancerObserveCountsFromCloudWatch: an application load
// balancer's gate signals are health and 5xx, and Observe reads a target
// group's requests and 5xx answers from CloudWatch (put there by the test,
// as an ALB would), under the group it routes to.
func TestLoadBalancerObserveCountsFromCloudWatch(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, 30*time.Second)
	app, _ := e.create(kinds.AutoscalingGroup, "app", groupAttrs(testAMI, nil))
	cfg := lbAttrs("http", route("/*", app.Address, -1))
	lb, _ := e.create(kinds.LoadBalancer, "edge", cfg)
	kind := e.kind(kinds.LoadBalancer)
	if got := providers.GateSignals(kind, cty.ObjectVal(cfg)); !slices.Equal(got, []string{providers.SignalHealth, providers.Signal5xx}) {
		t.Errorf("an application load balancer measures %v, want health and 5xx", got)
	}
	tcp := lbAttrs("tcp", route("/", app.Address, -1))
	if got := providers.GateSignals(kind, cty.ObjectVal(tcp)); !slices.Equal(got, []string{providers.SignalHealth}) {
		t.Errorf("a network load balancer measures %v, want health only", got)
	}

	tgs := e.attachedTargetGroups(app.ID)
	if len(tgs) != 1 {
		t.Fatalf("%s is attached to %d target groups, want 1", app.Address, len(tgs))
	}
	dims := []cwtypes.Dimension{
		{Name: sdk.String("LoadBalancer"), Value: sdk.String(strings.TrimPrefix(dimensionOf(lb.ID), "loadbalancer/"))},
		{Name: sdk.String("TargetGroup"), Value: sdk.String(dimensionOf(tgs[0]))},
	}
	if _, err := e.clients().cloudwatch.PutMetricData(e.ctx, &cloudwatch.PutMetricDataInput{
		Namespace: sdk.String("AWS/ApplicationELB"),
		MetricData: []cwtypes.MetricDatum{
			{MetricName: sdk.String("RequestCount"), Dimensions: dims, Value: sdk.Float64(200), Timestamp: sdk.Time(time.Now())},
			{MetricName: sdk.String("HTTPCode_Target_5XX_Count"), Dimensions: dims, Value: sdk.Float64(3), Timestamp: sdk.Time(time.Now())},
		},
	}); err != nil {
		t.Fatal(err)
	}
	got, err := kind.(providers.Observer).Observe(e.ctx, lb, cty.NilVal)
	if err != nil {
		t.Fatal(err)
	}
	var counted []providers.TargetObservation
	for _, tg := range got.Targets {
		if strings.HasPrefix(tg.ID, "targetgroup/") {
			counted = append(counted, tg)
		}
	}
	if len(counted) != 1 || counted[0].Group != app.Address || counted[0].Requests != 200 || counted[0].Errors5xx != 3 {
		t.Errorf("Observe reports the target groups' traffic as %+v; want one for %s with 200 requests and 3 5xx", counted, app.Address)
	}
}
