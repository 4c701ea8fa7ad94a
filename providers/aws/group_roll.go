package aws

import (
	"context"
	"errors"
	"fmt"
	"sort"

	sdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"

	"github.com/stagecraft/stagecraft/providers"
)

// A group rolls when its launch template changes: new instances first,
// healthy, then the old ones go, so the group never serves with fewer
// instances than before.
//
// On AWS that is an instance refresh whose healthy percentages come from
// the group's rollout block (max_surge 1, max_unavailable 0 on a group of
// 4: MinHealthyPercentage 100, MaxHealthyPercentage 125, launch before
// terminate), skipping instances that already match. Where the endpoint
// does not implement instance refresh (moto), the same is done through the
// API, all at once: the group grows by the number of old instances, the
// new ones are waited for (in service, and healthy in every target group
// the group is attached to), and the old ones are terminated with the
// desired capacity decremented.

// errNoInstanceRefresh says the endpoint has no instance refresh.
var errNoInstanceRefresh = errors.New("the endpoint does not implement instance refresh")

// roll replaces the instances of group name that do not run launch
// template ltID; before, when not nil, names instances that ran before the
// template changed (moto reports every instance at the group's current
// template, so the template alone cannot tell them apart there).
func (k *groupKind) roll(ctx context.Context, r providers.Ref, name, ltID string, before map[string]bool, ro rollout) error {
	g, err := k.describeGroup(ctx, name)
	if err != nil || g == nil {
		if err == nil {
			err = fmt.Errorf("the Auto Scaling group %s vanished", name)
		}
		return err
	}
	old := outdatedInstances(*g, ltID, before)
	if len(old) == 0 {
		return nil
	}
	minHealthy, maxHealthy := ro.healthyPercentages(sdk.ToInt32(g.DesiredCapacity))
	err = k.instanceRefresh(ctx, r, name, minHealthy, maxHealthy)
	if !errors.Is(err, errNoInstanceRefresh) {
		return err
	}
	return k.surgeRoll(ctx, r, name, old)
}

// outdatedInstances lists the group's instances, not already leaving,
// that run another template, or ran before the change.
func outdatedInstances(g astypes.AutoScalingGroup, ltID string, before map[string]bool) []string {
	var out []string
	for _, in := range g.Instances {
		if leaving(in.LifecycleState) {
			continue
		}
		id := sdk.ToString(in.InstanceId)
		lt := in.LaunchTemplate
		stale := lt == nil || sdk.ToString(lt.LaunchTemplateId) != ltID
		if stale || before[id] {
			out = append(out, id)
		}
	}
	sort.Strings(out)
	return out
}

// leaving reports whether an instance is on its way out of the group.
func leaving(s astypes.LifecycleState) bool {
	switch s {
	case astypes.LifecycleStateTerminating, astypes.LifecycleStateTerminatingWait, astypes.LifecycleStateTerminatingProceed,
		astypes.LifecycleStateTerminated, astypes.LifecycleStateDetaching, astypes.LifecycleStateDetached:
		return true
	}
	return false
}

// instanceRefresh runs an instance refresh to its end, or returns
// errNoInstanceRefresh.
func (k *groupKind) instanceRefresh(ctx context.Context, r providers.Ref, name string, minHealthy, maxHealthy int32) error {
	ac := k.p.clients.autoscaling
	in := &autoscaling.StartInstanceRefreshInput{
		AutoScalingGroupName: sdk.String(name),
		Strategy:             astypes.RefreshStrategyRolling,
		Preferences: &astypes.RefreshPreferences{
			MinHealthyPercentage: sdk.Int32(minHealthy),
			MaxHealthyPercentage: sdk.Int32(maxHealthy),
			SkipMatching:         sdk.Bool(true),
			InstanceWarmup:       sdk.Int32(groupHealthGrace),
		},
	}
	out, err := ac.StartInstanceRefresh(ctx, in, k.emulatorNoRetryAS)
	if errorCode(err) == "InstanceRefreshInProgress" {
		// One started by a run that crashed: let it finish, then start
		// ours, which skips what it already replaced.
		if err := k.waitRefresh(ctx, r, name, ""); err != nil {
			return err
		}
		out, err = ac.StartInstanceRefresh(ctx, in, k.emulatorNoRetryAS)
	}
	if err != nil {
		if isNotImplemented(err) {
			return errNoInstanceRefresh
		}
		return awsError("roll", r.Address, "", err)
	}
	return k.waitRefresh(ctx, r, name, sdk.ToString(out.InstanceRefreshId))
}

// waitRefresh waits for the group's instance refresh id (the latest one
// when id is empty) to end, and fails unless it succeeded.
func (k *groupKind) waitRefresh(ctx context.Context, r providers.Ref, name, id string) error {
	what := fmt.Sprintf("the instance refresh of %s to finish", r.Address)
	return k.p.waitFor(ctx, what, func(ctx context.Context) (bool, error) {
		in := &autoscaling.DescribeInstanceRefreshesInput{AutoScalingGroupName: sdk.String(name)}
		if id != "" {
			in.InstanceRefreshIds = []string{id}
		}
		out, err := k.p.clients.autoscaling.DescribeInstanceRefreshes(ctx, in)
		if err != nil {
			return false, awsError("roll", r.Address, "", err)
		}
		if len(out.InstanceRefreshes) == 0 {
			return true, nil
		}
		ref := out.InstanceRefreshes[0]
		switch ref.Status {
		case astypes.InstanceRefreshStatusSuccessful:
			return true, nil
		case astypes.InstanceRefreshStatusPending, astypes.InstanceRefreshStatusInProgress, astypes.InstanceRefreshStatusCancelling,
			astypes.InstanceRefreshStatusRollbackInProgress, astypes.InstanceRefreshStatusBaking:
			return false, nil
		}
		return false, r.Errorf("roll", "the instance refresh ended %s: %s", ref.Status, sdk.ToString(ref.StatusReason))
	})
}

// surgeRoll grows the group by len(old), waits for the new instances, and
// terminates the old ones.
func (k *groupKind) surgeRoll(ctx context.Context, r providers.Ref, name string, old []string) error {
	ac := k.p.clients.autoscaling
	g, err := k.describeGroup(ctx, name)
	if err != nil || g == nil {
		if err == nil {
			err = fmt.Errorf("the Auto Scaling group %s vanished", name)
		}
		return err
	}
	desired, maxSize := sdk.ToInt32(g.DesiredCapacity), sdk.ToInt32(g.MaxSize)
	oldSet := map[string]bool{}
	for _, id := range old {
		oldSet[id] = true
	}
	if desired > 0 {
		surge := desired + int32(len(old))
		if surge > maxSize {
			if _, err := ac.UpdateAutoScalingGroup(ctx, &autoscaling.UpdateAutoScalingGroupInput{AutoScalingGroupName: sdk.String(name), MaxSize: sdk.Int32(surge)}); err != nil {
				return awsError("roll", r.Address, "max", err)
			}
		}
		if _, err := ac.SetDesiredCapacity(ctx, &autoscaling.SetDesiredCapacityInput{AutoScalingGroupName: sdk.String(name), DesiredCapacity: sdk.Int32(surge), HonorCooldown: sdk.Bool(false)}); err != nil {
			return awsError("roll", r.Address, "desired", err)
		}
		what := fmt.Sprintf("%d new instances of %s to be in service and healthy before %d old ones go", desired, r.Address, len(old))
		err := k.p.waitFor(ctx, what, func(ctx context.Context) (bool, error) {
			g, err := k.describeGroup(ctx, name)
			if err != nil || g == nil {
				if err == nil {
					err = fmt.Errorf("the Auto Scaling group %s vanished", name)
				}
				return false, err
			}
			var fresh []string
			for _, in := range g.Instances {
				if !oldSet[sdk.ToString(in.InstanceId)] && in.LifecycleState == astypes.LifecycleStateInService {
					fresh = append(fresh, sdk.ToString(in.InstanceId))
				}
			}
			if int32(len(fresh)) < desired {
				return false, nil
			}
			return k.healthyInTargetGroups(ctx, r, g.TargetGroupARNs, fresh)
		})
		if err != nil {
			return err
		}
	}
	for _, id := range old {
		_, err := ac.TerminateInstanceInAutoScalingGroup(ctx, &autoscaling.TerminateInstanceInAutoScalingGroupInput{
			InstanceId: sdk.String(id), ShouldDecrementDesiredCapacity: sdk.Bool(desired > 0),
		})
		if err != nil && !isNotFound(err) && errorCode(err) != "ValidationError" {
			return awsError("roll", r.Address, "instance "+id, err)
		}
	}
	if desired+int32(len(old)) > maxSize {
		// Back to the configured bound, now that the old ones are gone
		// from the desired capacity.
		if _, err := ac.UpdateAutoScalingGroup(ctx, &autoscaling.UpdateAutoScalingGroupInput{AutoScalingGroupName: sdk.String(name), MaxSize: sdk.Int32(maxSize)}); err != nil {
			return awsError("roll", r.Address, "max", err)
		}
	}
	return k.p.waitFor(ctx, fmt.Sprintf("%d old instances of %s to terminate", len(old), r.Address), func(ctx context.Context) (bool, error) {
		g, err := k.describeGroup(ctx, name)
		if err != nil || g == nil {
			return g == nil && err == nil, err
		}
		for _, in := range g.Instances {
			if oldSet[sdk.ToString(in.InstanceId)] {
				return false, nil
			}
		}
		return true, nil
	})
}

// healthyInTargetGroups reports whether every instance of ids is healthy
// in every target group of arns.
func (k *kindBase) healthyInTargetGroups(ctx context.Context, r providers.Ref, arns, ids []string) (bool, error) {
	for _, arn := range arns {
		out, err := k.p.clients.elbv2.DescribeTargetHealth(ctx, &elbv2.DescribeTargetHealthInput{TargetGroupArn: sdk.String(arn)})
		if err != nil {
			if isNotFound(err) {
				continue
			}
			return false, awsError("roll", r.Address, "target health", err)
		}
		healthy := map[string]bool{}
		for _, d := range out.TargetHealthDescriptions {
			if d.Target != nil && d.TargetHealth != nil && d.TargetHealth.State == "healthy" {
				healthy[sdk.ToString(d.Target.Id)] = true
			}
		}
		for _, id := range ids {
			if !healthy[id] {
				return false, nil
			}
		}
	}
	return true, nil
}

// rollout is a group's rollout block, kept in its tagRollout tag as
// "SURGE/UNAVAILABLE".
type rollout struct {
	Surge, Unavailable int32
}

func (ro rollout) tag() string { return fmt.Sprintf("%d/%d", ro.Surge, ro.Unavailable) }

// parseRolloutTag reads the tag; a group without one (made before the
// block existed) rolls with the defaults, surge 1 and none unavailable.
func parseRolloutTag(s string) rollout {
	var ro rollout
	if _, err := fmt.Sscanf(s, "%d/%d", &ro.Surge, &ro.Unavailable); err != nil || ro.Surge < 0 || ro.Unavailable < 0 {
		return rollout{Surge: 1}
	}
	return ro
}

// healthyPercentages turns the rollout into an instance refresh's bounds
// for a group of desired instances: how far below (min) and above (max)
// 100 % of the desired capacity the refresh may go. AWS takes at most 200
// and a spread of at most 100 points, and a max of 100 needs a min below
// it.
func (ro rollout) healthyPercentages(desired int32) (minHealthy, maxHealthy int32) {
	if desired <= 0 {
		return 100, 200
	}
	minHealthy = 100 - ro.Unavailable*100/desired
	maxHealthy = 100 + (ro.Surge*100+desired-1)/desired
	minHealthy = max(0, min(100, minHealthy))
	maxHealthy = max(100, min(200, maxHealthy))
	if maxHealthy-minHealthy > 100 {
		minHealthy = maxHealthy - 100
	}
	if maxHealthy == 100 && minHealthy == 100 {
		minHealthy = 100 - 100/desired
	}
	return minHealthy, maxHealthy
}
