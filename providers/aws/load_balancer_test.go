package aws

import (
	"sort"
	"testing"
	"time"

	sdk "github.com/aws/aws-sdk-go-v2/aws"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/google/go-cmp/cmp"
	"github.com/zclconf/go-cty/cty"

	"github.com/stagecraft/stagecraft/providers"
	"github.com/stagecraft/stagecraft/providers/kinds"
)

// route is a route block for a test.
func route(path, target string, weight int64) cty.Value {
	r := attrs{"path": cty.StringVal(path), "target": cty.StringVal(target)}
	if weight >= 0 {
		r["weight"] = cty.NumberIntVal(weight)
	}
	return cty.ObjectVal(r)
}

func lbAttrs(typ string, routes ...cty.Value) attrs {
	return attrs{"type": cty.StringVal(typ), "listener": cty.TupleVal([]cty.Value{cty.EmptyObjectVal}), "route": cty.TupleVal(routes)}
}

// routesOf renders a value's routes as "path target weight" lines.
func routesOf(v cty.Value) []string {
	var out []string
	for _, r := range v.GetAttr("route").AsValueSlice() {
		w := "-"
		if x := r.GetAttr("weight"); !x.IsNull() {
			w = x.AsBigFloat().Text('f', -1)
		}
		out = append(out, r.GetAttr("path").AsString()+" "+r.GetAttr("target").AsString()+" "+w)
	}
	return out
}

// forwards renders what a listener does at AWS: "prefix -> target=weight"
// per rule and default action, by the target groups' tags.
func (e *testEnv) forwards(lbARN string) []string {
	e.t.Helper()
	c := e.clients().elbv2
	ls, err := c.DescribeListeners(e.ctx, &elbv2.DescribeListenersInput{LoadBalancerArn: sdk.String(lbARN)})
	if err != nil || len(ls.Listeners) == 0 {
		e.t.Fatalf("listeners of %s: %v (%d)", lbARN, err, len(ls.Listeners))
	}
	l := ls.Listeners[0]
	var rules []elbtypes.Rule
	if l.Protocol == elbtypes.ProtocolEnumHttp {
		rs, err := c.DescribeRules(e.ctx, &elbv2.DescribeRulesInput{ListenerArn: l.ListenerArn})
		if err != nil {
			e.t.Fatal(err)
		}
		rules = rs.Rules
	}
	byARN := routingByARN(l.DefaultActions, rules)
	var out []string
	for prefix, weights := range byARN {
		for arn, w := range weights {
			tags, err := e.p.(*provider).kinds[kinds.LoadBalancer].(*loadBalancerKind).describeTags(e.ctx, []string{arn})
			if err != nil {
				e.t.Fatal(err)
			}
			out = append(out, prefix+" -> "+tags[arn][tagTarget]+"="+cty.NumberIntVal(w).AsBigFloat().Text('f', -1))
		}
	}
	sort.Strings(out)
	return out
}

// TestLoadBalancerWeightedRoutes splits a path between two groups by
// weight, reads the weights back, then adds a path and removes it again:
// the load balancer keeps its id and its rules follow.
func TestLoadBalancerWeightedRoutes(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, 30*time.Second)
	app, _ := e.create(kinds.AutoscalingGroup, "app", groupAttrs(testAMI, nil))
	canary, _ := e.create(kinds.AutoscalingGroup, "canary", groupAttrs(testAMI, attrs{"port": cty.NumberIntVal(9090)}))
	orders, _ := e.create(kinds.AutoscalingGroup, "orders", groupAttrs(testAMI, nil))
	split := lbAttrs("http", route("/*", app.Address, 90), route("/*", canary.Address, 10))
	lb, v := e.create(kinds.LoadBalancer, "edge", split)
	k := e.kind(kinds.LoadBalancer)

	if diff := cmp.Diff([]string{"/* " + app.Address + " 90", "/* " + canary.Address + " 10"}, routesOf(v)); diff != "" {
		t.Errorf("Create returns routes (-want +got):\n%s", diff)
	}
	want := []string{"/ -> " + app.Address + "=90", "/ -> " + canary.Address + "=10"}
	sort.Strings(want)
	if diff := cmp.Diff(want, e.forwards(lb.ID)); diff != "" {
		t.Errorf("the listener forwards (-want +got):\n%s", diff)
	}
	for _, g := range []providers.Ref{app, canary} {
		if got := e.attachedTargetGroups(g.ID); len(got) != 1 {
			t.Errorf("%s is attached to %d target groups, want 1", g.Address, len(got))
		}
	}

	// A path added: one rule more, the same load balancer.
	withOrders := lbAttrs("http", route("/orders/*", orders.Address, -1), route("/*", app.Address, 90), route("/*", canary.Address, 10))
	v2, err := k.Update(e.ctx, lb, v, e.desired(lb.Kind, withOrders))
	if err != nil {
		t.Fatalf("add a route: %v", err)
	}
	if id := v2.GetAttr("id").AsString(); id != lb.ID {
		t.Errorf("adding a route changed the id from %s to %s", lb.ID, id)
	}
	wantOrders := append([]string{"/orders/ -> " + orders.Address + "=100"}, want...)
	sort.Strings(wantOrders)
	if diff := cmp.Diff(wantOrders, e.forwards(lb.ID)); diff != "" {
		t.Errorf("after adding /orders/*, the listener forwards (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"/orders/* " + orders.Address + " -", "/* " + app.Address + " 90", "/* " + canary.Address + " 10"}, routesOf(v2)); diff != "" {
		t.Errorf("Update returns routes (-want +got):\n%s", diff)
	}

	// Shifting the weights and dropping the path again.
	shifted := lbAttrs("http", route("/*", app.Address, 50), route("/*", canary.Address, 50))
	v3, err := k.Update(e.ctx, lb, v2, e.desired(lb.Kind, shifted))
	if err != nil {
		t.Fatalf("remove a route: %v", err)
	}
	want = []string{"/ -> " + app.Address + "=50", "/ -> " + canary.Address + "=50"}
	sort.Strings(want)
	if diff := cmp.Diff(want, e.forwards(lb.ID)); diff != "" {
		t.Errorf("after removing /orders/*, the listener forwards (-want +got):\n%s", diff)
	}
	if got := e.attachedTargetGroups(orders.ID); len(got) != 0 {
		t.Errorf("%s is still attached to %d target groups after its route went", orders.Address, len(got))
	}
	got, _, err := k.Read(e.ctx, lb)
	if err != nil || !got.RawEquals(v3) {
		t.Errorf("Read after removing a route = %s, %v; want what Update returned, %s", routesOf(got), err, routesOf(v3))
	}
	if u := v3.GetAttr("url").AsString(); u != "http://"+v3.GetAttr("dns_name").AsString() {
		t.Errorf("url = %q, want http:// and the DNS name", u)
	}
}

// TestLoadBalancerTCP makes a network load balancer splitting connections
// between two groups.
func TestLoadBalancerTCP(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, 30*time.Second)
	blue, _ := e.create(kinds.AutoscalingGroup, "blue", groupAttrs(testAMI, nil))
	green, _ := e.create(kinds.AutoscalingGroup, "green", groupAttrs(testAMI, nil))
	a := lbAttrs("tcp", route("/", blue.Address, 70), route("/", green.Address, 30))
	a["listener"] = cty.TupleVal([]cty.Value{cty.ObjectVal(attrs{"port": cty.NumberIntVal(5432)})})
	lb, v := e.create(kinds.LoadBalancer, "db", a)

	out, err := e.clients().elbv2.DescribeLoadBalancers(e.ctx, &elbv2.DescribeLoadBalancersInput{LoadBalancerArns: []string{lb.ID}})
	if err != nil || len(out.LoadBalancers) != 1 || out.LoadBalancers[0].Type != elbtypes.LoadBalancerTypeEnumNetwork {
		t.Fatalf("the load balancer at AWS: %+v, %v; want one network load balancer", out, err)
	}
	ls, err := e.clients().elbv2.DescribeListeners(e.ctx, &elbv2.DescribeListenersInput{LoadBalancerArn: sdk.String(lb.ID)})
	if err != nil || len(ls.Listeners) != 1 || ls.Listeners[0].Protocol != elbtypes.ProtocolEnumTcp || sdk.ToInt32(ls.Listeners[0].Port) != 5432 {
		t.Fatalf("listeners: %+v, %v; want one TCP listener on 5432", ls, err)
	}
	want := []string{"/ -> " + blue.Address + "=70", "/ -> " + green.Address + "=30"}
	sort.Strings(want)
	if diff := cmp.Diff(want, e.forwards(lb.ID)); diff != "" {
		t.Errorf("the listener forwards (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"/ " + blue.Address + " 70", "/ " + green.Address + " 30"}, routesOf(v)); diff != "" {
		t.Errorf("Create returns routes (-want +got):\n%s", diff)
	}
	dns := v.GetAttr("dns_name").AsString()
	if got := v.GetAttr("url").AsString(); got != "tcp://"+dns+":5432" {
		t.Errorf("url = %q, want tcp://%s:5432", got, dns)
	}
	if got := v.GetAttr("address").AsString(); got != dns+":5432" {
		t.Errorf("address = %q, want %s:5432", got, dns)
	}
}

// attachedTargetGroups lists the target groups a group is attached to.
func (e *testEnv) attachedTargetGroups(name string) []string {
	e.t.Helper()
	g, err := e.p.(*provider).kinds[kinds.AutoscalingGroup].(*groupKind).describeGroup(e.ctx, name)
	if err != nil || g == nil {
		e.t.Fatalf("describe the group %s: %v", name, err)
	}
	return g.TargetGroupARNs
}
