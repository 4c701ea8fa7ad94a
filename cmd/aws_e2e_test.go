package cmd

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	sdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi"
	tagtypes "github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi/types"

	"github.com/stagecraft/stagecraft/providers"
	"github.com/stagecraft/stagecraft/providers/aws/mototest"
)

// awsShopStack is the shop's ladder for the aws provider: a network with
// every resource in it, the groups' machine image from moto's catalogue,
// and traffic shifts of two short steps.
const awsShopStack = `
stack "shop" {
  description = "The shop on AWS"
}

variable "endpoint" {
  type = string
}

provider "aws" {
  region               = "us-east-1"
  endpoint_url         = var.endpoint
  wait_timeout         = "60s"
  poll_interval        = "200ms"
  cache_delete_timeout = "1s" # moto never finishes deleting a cache
  retry_max_backoff    = "100ms"
  default_tags = {
    team = "shop"
  }
}

environment "prod" {
  provider = "aws"
  stage    = "microservices"
}

stage "monolith" {
  network "main" {}

  autoscaling_group "app" {
    min     = 1
    max     = 1
    port    = 8080
    network = network.main
    health_check {
      path = "/healthz"
    }
    aws {
      ami           = "ami-760aaa0f"
      instance_type = "t3.small"
    }
  }
}

stage "load-balanced" {
  extends = "monolith"

  autoscaling_group "app" {
    min = 2
    max = 6
    scaling {
      target_cpu = 60
    }
  }

  load_balancer "edge" {
    network = network.main
    listener {
      port = 80
    }
    route {
      path   = "/*"
      target = autoscaling_group.app
    }
    migration {
      steps = [50, 100]
      bake  = "1s"
    }
  }
}

stage "cached" {
  extends = "load-balanced"

  cache "sessions" {
    engine    = "redis"
    replicas  = 1
    memory_mb = 256
    network   = network.main
  }

  autoscaling_group "app" {
    env = {
      REDIS_ADDR = cache.sessions.endpoint
    }
  }
}

stage "coordinated" {
  extends = "cached"

  coordinator "locks" {
    engine  = "etcd"
    members = 3
    network = network.main
    aws {
      ami = "ami-760aaa0f"
    }
  }
}

stage "microservices" {
  extends = "coordinated"

  autoscaling_group "orders" {
    min     = 2
    max     = 10
    port    = 9090
    network = network.main
    env = {
      ETCD_ENDPOINTS = join(",", coordinator.locks.endpoints)
    }
    aws {
      ami = "ami-760aaa0f"
    }
  }

  load_balancer "edge" {
    route {
      path   = "/orders/*"
      target = autoscaling_group.orders
    }
    route {
      path   = "/*"
      target = autoscaling_group.app
    }
  }
}

output "url" {
  value = load_balancer.edge.url
}
`

// awsStack is awsShopStack in a temporary directory, run with the real
// binary against an endpoint (moto, or a proxy in front of it).
type awsStack struct {
	t        *testing.T
	bin, dir string
	endpoint string
	ctx      context.Context
}

func newAWSStack(t *testing.T, endpoint string) *awsStack {
	t.Helper()
	tmp := t.TempDir()
	s := &awsStack{t: t, bin: buildStagecraft(t), dir: filepath.Join(tmp, "shop"), endpoint: endpoint}
	if err := os.MkdirAll(s.dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(s.dir, "main.stack.hcl"), []byte(awsShopStack), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 4*time.Minute)
	t.Cleanup(cancel)
	s.ctx = ctx
	return s
}

// run runs the binary with args and returns its exit code and output.
func (s *awsStack) run(args ...string) (int, string) {
	s.t.Helper()
	full := append(append([]string{"-C", s.dir}, args...), "-var", "endpoint="+s.endpoint)
	cmd := exec.CommandContext(s.ctx, s.bin, full...)
	cmd.Env = append(os.Environ(), mototest.Env()...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		s.t.Fatalf("stagecraft %s: %v", strings.Join(args, " "), err)
	}
	if strings.Contains(out.String(), "goroutine ") {
		s.t.Fatalf("stagecraft %s printed a stack trace:\n%s", strings.Join(args, " "), out.String())
	}
	return code, out.String()
}

// mustRun runs the binary and fails the test unless it exits with code
// and prints every one of want.
func (s *awsStack) mustRun(code int, want []string, args ...string) string {
	s.t.Helper()
	got, out := s.run(args...)
	missing := []string{}
	for _, w := range want {
		if !strings.Contains(out, w) {
			missing = append(missing, w)
		}
	}
	if got != code || len(missing) > 0 {
		s.t.Fatalf("stagecraft %s: exit %d (want %d), missing %q in:\n%s", strings.Join(args, " "), got, code, missing, out)
	}
	return out
}

// awsAPI holds SDK clients that talk to moto directly, to check what the
// provider made.
type awsAPI struct {
	ec2     *ec2.Client
	elb     *elbv2.Client
	as      *autoscaling.Client
	ec      *elasticache.Client
	tagging *resourcegroupstaggingapi.Client
}

func newAWSAPI(endpoint string) *awsAPI {
	return newAWSAPIIn(endpoint, "us-east-1")
}

// newAWSAPIIn is newAWSAPI in region.
func newAWSAPIIn(endpoint, region string) *awsAPI {
	cfg := sdk.Config{
		Region:       region,
		Credentials:  credentials.NewStaticCredentialsProvider("testing", "testing", ""),
		BaseEndpoint: sdk.String(endpoint),
	}
	return &awsAPI{
		ec2: ec2.NewFromConfig(cfg), elb: elbv2.NewFromConfig(cfg), as: autoscaling.NewFromConfig(cfg),
		ec: elasticache.NewFromConfig(cfg), tagging: resourcegroupstaggingapi.NewFromConfig(cfg),
	}
}

// TestAWSEndToEnd applies the shop's microservices stage on moto with the
// real binary, checks with the SDK that every resource is there the way
// docs/providers/aws.md describes it, plans again (no changes, also once
// the app's scaling policy has scaled it out, and after the state is lost
// and rebuilt from the tags), migrates
// back to the coordinated stage (the /orders/ traffic moves to app in
// gated steps, then the orders service goes), destroys, and finds nothing
// left with the stack's tag.
func TestAWSEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	t.Parallel()
	moto := mototest.ForTest(t)
	s := newAWSStack(t, moto.URL)
	api := newAWSAPI(moto.URL)

	out := s.mustRun(0, []string{"Apply complete", "6 added", `url = "http://`}, "apply", "--auto-approve")
	inv := api.inventory(t, s.ctx)
	if n := len(inv.vpcs); n != 1 {
		t.Fatalf("%d VPCs carry the stack's tag after apply, want 1\n%s", n, out)
	}
	vpc := inv.vpcs[0]
	if got := awsTagValue(vpc.Tags, "team"); got != "shop" {
		t.Errorf("the VPC's default tag team = %q, want shop", got)
	}
	public, private := api.subnets(t, s.ctx, sdk.ToString(vpc.VpcId))
	if len(public) != 2 || len(private) != 2 {
		t.Errorf("the network has %d public and %d private subnets, want 2 and 2", len(public), len(private))
	}

	groups := inv.groupsByAddress()
	for addr, want := range map[string][2]int32{"autoscaling_group.app": {2, 6}, "autoscaling_group.orders": {2, 10}, "coordinator.locks": {3, 3}} {
		g, ok := groups[addr]
		if !ok {
			t.Errorf("no Auto Scaling group for %s; groups: %v", addr, slices.Sorted(maps.Keys(groups)))
			continue
		}
		if sdk.ToInt32(g.MinSize) != want[0] || sdk.ToInt32(g.MaxSize) != want[1] {
			t.Errorf("%s: min %d max %d, want %d and %d", addr, sdk.ToInt32(g.MinSize), sdk.ToInt32(g.MaxSize), want[0], want[1])
		}
		if got := strings.Split(sdk.ToString(g.VPCZoneIdentifier), ","); !awsSameSet(got, private) {
			t.Errorf("%s runs in subnets %v, want the private ones %v", addr, got, private)
		}
	}
	if g := groups["coordinator.locks"]; len(g.Instances) != 3 {
		t.Errorf("the coordinator's group runs %d instances, want 3", len(g.Instances))
	}

	lb := api.loadBalancer(t, s.ctx, "load_balancer.edge")
	if lb.Type != "application" || !awsSameSet(lb.Subnets, public) {
		t.Errorf("load_balancer.edge is a %q load balancer in %v, want an application one in the public subnets %v", lb.Type, lb.Subnets, public)
	}
	for addr, tg := range map[string]string{"autoscaling_group.app": lb.TargetGroups["autoscaling_group.app"], "autoscaling_group.orders": lb.TargetGroups["autoscaling_group.orders"]} {
		if tg == "" {
			t.Errorf("load_balancer.edge has no target group for %s: %v", addr, lb.TargetGroups)
			continue
		}
		if !slices.Contains(groups[addr].TargetGroupARNs, tg) {
			t.Errorf("%s is not attached to its target group %s: %v", addr, tg, groups[addr].TargetGroupARNs)
		}
	}
	wantRules := []string{
		"/orders/* -> " + lb.TargetGroups["autoscaling_group.orders"],
		"default -> " + lb.TargetGroups["autoscaling_group.app"],
	}
	if !slices.Equal(lb.Rules, wantRules) {
		t.Errorf("the listener's rules are\n  %s\nwant\n  %s", strings.Join(lb.Rules, "\n  "), strings.Join(wantRules, "\n  "))
	}

	caches := inv.replicationGroups
	if len(caches) != 1 {
		t.Fatalf("%d replication groups carry the stack's tag, want 1", len(caches))
	}
	rg, err := api.ec.DescribeReplicationGroups(s.ctx, &elasticache.DescribeReplicationGroupsInput{ReplicationGroupId: sdk.String(caches[0])})
	if err != nil || len(rg.ReplicationGroups) != 1 {
		t.Fatalf("describe the cache %s: %v", caches[0], err)
	}
	if g := rg.ReplicationGroups[0]; len(g.MemberClusters) != 2 || g.AutomaticFailover != "enabled" {
		t.Errorf("the cache has %d member clusters and automatic failover %q; want 2 (a primary and a replica) and enabled", len(g.MemberClusters), g.AutomaticFailover)
	}

	s.mustRun(0, []string{"No changes."}, "plan", "--detailed-exitcode")
	// The app's scaling policy owns its desired capacity: a scale-out is
	// not drift.
	if _, err := api.as.SetDesiredCapacity(s.ctx, &autoscaling.SetDesiredCapacityInput{
		AutoScalingGroupName: groups["autoscaling_group.app"].AutoScalingGroupName, DesiredCapacity: sdk.Int32(4),
	}); err != nil {
		t.Fatal(err)
	}
	s.mustRun(0, []string{"No changes."}, "plan", "--detailed-exitcode")

	// The state lost: rebuilt from the tags, it matches again.
	if err := os.RemoveAll(filepath.Join(s.dir, ".stagecraft", "state")); err != nil {
		t.Fatal(err)
	}
	out = s.mustRun(0, []string{"Found 6 resources", "Wrote the rebuilt state"}, "state", "recover", "--write")
	if strings.Contains(out, "deposed") {
		t.Errorf("state recover found a second copy of something:\n%s", out)
	}
	s.mustRun(0, []string{"No changes."}, "plan", "--detailed-exitcode")

	out = s.mustRun(0, []string{"shift /orders/ to autoscaling_group.app", "shifting /orders/ to 50%... done", "delete autoscaling_group.orders", "Apply complete", "1 changed, 1 destroyed"},
		"apply", "--auto-approve", "--stage", "coordinated")
	if strings.Contains(out, "without gates") {
		t.Errorf("the shift ran without gates; the load balancer reports its targets' health:\n%s", out)
	}
	if _, ok := api.inventory(t, s.ctx).groupsByAddress()["autoscaling_group.orders"]; ok {
		t.Error("autoscaling_group.orders is still there after migrating back to coordinated")
	}
	lb = api.loadBalancer(t, s.ctx, "load_balancer.edge")
	if want := []string{"default -> " + lb.TargetGroups["autoscaling_group.app"]}; !slices.Equal(lb.Rules, want) {
		t.Errorf("after migrating back the listener's rules are %v, want %v", lb.Rules, want)
	}
	s.mustRun(0, []string{"No changes."}, "plan", "--detailed-exitcode", "--stage", "coordinated")

	s.mustRun(0, []string{"Destroy complete", "5 destroyed"}, "destroy", "--auto-approve", "--allow-data-loss")
	if left := api.leftovers(t, s.ctx); len(left) > 0 {
		t.Errorf("after destroy these still carry the stack's tag:\n  %s", strings.Join(left, "\n  "))
	}
}

// TestAWSApplyConvergesUnderThrottling puts a proxy in front of moto that
// answers 30 % of the calls with AWS's Throttling error. The provider's
// adaptive retryer absorbs them (slowing its calls down, as it would
// against a busy region): apply completes, and the next plan, through the
// proxy too, finds nothing to do, so no retried create made a second
// copy. Destroy then goes to moto directly and leaves nothing behind.
func TestAWSApplyConvergesUnderThrottling(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	t.Parallel()
	moto := mototest.ForTest(t)
	proxy := mototest.NewThrottler(t, moto.URL, 0.3, 42)
	s := newAWSStack(t, proxy.URL)

	s.mustRun(0, []string{"Apply complete", "6 added"}, "apply", "--auto-approve")
	s.mustRun(0, []string{"No changes."}, "plan", "--detailed-exitcode")
	throttled, passed := proxy.Counts()
	t.Logf("the proxy throttled %d calls and passed %d", throttled, passed)
	if total := throttled + passed; total < 100 || float64(throttled) < 0.2*float64(total) {
		t.Errorf("the proxy throttled %d of %d calls; the test means to throttle about 30 %% of at least 100", throttled, total)
	}
	s.endpoint = moto.URL
	s.mustRun(0, []string{"Destroy complete", "6 destroyed"}, "destroy", "--auto-approve", "--allow-data-loss")
	if left := newAWSAPI(moto.URL).leftovers(t, s.ctx); len(left) > 0 {
		t.Errorf("after destroy these still carry the stack's tag:\n  %s", strings.Join(left, "\n  "))
	}
}

// awsInventory is what carries the shop's stack tag at moto.
type awsInventory struct {
	vpcs              []ec2types.Vpc
	groups            []astypes.AutoScalingGroup
	replicationGroups []string
}

func (inv awsInventory) groupsByAddress() map[string]astypes.AutoScalingGroup {
	out := map[string]astypes.AutoScalingGroup{}
	for _, g := range inv.groups {
		for _, tag := range g.Tags {
			if sdk.ToString(tag.Key) == providers.TagAddress {
				out[sdk.ToString(tag.Value)] = g
			}
		}
	}
	return out
}

// awsStackFilter selects EC2 resources of the shop's prod environment.
var awsStackFilter = []ec2types.Filter{
	{Name: sdk.String("tag:" + providers.TagStack), Values: []string{"shop"}},
	{Name: sdk.String("tag:" + providers.TagEnvironment), Values: []string{"prod"}},
}

func (api *awsAPI) inventory(t *testing.T, ctx context.Context) awsInventory {
	t.Helper()
	var inv awsInventory
	vpcs, err := api.ec2.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{Filters: awsStackFilter})
	if err != nil {
		t.Fatal(err)
	}
	inv.vpcs = vpcs.Vpcs
	groups, err := api.as.DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{Filters: []astypes.Filter{
		{Name: sdk.String("tag:" + providers.TagStack), Values: []string{"shop"}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	inv.groups = groups.AutoScalingGroups
	for _, arn := range api.taggedARNs(t, ctx, "elasticache") {
		if strings.Contains(arn, ":replicationgroup:") {
			inv.replicationGroups = append(inv.replicationGroups, arn[strings.LastIndex(arn, ":")+1:])
		}
	}
	return inv
}

// taggedARNs lists the ARNs of one service's resources ("elasticache")
// or of every service's ("") that carry the shop's stack tag.
func (api *awsAPI) taggedARNs(t *testing.T, ctx context.Context, resourceType string) []string {
	t.Helper()
	in := &resourcegroupstaggingapi.GetResourcesInput{TagFilters: []tagtypes.TagFilter{{Key: sdk.String(providers.TagStack), Values: []string{"shop"}}}}
	if resourceType != "" {
		in.ResourceTypeFilters = []string{resourceType}
	}
	var arns []string
	pages := resourcegroupstaggingapi.NewGetResourcesPaginator(api.tagging, in)
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range page.ResourceTagMappingList {
			arns = append(arns, sdk.ToString(m.ResourceARN))
		}
	}
	sort.Strings(arns)
	return arns
}

// subnets returns the VPC's public and private subnets, by their tier tag.
func (api *awsAPI) subnets(t *testing.T, ctx context.Context, vpc string) (public, private []string) {
	t.Helper()
	out, err := api.ec2.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: []ec2types.Filter{{Name: sdk.String("vpc-id"), Values: []string{vpc}}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, sn := range out.Subnets {
		switch awsTagValue(sn.Tags, "stagecraft:tier") {
		case "public":
			public = append(public, sdk.ToString(sn.SubnetId))
		case "private":
			private = append(private, sdk.ToString(sn.SubnetId))
		}
	}
	return public, private
}

// awsLoadBalancer is a load balancer as the checks see it.
type awsLoadBalancer struct {
	Type    string
	Subnets []string
	// TargetGroups maps a target's address to its target group's ARN.
	TargetGroups map[string]string
	// Rules are the first listener's rules in priority order, as
	// "PATTERN -> ARN[:WEIGHT] ..." with "default" for the default action.
	Rules []string
}

func (api *awsAPI) loadBalancer(t *testing.T, ctx context.Context, address string) awsLoadBalancer {
	t.Helper()
	lbs, err := api.elb.DescribeLoadBalancers(ctx, &elbv2.DescribeLoadBalancersInput{})
	if err != nil {
		t.Fatal(err)
	}
	tgs, err := api.elb.DescribeTargetGroups(ctx, &elbv2.DescribeTargetGroupsInput{})
	if err != nil {
		t.Fatal(err)
	}
	var arns []string
	for _, lb := range lbs.LoadBalancers {
		arns = append(arns, sdk.ToString(lb.LoadBalancerArn))
	}
	for _, tg := range tgs.TargetGroups {
		arns = append(arns, sdk.ToString(tg.TargetGroupArn))
	}
	tags := map[string]map[string]string{}
	for start := 0; start < len(arns); start += 20 {
		out, err := api.elb.DescribeTags(ctx, &elbv2.DescribeTagsInput{ResourceArns: arns[start:min(start+20, len(arns))]})
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range out.TagDescriptions {
			m := map[string]string{}
			for _, tag := range d.Tags {
				m[sdk.ToString(tag.Key)] = sdk.ToString(tag.Value)
			}
			tags[sdk.ToString(d.ResourceArn)] = m
		}
	}
	var found *awsLoadBalancer
	var lbARN, lbName string
	for _, lb := range lbs.LoadBalancers {
		if tags[sdk.ToString(lb.LoadBalancerArn)][providers.TagAddress] != address {
			continue
		}
		found = &awsLoadBalancer{Type: string(lb.Type), TargetGroups: map[string]string{}}
		lbARN, lbName = sdk.ToString(lb.LoadBalancerArn), sdk.ToString(lb.LoadBalancerName)
		for _, az := range lb.AvailabilityZones {
			found.Subnets = append(found.Subnets, sdk.ToString(az.SubnetId))
		}
	}
	if found == nil {
		t.Fatalf("no load balancer carries the address %s", address)
	}
	for _, tg := range tgs.TargetGroups {
		arn := sdk.ToString(tg.TargetGroupArn)
		if tags[arn]["stagecraft:load-balancer"] == lbName {
			found.TargetGroups[tags[arn]["stagecraft:target"]] = arn
		}
	}
	listeners, err := api.elb.DescribeListeners(ctx, &elbv2.DescribeListenersInput{LoadBalancerArn: sdk.String(lbARN)})
	if err != nil || len(listeners.Listeners) == 0 {
		t.Fatalf("listeners of %s: %d (%v)", address, len(listeners.Listeners), err)
	}
	rules, err := api.elb.DescribeRules(ctx, &elbv2.DescribeRulesInput{ListenerArn: listeners.Listeners[0].ListenerArn})
	if err != nil {
		t.Fatal(err)
	}
	sort.SliceStable(rules.Rules, func(i, j int) bool { return awsRulePriority(rules.Rules[i]) < awsRulePriority(rules.Rules[j]) })
	for _, r := range rules.Rules {
		what := "default"
		for _, c := range r.Conditions {
			if c.PathPatternConfig != nil {
				what = strings.Join(c.PathPatternConfig.Values, ",")
			} else if len(c.Values) > 0 {
				what = strings.Join(c.Values, ",")
			}
		}
		var to []string
		for _, a := range r.Actions {
			if a.ForwardConfig != nil && len(a.ForwardConfig.TargetGroups) > 0 {
				for _, tg := range a.ForwardConfig.TargetGroups {
					w := ""
					if len(a.ForwardConfig.TargetGroups) > 1 {
						w = fmt.Sprintf(":%d", sdk.ToInt32(tg.Weight))
					}
					to = append(to, sdk.ToString(tg.TargetGroupArn)+w)
				}
			} else if a.TargetGroupArn != nil {
				to = append(to, sdk.ToString(a.TargetGroupArn))
			}
		}
		found.Rules = append(found.Rules, what+" -> "+strings.Join(to, " "))
	}
	return *found
}

// rulePriority orders listener rules, the default one last.
func awsRulePriority(r elbtypes.Rule) int {
	var n int
	if _, err := fmt.Sscan(sdk.ToString(r.Priority), &n); err != nil {
		return 1 << 30
	}
	return n
}

// leftovers lists what still carries the shop's stack tag, leaving out
// what moto cannot remove (it keeps a deleted cache "deleting" forever and
// has no DeleteCacheSubnetGroup) and terminated instances (AWS lists those
// for an hour too).
func (api *awsAPI) leftovers(t *testing.T, ctx context.Context) []string {
	t.Helper()
	var left []string
	for _, arn := range api.taggedARNs(t, ctx, "") {
		id := arn[strings.LastIndex(arn, ":")+1:]
		switch {
		case strings.Contains(arn, ":instance/"):
			continue // checked below with their state
		case strings.Contains(arn, ":replicationgroup:"):
			out, err := api.ec.DescribeReplicationGroups(ctx, &elasticache.DescribeReplicationGroupsInput{ReplicationGroupId: sdk.String(id)})
			if err == nil && len(out.ReplicationGroups) == 1 && sdk.ToString(out.ReplicationGroups[0].Status) == "deleting" {
				continue
			}
		case strings.Contains(arn, ":subnetgroup:"):
			// The provider deletes it; if moto can, it is a leftover.
			if _, err := api.ec.DeleteCacheSubnetGroup(ctx, &elasticache.DeleteCacheSubnetGroupInput{CacheSubnetGroupName: sdk.String(id)}, awsNoRetries); err != nil && strings.Contains(err.Error(), "StatusCode: 500") {
				continue
			}
		}
		left = append(left, arn)
	}
	instances, err := api.ec2.DescribeInstances(ctx, &ec2.DescribeInstancesInput{Filters: append(slices.Clone(awsStackFilter), ec2types.Filter{
		Name: sdk.String("instance-state-name"), Values: []string{"pending", "running", "stopping", "stopped"},
	})})
	if err != nil {
		t.Fatal(err)
	}
	for _, res := range instances.Reservations {
		for _, in := range res.Instances {
			left = append(left, "instance "+sdk.ToString(in.InstanceId)+" ("+string(in.State.Name)+")")
		}
	}
	for what, n := range api.countTagged(t, ctx) {
		if n > 0 {
			left = append(left, fmt.Sprintf("%d %s", n, what))
		}
	}
	return left
}

// countTagged counts the stack's resources that the tagging API may not
// list: groups, launch templates and the network's parts.
func (api *awsAPI) countTagged(t *testing.T, ctx context.Context) map[string]int {
	t.Helper()
	counts := map[string]int{}
	inv := api.inventory(t, ctx)
	counts["Auto Scaling groups"] = len(inv.groups)
	counts["VPCs"] = len(inv.vpcs)
	lts, err := api.ec2.DescribeLaunchTemplates(ctx, &ec2.DescribeLaunchTemplatesInput{Filters: awsStackFilter})
	if err != nil {
		t.Fatal(err)
	}
	counts["launch templates"] = len(lts.LaunchTemplates)
	subnets, err := api.ec2.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: awsStackFilter})
	if err != nil {
		t.Fatal(err)
	}
	counts["subnets"] = len(subnets.Subnets)
	sgs, err := api.ec2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: awsStackFilter})
	if err != nil {
		t.Fatal(err)
	}
	counts["security groups"] = len(sgs.SecurityGroups)
	igws, err := api.ec2.DescribeInternetGateways(ctx, &ec2.DescribeInternetGatewaysInput{Filters: awsStackFilter})
	if err != nil {
		t.Fatal(err)
	}
	counts["internet gateways"] = len(igws.InternetGateways)
	return counts
}

// noRetries makes one call without the SDK's retries: the probe of an
// operation moto may not implement.
func awsNoRetries(o *elasticache.Options) { o.RetryMaxAttempts = 1 }

func awsTagValue(tags []ec2types.Tag, key string) string {
	for _, tag := range tags {
		if sdk.ToString(tag.Key) == key {
			return sdk.ToString(tag.Value)
		}
	}
	return ""
}

func awsSameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	sort.Strings(a)
	sort.Strings(b)
	return slices.Equal(a, b)
}
