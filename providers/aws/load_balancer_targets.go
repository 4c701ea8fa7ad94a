package aws

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"

	sdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/stagecraft/stagecraft/providers"
	"github.com/stagecraft/stagecraft/providers/kinds"
)

// Target groups belong to the load balancer: one per routed group, named
// "sc-" + a hash of (load balancer name, group address, port) + the
// group's short name, tagged with the load balancer's owner tags and
// address, tagTarget (the group's address) and tagLoadBalancer (the load
// balancer's name). Its port and health check are the group's, read from
// the group's tags.
//
// Who attaches a group to its target groups: whichever of the two comes
// second. The planner creates groups before the load balancers routing to
// them, so normally the load balancer does, when it is created or
// updated: it attaches every Auto Scaling group carrying the target's
// address (two of them while a group is being replaced). A group created
// or updated later (a replacement, a new port or health check) re-syncs
// every load balancer with a target group for its address, which attaches
// it and, when its port changed, moves the routes to a new target group
// on the new port. Either side then puts the group's request-count
// scaling policy, which needs the target group.

// targetInfo is what a load balancer needs to know of a routed group.
type targetInfo struct {
	groups []astypes.AutoScalingGroup
	port   int32
	health healthCheck
}

// routeTargets looks up the groups the routes of cfg target.
func (k *loadBalancerKind) routeTargets(ctx context.Context, op string, r providers.Ref, cfg lbConfig) (map[string]targetInfo, error) {
	out := map[string]targetInfo{}
	for i, rt := range cfg.routes {
		if _, done := out[rt.Target]; done {
			continue
		}
		groups, err := k.groupsTagged(ctx, r.Stack, r.Environment, rt.Target)
		if err != nil {
			return nil, awsError(op, r.Address, fmt.Sprintf("route[%d].target", i), err)
		}
		if len(groups) == 0 {
			return nil, r.AttrErrorf(op, fmt.Sprintf("route[%d].target", i), "%s does not exist at AWS; the group must be created before a load balancer routes to it", rt.Target)
		}
		tags := asgTags(groups[0])
		ti := targetInfo{groups: groups, port: 8080, health: healthCheck{Path: "/healthz", Interval: "5s", Timeout: "2s", Healthy: 2, Unhealthy: 3}}
		if p, err := strconv.Atoi(tags[tagPort]); err == nil {
			ti.port = int32(p)
		}
		var hc healthCheck
		if json.Unmarshal([]byte(tags[tagHealthCheck]), &hc) == nil && hc.Path != "" {
			ti.health = hc
		}
		out[rt.Target] = ti
	}
	return out, nil
}

// converge makes an existing load balancer route as cfg says: listener
// ports opened, target groups made and attached, listeners and rules
// set, target groups no route uses any more deleted, ports no listener
// uses closed, and the written form of listeners and routes tagged.
func (k *loadBalancerKind) converge(ctx context.Context, op string, r providers.Ref, lb elbtypes.LoadBalancer, cfg lbConfig) error {
	c := k.p.clients.elbv2
	lbARN, lbName := sdk.ToString(lb.LoadBalancerArn), sdk.ToString(lb.LoadBalancerName)
	if err := k.syncListenerPorts(ctx, op, r, lb, cfg.ports, false); err != nil {
		return err
	}
	targets, err := k.routeTargets(ctx, op, r, cfg)
	if err != nil {
		return err
	}
	tgARN := map[string]string{} // target address -> target group ARN
	for _, target := range orderedKeys(targets) {
		arn, err := k.ensureTargetGroup(ctx, op, r, lb, target, targets[target])
		if err != nil {
			return err
		}
		tgARN[target] = arn
		if err := k.attachGroups(ctx, op, r, arn, targets[target].groups); err != nil {
			return err
		}
	}
	arnRouting := map[string]map[string]int64{}
	for prefix, weights := range canonicalRouting(cfg.routes) {
		arnRouting[prefix] = map[string]int64{}
		for target, w := range weights {
			arnRouting[prefix][tgARN[target]] += w
		}
	}
	if err := k.syncListeners(ctx, op, r, lb, cfg, arnRouting); err != nil {
		return err
	}

	// Target groups of this load balancer that no route uses any more.
	mine, err := k.taggedResources(ctx, "elasticloadbalancing:targetgroup", map[string]string{
		providers.TagStack: r.Stack, providers.TagEnvironment: r.Environment, tagLoadBalancer: lbName,
	})
	if err != nil {
		return awsError(op, r.Address, "target groups", err)
	}
	inUse := map[string]bool{}
	for _, arn := range tgARN {
		inUse[arn] = true
	}
	var stale []string
	for arn := range mine {
		if !inUse[arn] {
			stale = append(stale, arn)
		}
	}
	slices.Sort(stale)
	if err := k.deleteTargetGroups(ctx, op, r, stale); err != nil {
		return err
	}
	if err := k.syncListenerPorts(ctx, op, r, lb, cfg.ports, true); err != nil {
		return err
	}

	// The written form, last: Read trusts it only while it matches.
	written := cfg.writtenTags()
	if _, err := c.AddTags(ctx, &elbv2.AddTagsInput{ResourceArns: []string{lbARN}, Tags: elbTags(written)}); err != nil {
		return awsError(op, r.Address, "tags", err)
	}
	tags, err := k.describeTags(ctx, []string{lbARN})
	if err != nil {
		return awsError(op, r.Address, "tags", err)
	}
	var gone []string
	for key := range tags[lbARN] {
		if _, keep := written[key]; !keep && len(key) > len(tagRoutePrefix) && key[:len(tagRoutePrefix)] == tagRoutePrefix {
			gone = append(gone, key)
		}
	}
	if len(gone) > 0 {
		slices.Sort(gone)
		if _, err := c.RemoveTags(ctx, &elbv2.RemoveTagsInput{ResourceArns: []string{lbARN}, TagKeys: gone}); err != nil {
			return awsError(op, r.Address, "tags", err)
		}
	}
	return nil
}

// targetHealth turns a group's health check into target group settings
// within AWS's bounds (interval 5-300 s, timeout 2-120 s and shorter than
// the interval, thresholds 2-10), warning when it had to move one.
func targetHealth(ctx context.Context, addr, target string, hc healthCheck) (interval, timeout, healthy, unhealthy int32) {
	clamp := func(v, lo, hi int32) int32 { return min(max(v, lo), hi) }
	iv, _ := wholeSeconds(hc.Interval)
	to, _ := wholeSeconds(hc.Timeout)
	interval = clamp(iv, 5, 300)
	timeout = clamp(min(to, interval-1), 2, 120)
	healthy, unhealthy = clamp(hc.Healthy, 2, 10), clamp(hc.Unhealthy, 2, 10)
	if interval != iv || timeout != to || healthy != hc.Healthy || unhealthy != hc.Unhealthy {
		providers.Warn(ctx, addr, fmt.Sprintf("the health check of %s is checked every %ds with a %ds timeout, healthy after %d and unhealthy after %d checks: the nearest AWS allows", target, interval, timeout, healthy, unhealthy))
	}
	return interval, timeout, healthy, unhealthy
}

// ensureTargetGroup finds or makes the target group of lb for target, and
// gives it the group's health check.
func (k *loadBalancerKind) ensureTargetGroup(ctx context.Context, op string, r providers.Ref, lb elbtypes.LoadBalancer, target string, ti targetInfo) (string, error) {
	c := k.p.clients.elbv2
	lbName := sdk.ToString(lb.LoadBalancerName)
	name := resourceName(hashToken(lbName, target, strconv.Itoa(int(ti.port))), target, 32)
	where := "target group of " + target
	interval, timeout, healthy, unhealthy := targetHealth(ctx, r.Address, target, ti.health)
	protocol := elbtypes.ProtocolEnumHttp
	var matcher *elbtypes.Matcher
	if lb.Type == elbtypes.LoadBalancerTypeEnumNetwork {
		protocol = elbtypes.ProtocolEnumTcp
	} else {
		matcher = &elbtypes.Matcher{HttpCode: sdk.String("200-399")}
	}
	found, err := c.DescribeTargetGroups(ctx, &elbv2.DescribeTargetGroupsInput{Names: []string{name}})
	if err != nil && !isNotFound(err) {
		return "", awsError(op, r.Address, where, err)
	}
	if err == nil && len(found.TargetGroups) > 0 {
		tg := found.TargetGroups[0]
		if sdk.ToString(tg.HealthCheckPath) != ti.health.Path || sdk.ToInt32(tg.HealthCheckIntervalSeconds) != interval ||
			sdk.ToInt32(tg.HealthCheckTimeoutSeconds) != timeout || sdk.ToInt32(tg.HealthyThresholdCount) != healthy ||
			sdk.ToInt32(tg.UnhealthyThresholdCount) != unhealthy {
			_, err := c.ModifyTargetGroup(ctx, &elbv2.ModifyTargetGroupInput{
				TargetGroupArn: tg.TargetGroupArn, HealthCheckProtocol: elbtypes.ProtocolEnumHttp, HealthCheckPath: sdk.String(ti.health.Path),
				HealthCheckIntervalSeconds: sdk.Int32(interval), HealthCheckTimeoutSeconds: sdk.Int32(timeout),
				HealthyThresholdCount: sdk.Int32(healthy), UnhealthyThresholdCount: sdk.Int32(unhealthy), Matcher: matcher,
			})
			if err != nil {
				return "", awsError(op, r.Address, where+" (health_check)", err)
			}
		}
		return sdk.ToString(tg.TargetGroupArn), nil
	}
	tags := k.tags(r)
	tags[tagTarget], tags[tagLoadBalancer] = target, lbName
	out, err := c.CreateTargetGroup(ctx, &elbv2.CreateTargetGroupInput{
		Name: sdk.String(name), Protocol: protocol, Port: sdk.Int32(ti.port), VpcId: lb.VpcId, TargetType: elbtypes.TargetTypeEnumInstance,
		HealthCheckEnabled: sdk.Bool(true), HealthCheckProtocol: elbtypes.ProtocolEnumHttp, HealthCheckPath: sdk.String(ti.health.Path),
		HealthCheckIntervalSeconds: sdk.Int32(interval), HealthCheckTimeoutSeconds: sdk.Int32(timeout),
		HealthyThresholdCount: sdk.Int32(healthy), UnhealthyThresholdCount: sdk.Int32(unhealthy), Matcher: matcher,
		Tags: elbTags(tags),
	})
	if err != nil {
		return "", awsError(op, r.Address, where, err)
	}
	arn := sdk.ToString(out.TargetGroups[0].TargetGroupArn)
	// Draining waits this long for requests in flight when an instance
	// leaves (a roll, a scale-in); AWS's 300 s would make every roll slow.
	_, err = c.ModifyTargetGroupAttributes(ctx, &elbv2.ModifyTargetGroupAttributesInput{TargetGroupArn: sdk.String(arn),
		Attributes: []elbtypes.TargetGroupAttribute{{Key: sdk.String("deregistration_delay.timeout_seconds"), Value: sdk.String("30")}}})
	if err != nil {
		return "", awsError(op, r.Address, where+" (deregistration delay)", err)
	}
	return arn, nil
}

// attachGroups attaches the Auto Scaling groups to a target group, and
// puts the request-count scaling policy of those that scale on requests.
func (k *kindBase) attachGroups(ctx context.Context, op string, r providers.Ref, tgARN string, groups []astypes.AutoScalingGroup) error {
	for _, g := range groups {
		name := sdk.ToString(g.AutoScalingGroupName)
		if !slices.Contains(g.TargetGroupARNs, tgARN) {
			_, err := k.p.clients.autoscaling.AttachLoadBalancerTargetGroups(ctx, &autoscaling.AttachLoadBalancerTargetGroupsInput{
				AutoScalingGroupName: sdk.String(name), TargetGroupARNs: []string{tgARN},
			})
			if err != nil {
				return awsError(op, r.Address, "attach "+asgTags(g)[providers.TagAddress], err)
			}
		}
		if spec := parseScalingTag(asgTags(g)[tagScaling]); spec != nil && spec.TargetRequests != nil {
			if err := k.ensureScalingPolicy(ctx, asgTags(g)[providers.TagAddress], name, spec); err != nil {
				return err
			}
		}
	}
	return nil
}

// deleteTargetGroups detaches target groups from the stack's Auto Scaling
// groups and deletes them.
func (k *kindBase) deleteTargetGroups(ctx context.Context, op string, r providers.Ref, arns []string) error {
	if len(arns) == 0 {
		return nil
	}
	groups, err := k.groupsTagged(ctx, r.Stack, r.Environment, "")
	if err != nil {
		return awsError(op, r.Address, "target groups", err)
	}
	for _, g := range groups {
		var detach []string
		for _, arn := range arns {
			if slices.Contains(g.TargetGroupARNs, arn) {
				detach = append(detach, arn)
			}
		}
		if len(detach) == 0 {
			continue
		}
		_, err := k.p.clients.autoscaling.DetachLoadBalancerTargetGroups(ctx, &autoscaling.DetachLoadBalancerTargetGroupsInput{
			AutoScalingGroupName: g.AutoScalingGroupName, TargetGroupARNs: detach,
		})
		// InvalidTarget: the instances left the target group already
		// (deregistered by hand), which is what the detach is for.
		if err != nil && !isNotFound(err) && !isCode(err, "InvalidTarget") {
			return awsError(op, r.Address, "detach "+asgTags(g)[providers.TagAddress], err)
		}
	}
	for _, arn := range arns {
		if err := k.untilFree(ctx, r, "target group "+arn, func(ctx context.Context) error {
			_, err := k.p.clients.elbv2.DeleteTargetGroup(ctx, &elbv2.DeleteTargetGroupInput{TargetGroupArn: sdk.String(arn)})
			return err
		}); err != nil {
			return err
		}
	}
	return nil
}

// refreshRoutesTo re-syncs every load balancer that has a target group for
// the group at r's address, so that the group is attached and its target
// groups carry its port and health check.
func (k *kindBase) refreshRoutesTo(ctx context.Context, r providers.Ref) error {
	tgs, err := k.taggedResources(ctx, "elasticloadbalancing:targetgroup", map[string]string{
		providers.TagStack: r.Stack, providers.TagEnvironment: r.Environment, tagTarget: r.Address,
	})
	if err != nil {
		return awsError("find the load balancers routing to", r.Address, "", err)
	}
	names := map[string]bool{}
	for _, tags := range tgs {
		if n := tags[tagLoadBalancer]; n != "" {
			names[n] = true
		}
	}
	if len(names) == 0 {
		return nil
	}
	kind, ok := k.p.Kind(kinds.LoadBalancer)
	lbk, isLB := kind.(*loadBalancerKind)
	if !ok || !isLB {
		return nil
	}
	for _, name := range orderedKeys(names) {
		lb, err := lbk.describeByName(ctx, name)
		if err != nil {
			return awsError("find the load balancers routing to", r.Address, "", err)
		}
		if lb == nil {
			continue
		}
		arn := sdk.ToString(lb.LoadBalancerArn)
		tags, err := lbk.describeTags(ctx, []string{arn})
		if err != nil {
			return awsError("find the load balancers routing to", r.Address, "", err)
		}
		ref := providers.Ref{Address: tags[arn][providers.TagAddress], Kind: kinds.LoadBalancer, ID: arn, Stack: r.Stack, Environment: r.Environment}
		cur, exists, err := lbk.Read(ctx, ref)
		if err != nil || !exists {
			return err
		}
		cfg, err := lbk.decode("update", ref, cur)
		if err != nil {
			return err
		}
		if err := lbk.converge(ctx, "update", ref, *lb, cfg); err != nil {
			return err
		}
	}
	return nil
}
