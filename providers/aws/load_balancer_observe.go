package aws

import (
	"context"
	"fmt"
	"sort"
	"strings"

	sdk "github.com/aws/aws-sdk-go-v2/aws"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/zclconf/go-cty/cty"

	"github.com/stagecraft/stagecraft/providers"
)

var _ providers.Observer = (*loadBalancerKind)(nil)

// Observe reports the health of a load balancer's targets, from its
// target groups' target health: one entry per registered instance, named
// after the group it belongs to, healthy when AWS says "healthy". The load
// balancer is healthy when every target group has a healthy target.
// Request and 5xx counts live in CloudWatch, which the provider does not
// call, so they stay zero: a migration gate on AWS checks health only.
func (k *loadBalancerKind) Observe(ctx context.Context, r providers.Ref, _ cty.Value) (providers.Observation, error) {
	if r.ID == "" {
		return providers.Observation{}, r.Errorf("observe", "it does not exist yet")
	}
	c := k.p.clients.elbv2
	var tgs []elbtypes.TargetGroup
	pages := elbv2.NewDescribeTargetGroupsPaginator(c, &elbv2.DescribeTargetGroupsInput{LoadBalancerArn: sdk.String(r.ID)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return providers.Observation{}, awsError("observe", r.Address, "", err)
		}
		tgs = append(tgs, page.TargetGroups...)
	}
	arns := make([]string, len(tgs))
	for i, tg := range tgs {
		arns[i] = sdk.ToString(tg.TargetGroupArn)
	}
	tags, err := k.describeTags(ctx, arns)
	if err != nil {
		return providers.Observation{}, awsError("observe", r.Address, "", err)
	}
	obs := providers.Observation{Healthy: true}
	var unhealthy []string
	for _, tg := range tgs {
		arn := sdk.ToString(tg.TargetGroupArn)
		group := tags[arn][tagTarget]
		out, err := c.DescribeTargetHealth(ctx, &elbv2.DescribeTargetHealthInput{TargetGroupArn: tg.TargetGroupArn})
		if err != nil {
			return providers.Observation{}, awsError("observe", r.Address, "route "+group, err)
		}
		served := false
		for _, d := range out.TargetHealthDescriptions {
			if d.Target == nil {
				continue
			}
			healthy := d.TargetHealth != nil && d.TargetHealth.State == elbtypes.TargetHealthStateEnumHealthy
			served = served || healthy
			obs.Targets = append(obs.Targets, providers.TargetObservation{
				// An instance may serve in two target groups of one load
				// balancer (its group's port is changing): one entry each.
				ID:      sdk.ToString(d.Target.Id) + "@" + sdk.ToString(tg.TargetGroupName),
				Group:   group,
				Healthy: healthy,
			})
		}
		if !served {
			unhealthy = append(unhealthy, orNone(group))
		}
	}
	sort.Slice(obs.Targets, func(i, j int) bool { return obs.Targets[i].ID < obs.Targets[j].ID })
	if len(unhealthy) > 0 {
		sort.Strings(unhealthy)
		obs.Healthy = false
		obs.Detail = fmt.Sprintf("no healthy target for %s", strings.Join(unhealthy, ", "))
	}
	return obs, nil
}
