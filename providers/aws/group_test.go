package aws

import (
	"context"
	"strings"
	"testing"
	"time"

	sdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/zclconf/go-cty/cty"

	"github.com/stagecraft/stagecraft/providers"
	"github.com/stagecraft/stagecraft/providers/kinds"
	"github.com/stagecraft/stagecraft/providers/providertest"
)

// Machine images in moto's catalogue (moto accepts any image it lists).
const (
	testAMI    = "ami-760aaa0f" // amzn-ami-hvm-2017.09.1
	testAMIOld = "ami-785db401" // ubuntu-xenial-16.04
)

type attrs = map[string]cty.Value

// testEnv is one test's provider (in a region of its own), its deadline
// and its owner tags; it deletes what the test made, newest first.
type testEnv struct {
	t          *testing.T
	p          providers.Provider
	region     string
	ctx        context.Context
	stack, env string
	made       []providers.Ref
}

func newTestEnv(t *testing.T, timeout time.Duration) *testEnv {
	t.Helper()
	p, region := newTestProvider(t, nil)
	ctx, cancel := context.WithTimeout(t.Context(), timeout)
	t.Cleanup(cancel)
	e := &testEnv{t: t, p: p, region: region, ctx: ctx, stack: "shop-" + t.Name(), env: "prod"}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		for i := len(e.made) - 1; i >= 0; i-- {
			r := e.made[i]
			if err := e.kind(r.Kind).Delete(ctx, r, cty.NilVal); err != nil {
				t.Errorf("clean up %s: %v", r.Address, err)
			}
		}
	})
	return e
}

func (e *testEnv) kind(name string) providers.ResourceKind {
	k, ok := e.p.Kind(name)
	if !ok {
		e.t.Fatalf("the aws provider has no kind %s", name)
	}
	return k
}

func (e *testEnv) clients() *clients { return e.p.(*provider).clients }

func (e *testEnv) ref(kind, name string) providers.Ref {
	return providers.Ref{Address: kind + "." + name, Kind: kind, Stack: e.stack, Environment: e.env}
}

func (e *testEnv) desired(kind string, a attrs) cty.Value {
	return providertest.Desired(e.kind(kind).Schema(), a)
}

// create makes a resource (deleted when the test ends) and returns its
// ref, with the id, and its value.
func (e *testEnv) create(kind, name string, a attrs) (providers.Ref, cty.Value) {
	e.t.Helper()
	r := e.ref(kind, name)
	v, err := e.kind(kind).Create(e.ctx, r, e.desired(kind, a))
	if err != nil {
		e.t.Fatalf("create %s: %v", r.Address, err)
	}
	r.ID = v.GetAttr("id").AsString()
	e.made = append(e.made, r)
	return r, v
}

// groupAttrs configures a group running ami.
func groupAttrs(ami string, extra attrs) attrs {
	a := attrs{"min": cty.NumberIntVal(1), "max": cty.NumberIntVal(2), "aws": cty.ObjectVal(attrs{"ami": cty.StringVal(ami)})}
	for k, v := range extra {
		a[k] = v
	}
	return a
}

// TestGroupRollFallback changes a group's image: moto has no instance
// refresh, so the group rolls by surge and terminate, and ends with only
// instances of the new image, as many as before.
func TestGroupRollFallback(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, 30*time.Second)
	two := attrs{"min": cty.NumberIntVal(2), "max": cty.NumberIntVal(2)}
	r, v := e.create(kinds.AutoscalingGroup, "app", groupAttrs(testAMIOld, two))
	before := e.groupInstances(r.ID)
	if len(before) != 2 {
		t.Fatalf("the group runs %d instances after create, want 2", len(before))
	}
	updated, err := e.kind(r.Kind).Update(e.ctx, r, v, e.desired(r.Kind, groupAttrs(testAMI, two)))
	if err != nil {
		t.Fatalf("update the image: %v", err)
	}
	if got := updated.GetAttr("aws").GetAttr("ami").AsString(); got != testAMI {
		t.Errorf("Update returns ami %s, want %s", got, testAMI)
	}
	after := e.groupInstances(r.ID)
	if len(after) != 2 {
		t.Errorf("the group runs %d instances after the roll, want 2: %v", len(after), after)
	}
	for id, ami := range after {
		if _, old := before[id]; old {
			t.Errorf("instance %s from before the roll is still in the group", id)
		}
		if ami != testAMI {
			t.Errorf("instance %s runs %s after the roll, want %s", id, ami, testAMI)
		}
	}
	// The old instances are terminated, not just detached.
	for id := range before {
		if state := e.instanceState(id); state != "terminated" && state != "shutting-down" {
			t.Errorf("old instance %s is %s after the roll, want terminated", id, state)
		}
	}
	// A re-read shows no change left to make.
	again, _, err := e.kind(r.Kind).Read(e.ctx, r)
	if err != nil || !again.RawEquals(updated) {
		t.Errorf("Read after the roll = %#v, %v; want what Update returned", again, err)
	}
}

// TestCreateIsIdempotent creates each kind twice with the same ref, as the
// planner does when a crash came between a create and the state write: the
// second create finds the first one's resource.
func TestCreateIsIdempotent(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, 40*time.Second)
	group := groupAttrs(testAMI, nil)
	app, _ := e.create(kinds.AutoscalingGroup, "app", group)
	lbAttrs := attrs{"listener": cty.TupleVal([]cty.Value{cty.EmptyObjectVal}),
		"route": cty.TupleVal([]cty.Value{cty.ObjectVal(attrs{"target": cty.StringVal(app.Address)})})}
	lb, _ := e.create(kinds.LoadBalancer, "edge", lbAttrs)
	net, _ := e.create(kinds.Network, "main", nil)
	for _, c := range []struct {
		r providers.Ref
		a attrs
	}{{app, group}, {lb, lbAttrs}, {net, nil}} {
		r := c.r
		r.ID = ""
		v, err := e.kind(r.Kind).Create(e.ctx, r, e.desired(r.Kind, c.a))
		if err != nil {
			t.Fatalf("create %s again: %v", r.Address, err)
		}
		if id := v.GetAttr("id").AsString(); id != c.r.ID {
			t.Errorf("the second create of %s made %s; want the first one's %s", r.Address, id, c.r.ID)
		}
		found, err := e.kind(r.Kind).(providers.Discoverer).Discover(e.ctx, e.stack, e.env)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, f := range found {
			if f.Ref.Address == r.Address {
				n++
			}
		}
		if n != 1 {
			t.Errorf("after two creates, %d resources carry the address %s; want 1", n, r.Address)
		}
	}
	// The instances of the group were not launched twice either.
	if got := len(e.groupInstances(app.ID)); got != 1 {
		t.Errorf("the group runs %d instances after two creates, want 1", got)
	}
	vpcs, err := e.clients().ec2.DescribeVpcs(e.ctx, &ec2.DescribeVpcsInput{Filters: []ec2types.Filter{tagFilter(providers.TagStack, e.stack)}})
	if err != nil || len(vpcs.Vpcs) != 1 {
		t.Errorf("VPCs of the stack after two creates: %d (%v); want 1", len(vpcs.Vpcs), err)
	}
	igws, err := e.clients().ec2.DescribeInternetGateways(e.ctx, &ec2.DescribeInternetGatewaysInput{Filters: []ec2types.Filter{tagFilter(providers.TagStack, e.stack)}})
	if err != nil || len(igws.InternetGateways) != 1 {
		t.Errorf("internet gateways of the stack after two creates: %d (%v); want 1", len(igws.InternetGateways), err)
	}
}

// TestGroupNameTakenByAnother: a create refuses to take over a group of the same name
// belonging to another address (moto would silently replace it).
func TestGroupNameTakenByAnother(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, 20*time.Second)
	app, _ := e.create(kinds.AutoscalingGroup, "app", groupAttrs(testAMI, nil))
	_, err := e.clients().autoscaling.CreateOrUpdateTags(e.ctx, &autoscaling.CreateOrUpdateTagsInput{Tags: []astypes.Tag{{
		Key: sdk.String(providers.TagAddress), Value: sdk.String("autoscaling_group.other"),
		ResourceId: sdk.String(app.ID), ResourceType: sdk.String("auto-scaling-group"), PropagateAtLaunch: sdk.Bool(true),
	}}})
	if err != nil {
		t.Fatal(err)
	}
	r := app
	r.ID = ""
	_, err = e.kind(r.Kind).Create(e.ctx, r, e.desired(r.Kind, groupAttrs(testAMI, nil)))
	if err == nil || !containsAll(err.Error(), app.Address, app.ID, "autoscaling_group.other") {
		t.Errorf("create with the name of another address's group: %v; want an error naming the address, the group and its owner", err)
	}
}

// groupInstances returns the image of each instance in a group.
func (e *testEnv) groupInstances(name string) map[string]string {
	e.t.Helper()
	g, err := e.p.(*provider).kinds[kinds.AutoscalingGroup].(*groupKind).describeGroup(e.ctx, name)
	if err != nil || g == nil {
		e.t.Fatalf("describe the group %s: %v", name, err)
	}
	var ids []string
	for _, in := range g.Instances {
		ids = append(ids, sdk.ToString(in.InstanceId))
	}
	out := map[string]string{}
	if len(ids) == 0 {
		return out
	}
	res, err := e.clients().ec2.DescribeInstances(e.ctx, &ec2.DescribeInstancesInput{InstanceIds: ids})
	if err != nil {
		e.t.Fatal(err)
	}
	for _, rs := range res.Reservations {
		for _, in := range rs.Instances {
			out[sdk.ToString(in.InstanceId)] = sdk.ToString(in.ImageId)
		}
	}
	return out
}

func (e *testEnv) instanceState(id string) string {
	res, err := e.clients().ec2.DescribeInstances(e.ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{id}})
	if err != nil {
		e.t.Fatal(err)
	}
	for _, rs := range res.Reservations {
		for _, in := range rs.Instances {
			if in.State != nil {
				return string(in.State.Name)
			}
		}
	}
	return "absent"
}

func containsAll(s string, parts ...string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}

// TestRolloutHealthyPercentages checks the instance refresh bounds a
// rollout block gives, within what AWS accepts.
func TestRolloutHealthyPercentages(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		ro               rollout
		desired          int32
		minWant, maxWant int32
	}{
		"default, group of 4":     {rollout{Surge: 1}, 4, 100, 125},
		"default, group of 1":     {rollout{Surge: 1}, 1, 100, 200},
		"surge beyond the group":  {rollout{Surge: 5}, 2, 100, 200},
		"drain first":             {rollout{Unavailable: 1}, 4, 75, 100},
		"both":                    {rollout{Surge: 2, Unavailable: 1}, 10, 90, 120},
		"all unavailable, surged": {rollout{Surge: 4, Unavailable: 4}, 4, 100, 200},
		"empty group":             {rollout{Surge: 1}, 0, 100, 200},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			lo, hi := tt.ro.healthyPercentages(tt.desired)
			if lo != tt.minWant || hi != tt.maxWant {
				t.Errorf("healthyPercentages(%d) of %+v = %d, %d; want %d, %d", tt.desired, tt.ro, lo, hi, tt.minWant, tt.maxWant)
			}
			if hi-lo > 100 || hi > 200 || lo < 0 || (hi == 100 && lo >= 100) {
				t.Errorf("%d..%d is outside what AWS accepts", lo, hi)
			}
		})
	}
	if got := parseRolloutTag("2/1"); got != (rollout{Surge: 2, Unavailable: 1}) {
		t.Errorf("parseRolloutTag(2/1) = %+v", got)
	}
	if got := parseRolloutTag(""); got != (rollout{Surge: 1}) {
		t.Errorf("a group without the tag rolls with %+v, want the defaults", got)
	}
}
