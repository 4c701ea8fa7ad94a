package cmd

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	sdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"

	"github.com/stagecraft/stagecraft/providers"
	"github.com/stagecraft/stagecraft/providers/aws/mototest"
)

// awsCrashStack is a stack with one stage per aws kind, each adding that
// kind to the stage it extends; %[1]s is the stack's name, %[2]s the
// stage the environment runs. The crash tests run in a region of their
// own, and each case is a stack of its own, so cases never see each
// other's resources.
const awsCrashStack = `
stack %[1]q {}

variable "endpoint" {
  type = string
}

provider "aws" {
  region               = "us-west-2"
  endpoint_url         = var.endpoint
  wait_timeout         = "60s"
  poll_interval        = "200ms"
  cache_delete_timeout = "1s"
  retry_max_backoff    = "100ms"
}

environment "prod" {
  provider = "aws"
  stage    = %[2]q
}

stage "network" {
  network "main" {}
}

stage "group" {
  extends = "network"

  autoscaling_group "app" {
    min     = 1
    max     = 1
    port    = 8080
    network = network.main
    aws {
      ami = "ami-760aaa0f"
    }
  }
}

stage "balanced" {
  extends = "group"

  load_balancer "edge" {
    network = network.main
    listener {
      port = 80
    }
    route {
      path   = "/*"
      target = autoscaling_group.app
    }
  }
}

stage "cache" {
  extends = "network"

  cache "sessions" {
    engine  = "redis"
    network = network.main
  }
}

stage "coordinator" {
  extends = "network"

  coordinator "locks" {
    engine  = "etcd"
    members = 3
    network = network.main
    aws {
      ami = "ami-760aaa0f"
    }
  }

  autoscaling_group "orders" {
    min     = 1
    max     = 1
    port    = 9090
    network = network.main
    env = {
      ETCD_ENDPOINTS = join(",", coordinator.locks.endpoints)
    }
    aws {
      ami = "ami-760aaa0f"
    }
  }
}
`

// crashStack is awsCrashStack under one name in a directory of its own.
type crashStack struct {
	t         *testing.T
	bin, dir  string
	name      string
	ctx       context.Context
	moto      string
	intercept *mototest.Interceptor
}

// newCrashStack makes a stack called name whose calls go to moto through
// an interceptor of its own.
func newCrashStack(t *testing.T, bin, moto, name string) *crashStack {
	t.Helper()
	in := mototest.NewInterceptor(t, moto)
	dir := filepath.Join(t.TempDir(), name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	t.Cleanup(cancel)
	return &crashStack{t: t, bin: bin, dir: dir, name: name, ctx: ctx, moto: moto, intercept: in}
}

// crashStep is a call of a create: the nth call named call.
type crashStep struct {
	call string
	n    int
}

func (st crashStep) String() string { return fmt.Sprintf("%s#%d", st.call, st.n) }

// run runs the binary on stage with args through the interceptor; with
// killAt set, it kills the binary (SIGKILL) right after that call has
// taken effect, and reports whether it did.
func (s *crashStack) run(stage string, killAt crashStep, args ...string) (code int, out string, killed bool) {
	s.t.Helper()
	if err := os.WriteFile(filepath.Join(s.dir, "main.stack.hcl"), fmt.Appendf(nil, awsCrashStack, s.name, stage), 0o644); err != nil {
		s.t.Fatal(err)
	}
	full := append(append([]string{"-C", s.dir}, args...), "-var", "endpoint="+s.intercept.URL)
	cmd := exec.CommandContext(s.ctx, s.bin, full...)
	cmd.Env = append(os.Environ(), mototest.Env()...)
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	if err := cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	var mu sync.Mutex
	seen := 0
	if killAt.call != "" {
		s.intercept.OnChange(func(call string) {
			mu.Lock()
			defer mu.Unlock()
			if call != killAt.call {
				return
			}
			if seen++; seen == killAt.n {
				killed = true
				_ = cmd.Process.Kill()
			}
		})
		defer s.intercept.OnChange(nil)
	}
	err := cmd.Wait()
	mu.Lock()
	defer mu.Unlock()
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		s.t.Fatalf("stagecraft %s: %v", strings.Join(args, " "), err)
	}
	if strings.Contains(buf.String(), "goroutine ") {
		s.t.Fatalf("stagecraft %s printed a stack trace:\n%s", strings.Join(args, " "), buf.String())
	}
	return code, buf.String(), killed
}

// mustApply applies stage to the end.
func (s *crashStack) mustApply(stage string) string {
	s.t.Helper()
	code, out, _ := s.run(stage, crashStep{}, "apply", "--auto-approve")
	if code != 0 || !strings.Contains(out, "Apply complete") {
		s.t.Fatalf("apply of stage %s: exit %d:\n%s", stage, code, out)
	}
	return out
}

// calls applies stage and returns the changing calls it made, in order.
func (s *crashStack) calls(stage string) []string {
	s.t.Helper()
	var mu sync.Mutex
	var calls []string
	s.intercept.OnChange(func(call string) {
		mu.Lock()
		calls = append(calls, call)
		mu.Unlock()
	})
	defer s.intercept.OnChange(nil)
	s.mustApply(stage)
	mu.Lock()
	defer mu.Unlock()
	return calls
}

// crashCase is one aws kind whose create the tests interrupt: the stage
// that adds it, the stage it extends (applied first), and the check that
// what exists is complete.
type crashCase struct {
	kind, base, stage string
	check             func(t *testing.T, api *awsAPI, ctx context.Context, stack string)
}

// TestAWSCrashAtEachCreateStep kills the apply (SIGKILL) right after each
// kind of call that a create of each aws kind makes on moto, applies once
// more, and checks with the SDK that exactly one complete resource exists
// per address and that the next plan has no changes.
func TestAWSCrashAtEachCreateStep(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs it against moto")
	}
	t.Parallel()
	moto := mototest.ForTest(t).URL
	bin := buildStagecraft(t)
	for _, c := range []crashCase{
		{kind: "network", stage: "network", check: checkCrashNetwork},
		{kind: "autoscaling_group", base: "network", stage: "group", check: checkCrashGroup},
		{kind: "load_balancer", base: "group", stage: "balanced", check: checkCrashLoadBalancer},
		{kind: "cache", base: "network", stage: "cache", check: checkCrashCache},
		{kind: "coordinator", base: "network", stage: "coordinator", check: checkCrashCoordinator},
	} {
		t.Run(c.kind, func(t *testing.T) {
			t.Parallel()
			// Learn the calls, the base's first: a case applies the
			// stage in one go, and the kind's calls come after the
			// base's, on which the kind depends.
			learn := newCrashStack(t, bin, moto, "learn-"+c.kind)
			before := map[string]int{}
			if c.base != "" {
				for _, call := range learn.calls(c.base) {
					before[call]++
				}
			}
			steps := crashSteps(learn.calls(c.stage))
			if len(steps) == 0 {
				t.Fatalf("applying stage %s made no call that changes anything", c.stage)
			}
			for i, step := range steps {
				t.Run(step.String(), func(t *testing.T) {
					s := newCrashStack(t, bin, moto, fmt.Sprintf("crash-%s-%d", strings.ReplaceAll(c.kind, "_", "-"), i))
					code, out, killed := s.run(c.stage, crashStep{step.call, before[step.call] + step.n}, "apply", "--auto-approve")
					if !killed {
						t.Fatalf("the apply of stage %s made no %s call to be killed at (exit %d):\n%s", c.stage, step, code, out)
					}
					out = s.mustApply(c.stage)
					t.Logf("the apply after the crash:\n%s", out)
					code, plan, _ := s.run(c.stage, crashStep{}, "plan", "--detailed-exitcode")
					if code != 0 {
						t.Fatalf("after a crash at %s and one apply, the plan is not clean (exit %d):\n%s\nthe apply said:\n%s", step, code, plan, out)
					}
					c.check(t, newAWSAPIIn(s.moto, "us-west-2"), s.ctx, s.name)
				})
			}
		})
	}
}

// crashSteps picks the calls to crash at among calls, a create's
// changing calls in order: the first and the last of each name, so that
// each kind of step is interrupted before and after its repeats (the
// first subnet and the last, the first member numbered and the roster
// written).
func crashSteps(calls []string) []crashStep {
	count := map[string]int{}
	for _, c := range calls {
		count[c]++
	}
	var out []crashStep
	seen := map[string]int{}
	for _, c := range calls {
		seen[c]++
		if seen[c] == 1 || seen[c] == count[c] {
			out = append(out, crashStep{c, seen[c]})
		}
	}
	return out
}

// ownerFilter selects EC2 objects of stack's prod environment at address.
func ownerFilter(stack, address string) []ec2types.Filter {
	return []ec2types.Filter{
		{Name: sdk.String("tag:" + providers.TagStack), Values: []string{stack}},
		{Name: sdk.String("tag:" + providers.TagEnvironment), Values: []string{"prod"}},
		{Name: sdk.String("tag:" + providers.TagAddress), Values: []string{address}},
	}
}

// checkCrashNetwork checks that network.main is one VPC with all its
// parts, and nothing of it exists twice.
func checkCrashNetwork(t *testing.T, api *awsAPI, ctx context.Context, stack string) {
	t.Helper()
	owner := ownerFilter(stack, "network.main")
	vpcs, err := api.ec2.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{Filters: owner})
	if err != nil {
		t.Fatal(err)
	}
	if len(vpcs.Vpcs) != 1 {
		t.Fatalf("%d VPCs carry network.main's tags, want 1", len(vpcs.Vpcs))
	}
	vpc := sdk.ToString(vpcs.Vpcs[0].VpcId)
	inVPC := []ec2types.Filter{{Name: sdk.String("vpc-id"), Values: []string{vpc}}}
	public, private := api.subnets(t, ctx, vpc)
	if len(public) != 2 || len(private) != 2 {
		t.Errorf("the network has %d public and %d private subnets, want 2 and 2", len(public), len(private))
	}
	subnets, err := api.ec2.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: inVPC})
	if err != nil {
		t.Fatal(err)
	}
	for _, sn := range subnets.Subnets {
		if awsTagValue(sn.Tags, "stagecraft:tier") == "public" && !sdk.ToBool(sn.MapPublicIpOnLaunch) {
			t.Errorf("public subnet %s gives no public addresses", sdk.ToString(sn.SubnetId))
		}
	}
	igws, err := api.ec2.DescribeInternetGateways(ctx, &ec2.DescribeInternetGatewaysInput{Filters: owner})
	if err != nil {
		t.Fatal(err)
	}
	if len(igws.InternetGateways) != 1 || len(igws.InternetGateways[0].Attachments) != 1 || sdk.ToString(igws.InternetGateways[0].Attachments[0].VpcId) != vpc {
		t.Errorf("want one internet gateway attached to %s, found %+v", vpc, igws.InternetGateways)
	}
	tables, err := api.ec2.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{Filters: inVPC})
	if err != nil {
		t.Fatal(err)
	}
	associated := map[string][]string{}
	defaultRoute := false
	for _, rt := range tables.RouteTables {
		tier := awsTagValue(rt.Tags, "stagecraft:tier")
		if tier == "" {
			continue
		}
		if _, dup := associated[tier]; dup {
			t.Errorf("two %s route tables", tier)
		}
		associated[tier] = []string{}
		for _, a := range rt.Associations {
			if id := sdk.ToString(a.SubnetId); id != "" {
				associated[tier] = append(associated[tier], id)
			}
		}
		for _, r := range rt.Routes {
			if tier == "public" && sdk.ToString(r.DestinationCidrBlock) == "0.0.0.0/0" && len(igws.InternetGateways) > 0 && sdk.ToString(r.GatewayId) == sdk.ToString(igws.InternetGateways[0].InternetGatewayId) {
				defaultRoute = true
			}
		}
	}
	if !awsSameSet(associated["public"], public) || !awsSameSet(associated["private"], private) {
		t.Errorf("route table associations %v, want public %v and private %v", associated, public, private)
	}
	if !defaultRoute {
		t.Errorf("the public route table has no default route to the internet gateway")
	}
	sgs, err := api.ec2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: owner})
	if err != nil {
		t.Fatal(err)
	}
	tiers := map[string]ec2types.SecurityGroup{}
	for _, g := range sgs.SecurityGroups {
		tier := awsTagValue(g.Tags, "stagecraft:security-group")
		if _, dup := tiers[tier]; dup {
			t.Errorf("two %s security groups", tier)
		}
		tiers[tier] = g
	}
	if len(tiers) != 3 || len(sgs.SecurityGroups) != 3 {
		t.Errorf("the network has %d security groups (tiers %d), want lb, app and data", len(sgs.SecurityGroups), len(tiers))
	}
	for _, rule := range [][2]string{{"app", "lb"}, {"data", "app"}, {"data", "data"}} {
		from := sdk.ToString(tiers[rule[1]].GroupId)
		ok := false
		for _, p := range tiers[rule[0]].IpPermissions {
			for _, pair := range p.UserIdGroupPairs {
				ok = ok || sdk.ToString(pair.GroupId) == from
			}
		}
		if !ok {
			t.Errorf("the %s tier is not open to the %s tier", rule[0], rule[1])
		}
	}
}

// liveGroups returns stack's Auto Scaling groups at address that are not
// being deleted.
func liveGroups(t *testing.T, api *awsAPI, ctx context.Context, stack, address string) []astypes.AutoScalingGroup {
	t.Helper()
	out, err := api.as.DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{Filters: []astypes.Filter{
		{Name: sdk.String("tag:" + providers.TagStack), Values: []string{stack}},
		{Name: sdk.String("tag:" + providers.TagAddress), Values: []string{address}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	var live []astypes.AutoScalingGroup
	for _, g := range out.AutoScalingGroups {
		if sdk.ToString(g.Status) == "" {
			live = append(live, g)
		}
	}
	return live
}

// oneGroup checks that address is one Auto Scaling group with want
// instances in service, and returns it.
func oneGroup(t *testing.T, api *awsAPI, ctx context.Context, stack, address string, want int) astypes.AutoScalingGroup {
	t.Helper()
	live := liveGroups(t, api, ctx, stack, address)
	if len(live) != 1 {
		t.Fatalf("%d Auto Scaling groups carry %s's tags, want 1", len(live), address)
	}
	g := live[0]
	serving := 0
	for _, in := range g.Instances {
		if in.LifecycleState == astypes.LifecycleStateInService {
			serving++
		}
	}
	if serving != want {
		t.Errorf("%s has %d instances in service, want %d", address, serving, want)
	}
	return g
}

func checkCrashGroup(t *testing.T, api *awsAPI, ctx context.Context, stack string) {
	t.Helper()
	checkCrashNetwork(t, api, ctx, stack)
	oneGroup(t, api, ctx, stack, "autoscaling_group.app", 1)
}

func checkCrashLoadBalancer(t *testing.T, api *awsAPI, ctx context.Context, stack string) {
	t.Helper()
	checkCrashNetwork(t, api, ctx, stack)
	g := oneGroup(t, api, ctx, stack, "autoscaling_group.app", 1)
	lbs, err := api.elb.DescribeLoadBalancers(ctx, &elbv2.DescribeLoadBalancersInput{})
	if err != nil {
		t.Fatal(err)
	}
	var mine []string
	for _, lb := range lbs.LoadBalancers {
		tags, err := api.elb.DescribeTags(ctx, &elbv2.DescribeTagsInput{ResourceArns: []string{sdk.ToString(lb.LoadBalancerArn)}})
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]string{}
		for _, tag := range tags.TagDescriptions[0].Tags {
			m[sdk.ToString(tag.Key)] = sdk.ToString(tag.Value)
		}
		if m[providers.TagStack] == stack && m[providers.TagAddress] == "load_balancer.edge" {
			mine = append(mine, sdk.ToString(lb.LoadBalancerArn))
		}
	}
	if len(mine) != 1 {
		t.Fatalf("%d load balancers carry load_balancer.edge's tags, want 1", len(mine))
	}
	sgs, err := api.ec2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: append(ownerFilter(stack, "load_balancer.edge"),
		ec2types.Filter{Name: sdk.String("tag:stagecraft:role"), Values: []string{"listeners"}})})
	if err != nil {
		t.Fatal(err)
	}
	open := false
	for _, g := range sgs.SecurityGroups {
		for _, p := range g.IpPermissions {
			for _, ip := range p.IpRanges {
				open = open || sdk.ToInt32(p.FromPort) == 80 && sdk.ToString(ip.CidrIp) == "0.0.0.0/0"
			}
		}
	}
	if len(sgs.SecurityGroups) != 1 || !open {
		t.Errorf("load_balancer.edge has %d security groups of its own, want one open on port 80: %+v", len(sgs.SecurityGroups), sgs.SecurityGroups)
	}
	listeners, err := api.elb.DescribeListeners(ctx, &elbv2.DescribeListenersInput{LoadBalancerArn: sdk.String(mine[0])})
	if err != nil {
		t.Fatal(err)
	}
	if len(listeners.Listeners) != 1 || sdk.ToInt32(listeners.Listeners[0].Port) != 80 {
		t.Errorf("load_balancer.edge has listeners %+v, want one on port 80", listeners.Listeners)
	}
	tgs, err := api.elb.DescribeTargetGroups(ctx, &elbv2.DescribeTargetGroupsInput{LoadBalancerArn: sdk.String(mine[0])})
	if err != nil {
		t.Fatal(err)
	}
	if len(tgs.TargetGroups) != 1 {
		t.Fatalf("load_balancer.edge has %d target groups, want 1", len(tgs.TargetGroups))
	}
	if got := g.TargetGroupARNs; len(got) != 1 || got[0] != sdk.ToString(tgs.TargetGroups[0].TargetGroupArn) {
		t.Errorf("autoscaling_group.app is attached to %v, want the load balancer's target group %s", got, sdk.ToString(tgs.TargetGroups[0].TargetGroupArn))
	}
}

func checkCrashCache(t *testing.T, api *awsAPI, ctx context.Context, stack string) {
	t.Helper()
	checkCrashNetwork(t, api, ctx, stack)
	out, err := api.ec.DescribeReplicationGroups(ctx, &elasticache.DescribeReplicationGroupsInput{})
	if err != nil {
		t.Fatal(err)
	}
	var mine []string
	for _, rg := range out.ReplicationGroups {
		if sdk.ToString(rg.Status) == "deleting" {
			continue
		}
		tags, err := api.ec.ListTagsForResource(ctx, &elasticache.ListTagsForResourceInput{ResourceName: rg.ARN})
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]string{}
		for _, tag := range tags.TagList {
			m[sdk.ToString(tag.Key)] = sdk.ToString(tag.Value)
		}
		if m[providers.TagStack] == stack && m[providers.TagAddress] == "cache.sessions" {
			mine = append(mine, sdk.ToString(rg.ReplicationGroupId)+" ("+sdk.ToString(rg.Status)+")")
		}
	}
	if len(mine) != 1 || !strings.HasSuffix(mine[0], "(available)") {
		t.Errorf("cache.sessions is %v, want one available replication group", mine)
	}
}

// checkCrashCoordinator checks that coordinator.locks is one group of
// three members on one roster, and that autoscaling_group.orders was
// configured with their endpoints.
func checkCrashCoordinator(t *testing.T, api *awsAPI, ctx context.Context, stack string) {
	t.Helper()
	checkCrashNetwork(t, api, ctx, stack)
	g := oneGroup(t, api, ctx, stack, "coordinator.locks", 3)
	var ids []string
	for _, in := range g.Instances {
		ids = append(ids, sdk.ToString(in.InstanceId))
	}
	out, err := api.ec2.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: ids})
	if err != nil {
		t.Fatal(err)
	}
	var endpoints []string
	members := map[string]bool{}
	for _, res := range out.Reservations {
		for _, in := range res.Instances {
			if id := awsTagValue(in.Tags, "stagecraft:member-id"); id == "" || members[id] {
				t.Errorf("member %s has member number %q (taken: %v)", sdk.ToString(in.InstanceId), id, members)
			} else {
				members[id] = true
			}
			if n := len(strings.Split(awsTagValue(in.Tags, "stagecraft:members"), ",")); n != 3 {
				t.Errorf("member %s reads a roster of %d: %q", sdk.ToString(in.InstanceId), n, awsTagValue(in.Tags, "stagecraft:members"))
			}
			endpoints = append(endpoints, sdk.ToString(in.PrivateIpAddress)+":2379")
		}
	}
	orders := oneGroup(t, api, ctx, stack, "autoscaling_group.orders", 1)
	if orders.LaunchTemplate == nil {
		t.Fatal("autoscaling_group.orders has no launch template")
	}
	lt, err := api.ec2.DescribeLaunchTemplateVersions(ctx, &ec2.DescribeLaunchTemplateVersionsInput{
		LaunchTemplateId: orders.LaunchTemplate.LaunchTemplateId, Versions: []string{sdk.ToString(orders.LaunchTemplate.Version)},
	})
	if err != nil || len(lt.LaunchTemplateVersions) != 1 {
		t.Fatalf("launch template of autoscaling_group.orders: %v", err)
	}
	data := userDataText(t, sdk.ToString(lt.LaunchTemplateVersions[0].LaunchTemplateData.UserData))
	for _, e := range endpoints {
		if !strings.Contains(data, e) {
			t.Errorf("autoscaling_group.orders's ETCD_ENDPOINTS lacks member %s; its user data:\n%s", e, data)
		}
	}
}

// userDataText decodes a launch template's user data (base64 of a MIME
// multipart message whose parts are base64 too) into its parts' text.
func userDataText(t *testing.T, userData string) string {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(userData)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	_, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	var text strings.Builder
	parts := multipart.NewReader(msg.Body, params["boundary"])
	for {
		part, err := parts.NextRawPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(part)
		if err != nil {
			t.Fatal(err)
		}
		if part.Header.Get("Content-Transfer-Encoding") == "base64" {
			if body, err = base64.StdEncoding.DecodeString(strings.Join(strings.Fields(string(body)), "")); err != nil {
				t.Fatal(err)
			}
		}
		text.Write(body)
	}
	return text.String()
}

// TestAWSReplacingAHalfMadeNetworkKeepsItsNewCopy kills the apply after a
// network's VPC and its first subnets, and makes the VPC look like one
// made before VPCs recorded their zones, so that the next plan replaces
// it (availability_zones 1 -> 2). The replacement's create must not
// adopt the half-made VPC it replaces, which the apply then destroys:
// afterwards exactly one complete VPC exists, the state's, and the plan
// is clean.
func TestAWSReplacingAHalfMadeNetworkKeepsItsNewCopy(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs it against moto")
	}
	t.Parallel()
	moto := mototest.ForTest(t).URL
	s := newCrashStack(t, buildStagecraft(t), moto, "replace-network")
	if _, out, killed := s.run("network", crashStep{"ec2:CreateSubnet", 2}, "apply", "--auto-approve"); !killed {
		t.Fatalf("the apply made no second subnet to be killed at:\n%s", out)
	}
	api := newAWSAPIIn(moto, "us-west-2")
	vpcs, err := api.ec2.DescribeVpcs(s.ctx, &ec2.DescribeVpcsInput{Filters: ownerFilter(s.name, "network.main")})
	if err != nil || len(vpcs.Vpcs) != 1 {
		t.Fatalf("after the crash: %d VPCs (%v), want the half-made one", len(vpcs.Vpcs), err)
	}
	halfMade := sdk.ToString(vpcs.Vpcs[0].VpcId)
	if _, err := api.ec2.DeleteTags(s.ctx, &ec2.DeleteTagsInput{Resources: []string{halfMade}, Tags: []ec2types.Tag{{Key: sdk.String("stagecraft:availability-zones")}}}); err != nil {
		t.Fatal(err)
	}
	out := s.mustApply("network")
	if !strings.Contains(out, "forces replacement") {
		t.Fatalf("the apply after the crash did not replace the half-made network:\n%s", out)
	}
	if code, plan, _ := s.run("network", crashStep{}, "plan", "--detailed-exitcode"); code != 0 {
		t.Fatalf("after the replacement the plan is not clean (exit %d):\n%s\nthe apply said:\n%s", code, plan, out)
	}
	checkCrashNetwork(t, api, s.ctx, s.name)
	vpcs, err = api.ec2.DescribeVpcs(s.ctx, &ec2.DescribeVpcsInput{Filters: ownerFilter(s.name, "network.main")})
	if err != nil {
		t.Fatal(err)
	}
	if len(vpcs.Vpcs) == 1 && sdk.ToString(vpcs.Vpcs[0].VpcId) == halfMade {
		t.Errorf("the half-made VPC %s is still the network after its replacement", halfMade)
	}
}
