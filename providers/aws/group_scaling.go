package aws

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"

	sdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"

	"github.com/stagecraft/stagecraft/providers"
)

// A group's scaling block is one target-tracking policy, named after the
// group: ASGAverageCPUUtilization for target_cpu, or
// ALBRequestCountPerTarget for target_requests_per_instance (requests per
// second per instance, so the target value is 60 times it: the metric
// counts per minute). The request metric belongs to a target group of an
// application load balancer, so that policy waits until a load balancer
// routes to the group; the load balancer puts it when it attaches the
// group. No CloudWatch call is made: AWS makes the alarms itself.
//
// cooldown is the group's default cooldown and the policy's instance
// warm-up; Read takes it from the policy.

// scalingSpec is a scaling block as written.
type scalingSpec struct {
	TargetCPU      *float64 `json:"target_cpu,omitempty"`
	TargetRequests *float64 `json:"target_requests_per_instance,omitempty"`
	Cooldown       string   `json:"cooldown"`
}

// tag renders the block for the group's tagScaling tag ("" for none).
func (s *scalingSpec) tag() string {
	if s == nil {
		return ""
	}
	b, _ := json.Marshal(s)
	return string(b)
}

func parseScalingTag(s string) *scalingSpec {
	if s == "" {
		return nil
	}
	var spec scalingSpec
	if json.Unmarshal([]byte(s), &spec) != nil {
		return nil
	}
	return &spec
}

// policyName is the name of a group's target-tracking policy. It includes
// the group's name because emulators keep policy names per region.
func policyName(group string) string { return group + "-target-tracking" }

// reportedScaling is the scaling block Read reports: the one written (from
// the tag) while the policy at AWS still says the same, else what the
// policy says. A request-based block without a policy is reported as
// written: it waits for a load balancer.
func reportedScaling(written *scalingSpec, p *astypes.ScalingPolicy, cooldown int32) *scalingSpec {
	var actual *scalingSpec
	if p != nil && p.TargetTrackingConfiguration != nil && p.TargetTrackingConfiguration.PredefinedMetricSpecification != nil {
		tv := sdk.ToFloat64(p.TargetTrackingConfiguration.TargetValue)
		switch p.TargetTrackingConfiguration.PredefinedMetricSpecification.PredefinedMetricType {
		case astypes.MetricTypeASGAverageCPUUtilization:
			actual = &scalingSpec{TargetCPU: &tv}
		case astypes.MetricTypeALBRequestCountPerTarget:
			rps := tv / 60
			actual = &scalingSpec{TargetRequests: &rps}
		}
		if p.EstimatedInstanceWarmup != nil {
			// The policy's own copy of cooldown (see above); an emulator
			// may not update the group's default cooldown.
			cooldown = *p.EstimatedInstanceWarmup
		}
		if actual != nil {
			actual.Cooldown = fmt.Sprintf("%ds", cooldown)
		}
	}
	switch {
	case actual == nil && written != nil && written.TargetRequests != nil:
		return written
	case actual == nil:
		return nil
	case written != nil && closeTo(written.TargetCPU, actual.TargetCPU) && closeTo(written.TargetRequests, actual.TargetRequests) && spellsSeconds(written.Cooldown, cooldown):
		return written
	}
	return actual
}

// closeTo compares optional numbers that went through a float at AWS.
func closeTo(a, b *float64) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return math.Abs(*a-*b) <= 1e-9*math.Max(1, math.Abs(*a))
}

// scalingPolicies returns the target-tracking policy of each group (by
// group name), 50 names to a call.
func (k *kindBase) scalingPolicies(ctx context.Context, addr string, groups []astypes.AutoScalingGroup) (map[string]*astypes.ScalingPolicy, error) {
	out := map[string]*astypes.ScalingPolicy{}
	var names []string
	for _, g := range groups {
		names = append(names, policyName(sdk.ToString(g.AutoScalingGroupName)))
	}
	for chunk := range slices.Chunk(names, 50) {
		in := &autoscaling.DescribePoliciesInput{PolicyNames: chunk}
		if len(groups) == 1 {
			in.AutoScalingGroupName = groups[0].AutoScalingGroupName
		}
		for p := autoscaling.NewDescribePoliciesPaginator(k.p.clients.autoscaling, in); p.HasMorePages(); {
			page, err := p.NextPage(ctx)
			if err != nil {
				return nil, awsError("read", addr, "scaling", err)
			}
			for i := range page.ScalingPolicies {
				pol := &page.ScalingPolicies[i]
				if sdk.ToString(pol.PolicyName) == policyName(sdk.ToString(pol.AutoScalingGroupName)) {
					out[sdk.ToString(pol.AutoScalingGroupName)] = pol
				}
			}
		}
	}
	return out, nil
}

// ensureScalingPolicy puts the group's target-tracking policy for spec, or
// deletes it when spec is nil or asks for requests while no application
// load balancer routes to the group yet.
func (k *kindBase) ensureScalingPolicy(ctx context.Context, addr, group string, spec *scalingSpec) error {
	ac := k.p.clients.autoscaling
	del := func() error {
		_, err := ac.DeletePolicy(ctx, &autoscaling.DeletePolicyInput{AutoScalingGroupName: sdk.String(group), PolicyName: sdk.String(policyName(group))})
		if err != nil && !isNotFound(err) {
			return awsError("delete the scaling policy of", addr, "scaling", err)
		}
		return nil
	}
	if spec == nil {
		return del()
	}
	warmup, _ := wholeSeconds(spec.Cooldown)
	tt := &astypes.TargetTrackingConfiguration{PredefinedMetricSpecification: &astypes.PredefinedMetricSpecification{}}
	switch {
	case spec.TargetCPU != nil:
		tt.PredefinedMetricSpecification.PredefinedMetricType = astypes.MetricTypeASGAverageCPUUtilization
		tt.TargetValue = sdk.Float64(*spec.TargetCPU)
	case spec.TargetRequests != nil:
		label, err := k.requestCountLabel(ctx, addr, group)
		if err != nil {
			return err
		}
		if label == "" {
			providers.Warn(ctx, addr, "scaling on requests starts once an http load balancer routes to the group")
			return del()
		}
		tt.PredefinedMetricSpecification.PredefinedMetricType = astypes.MetricTypeALBRequestCountPerTarget
		tt.PredefinedMetricSpecification.ResourceLabel = sdk.String(label)
		tt.TargetValue = sdk.Float64(*spec.TargetRequests * 60)
	default:
		return del()
	}
	_, err := ac.PutScalingPolicy(ctx, &autoscaling.PutScalingPolicyInput{
		AutoScalingGroupName:        sdk.String(group),
		PolicyName:                  sdk.String(policyName(group)),
		PolicyType:                  sdk.String("TargetTrackingScaling"),
		EstimatedInstanceWarmup:     sdk.Int32(warmup),
		TargetTrackingConfiguration: tt,
	})
	if err != nil {
		return awsError("put the scaling policy of", addr, "scaling", err)
	}
	return nil
}

// requestCountLabel is the resource label of the first target group of an
// application load balancer the group is attached to, or "".
func (k *kindBase) requestCountLabel(ctx context.Context, addr, group string) (string, error) {
	g, err := k.describeGroup(ctx, group)
	if err != nil || g == nil || len(g.TargetGroupARNs) == 0 {
		if err != nil {
			err = awsError("read", addr, "scaling", err)
		}
		return "", err
	}
	arns := slices.Clone(g.TargetGroupARNs)
	slices.Sort(arns)
	out, err := k.p.clients.elbv2.DescribeTargetGroups(ctx, &elbv2.DescribeTargetGroupsInput{TargetGroupArns: arns})
	if err != nil {
		if isNotFound(err) {
			return "", nil
		}
		return "", awsError("read the target groups of", addr, "scaling", err)
	}
	for _, tg := range out.TargetGroups {
		for _, lb := range tg.LoadBalancerArns {
			lbPart, okLB := strings.CutPrefix(arnResource(lb), "loadbalancer/")
			tgPart := arnResource(sdk.ToString(tg.TargetGroupArn))
			if okLB && strings.HasPrefix(lbPart, "app/") && strings.HasPrefix(tgPart, "targetgroup/") {
				return lbPart + "/" + tgPart, nil
			}
		}
	}
	return "", nil
}

// arnResource is the resource part of an ARN (after the fifth colon).
func arnResource(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 {
		return ""
	}
	return parts[5]
}

// emulatorNoRetryAS makes one Auto Scaling call without retries against
// an emulator (endpoint_url set), where a 500 means "not implemented" and
// retrying it only wastes time. Against AWS the call retries as every
// other does.
func (k *kindBase) emulatorNoRetryAS(o *autoscaling.Options) {
	if k.p.settings.EndpointURL != "" {
		o.RetryMaxAttempts = 1
	}
}
