package aws

import (
	"context"
	"fmt"
	"sort"
	"strings"
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

var (
	_ providers.Observer     = (*loadBalancerKind)(nil)
	_ providers.GateSignaler = (*loadBalancerKind)(nil)
)

// GateSignals says what a gate measures through Observe: target health,
// and for an application load balancer the 5xx answers of its targets,
// which CloudWatch counts (HTTPCode_Target_5XX_Count); a network load
// balancer sees no status codes.
func (k *loadBalancerKind) GateSignals(config cty.Value) []string {
	if !kinds.SeesStatusCodes(config) {
		return []string{providers.SignalHealth}
	}
	return []string{providers.SignalHealth, providers.Signal5xx}
}

// Observe reports the health of a load balancer's targets, from its
// target groups' target health: one entry per registered instance, named
// after the group it belongs to, healthy when AWS says "healthy". The load
// balancer is healthy when every target group has a healthy target.
// An application load balancer's figures come from CloudWatch, which
// counts per target group, not per instance: each target group has one
// more entry, ID "targetgroup/NAME", holding its RequestCount and
// HTTPCode_Target_5XX_Count since the provider was configured (a gate
// takes the difference of two observations).
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
	if isApplicationLB(r.ID) && len(tgs) > 0 {
		traffic, err := k.traffic(ctx, r, tgs)
		if err != nil {
			return providers.Observation{}, err
		}
		for _, tg := range tgs {
			arn := sdk.ToString(tg.TargetGroupArn)
			t := traffic[arn]
			obs.Targets = append(obs.Targets, providers.TargetObservation{
				ID: "targetgroup/" + sdk.ToString(tg.TargetGroupName), Group: tags[arn][tagTarget],
				Requests: t.requests, Errors5xx: t.errors5xx,
			})
			obs.Requests += t.requests
			obs.Errors5xx += t.errors5xx
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

// isApplicationLB reports whether the load balancer ARN is an
// application load balancer's ("...:loadbalancer/app/NAME/ID").
func isApplicationLB(arn string) bool {
	return strings.Contains(arn, ":loadbalancer/app/")
}

// tgTraffic is what CloudWatch counted for one target group.
type tgTraffic struct{ requests, errors5xx int64 }

// traffic reads from CloudWatch the requests of each target group and
// their 5xx answers since the provider was configured, by target group
// ARN, in one GetMetricData call per 250 target groups. ALB metrics
// come in one-minute periods, so the window runs from the minute the
// provider was configured to the end of the current one, as one period.
func (k *loadBalancerKind) traffic(ctx context.Context, r providers.Ref, tgs []elbtypes.TargetGroup) (map[string]tgTraffic, error) {
	lbDim := strings.TrimPrefix(dimensionOf(r.ID), "loadbalancer/")
	start := k.p.configured.UTC().Truncate(time.Minute)
	end := time.Now().UTC().Truncate(time.Minute).Add(time.Minute)
	period := int32(end.Sub(start) / time.Second)
	out := map[string]tgTraffic{}
	const perCall = 250 // two queries each, within GetMetricData's 500
	for first := 0; first < len(tgs); first += perCall {
		chunk := tgs[first:min(first+perCall, len(tgs))]
		var queries []cwtypes.MetricDataQuery
		for i, tg := range chunk {
			dims := []cwtypes.Dimension{
				{Name: sdk.String("LoadBalancer"), Value: sdk.String(lbDim)},
				{Name: sdk.String("TargetGroup"), Value: sdk.String(dimensionOf(sdk.ToString(tg.TargetGroupArn)))},
			}
			for _, m := range []struct{ id, name string }{{"r", "RequestCount"}, {"e", "HTTPCode_Target_5XX_Count"}} {
				queries = append(queries, cwtypes.MetricDataQuery{
					Id: sdk.String(fmt.Sprintf("%s%d", m.id, i)),
					MetricStat: &cwtypes.MetricStat{
						Metric: &cwtypes.Metric{Namespace: sdk.String("AWS/ApplicationELB"), MetricName: sdk.String(m.name), Dimensions: dims},
						Period: sdk.Int32(period), Stat: sdk.String("Sum"),
					},
				})
			}
		}
		pages := cloudwatch.NewGetMetricDataPaginator(k.p.clients.cloudwatch, &cloudwatch.GetMetricDataInput{
			StartTime: sdk.Time(start), EndTime: sdk.Time(end), MetricDataQueries: queries,
		})
		for pages.HasMorePages() {
			page, err := pages.NextPage(ctx)
			if err != nil {
				return nil, awsError("observe", r.Address, "CloudWatch metrics", err)
			}
			for _, res := range page.MetricDataResults {
				id := sdk.ToString(res.Id)
				var i int
				if _, err := fmt.Sscanf(id[1:], "%d", &i); err != nil || i >= len(chunk) {
					continue
				}
				var sum float64
				for _, v := range res.Values {
					sum += v
				}
				arn := sdk.ToString(chunk[i].TargetGroupArn)
				t := out[arn]
				if id[0] == 'r' {
					t.requests += int64(sum)
				} else {
					t.errors5xx += int64(sum)
				}
				out[arn] = t
			}
		}
	}
	return out, nil
}

// dimensionOf is the resource part of an ELB ARN, what follows its last
// colon: "targetgroup/NAME/ID", the TargetGroup dimension of CloudWatch,
// or "loadbalancer/app/NAME/ID", whose LoadBalancer dimension leaves out
// "loadbalancer/".
func dimensionOf(arn string) string {
	return arn[strings.LastIndex(arn, ":")+1:]
}
