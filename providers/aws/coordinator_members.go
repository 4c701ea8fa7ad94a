package aws

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	sdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/stagecraft/stagecraft/providers"
)

// coordState is a coordinator as AWS has it: the group, its tags, the
// launch template's latest image and type, and the group's instances.
type coordState struct {
	group        astypes.AutoScalingGroup
	tags         map[string]string
	image        string
	instanceType string
	members      []coordMember
}

// coordMember is one instance of a coordinator's group.
type coordMember struct {
	instanceID string
	ip         string
	// id is the member number from the instance's tags; 0 while the
	// instance is not on the roster.
	id int
	// roster is the instance's stagecraft:members tag.
	roster       string
	lifecycle    astypes.LifecycleState
	ec2State     ec2types.InstanceStateName
	image        string
	instanceType string
}

func (s *coordState) name() string { return sdk.ToString(s.group.AutoScalingGroupName) }

// serving reports whether m is in service and running, with an address.
func (m coordMember) serving() bool {
	return m.lifecycle == astypes.LifecycleStateInService && m.ec2State == ec2types.InstanceStateNameRunning && m.ip != ""
}

// launching reports whether m is an instance still starting that has an
// address already: settle waits for it, then puts it on the roster.
func (m coordMember) launching() bool {
	switch m.lifecycle {
	case astypes.LifecycleStatePending, astypes.LifecycleStatePendingWait, astypes.LifecycleStatePendingProceed, astypes.LifecycleStateInService:
	default:
		return false
	}
	return (m.ec2State == ec2types.InstanceStateNamePending || m.ec2State == ec2types.InstanceStateNameRunning) && m.ip != ""
}

// roster returns the members in service that are on the roster, by
// member number.
func (s *coordState) roster() []coordMember {
	var out []coordMember
	for _, m := range s.members {
		if m.id > 0 && m.serving() {
			out = append(out, m)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
	return out
}

// newcomers returns the member number settle gives each instance that is
// not on the roster yet: the lowest numbers the roster leaves free, in the
// order of the instances' ids. It numbers the instances in service, and
// with launching also those still starting (which settle waits for).
func (s *coordState) newcomers(launching bool) map[string]int {
	used := map[int]bool{}
	for _, m := range s.roster() {
		used[m.id] = true
	}
	out := map[string]int{}
	id := 1
	for _, m := range s.members {
		if m.id > 0 || !(m.serving() || launching && m.launching()) {
			continue
		}
		for used[id] {
			id++
		}
		used[id] = true
		out[m.instanceID] = id
	}
	return out
}

// rosterToBe returns the roster once settle has put the newcomers on it,
// those still starting included: what the ensemble is made of after the
// next apply. A coordinator whose create stopped before it wrote the
// roster (adopted after a crash) thus reads with the endpoints its
// members are about to have, not none.
func (s *coordState) rosterToBe() []coordMember {
	out := s.roster()
	ids := s.newcomers(true)
	for _, m := range s.members {
		if id, ok := ids[m.instanceID]; ok {
			m.id = id
			out = append(out, m)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
	return out
}

// outdated returns the lowest-numbered member that does not run image
// and instance type, or nil.
func (s *coordState) outdated(image, instanceType string) *coordMember {
	for _, m := range s.roster() {
		if m.image != image || m.instanceType != instanceType {
			return &m
		}
	}
	return nil
}

// rosterString renders members as the stagecraft:members tag.
func rosterString(members []coordMember) string {
	parts := make([]string, len(members))
	for i, m := range members {
		parts[i] = strconv.Itoa(m.id) + "=" + m.ip
	}
	return strings.Join(parts, ",")
}

// find describes the coordinator's group name; nil when there is none or
// it is being deleted.
func (k *coordinatorKind) find(ctx context.Context, op, addr, name string) (*coordState, error) {
	states, err := k.describeGroups(ctx, aboutResource(op, addr), []string{name}, nil)
	if err != nil {
		return nil, err
	}
	return states[name], nil
}

// describeGroups describes the groups named (in batches), or those
// matching filters, with their instances (one call per 500) and launch
// templates (one call each), by name. Groups being deleted are left out.
func (k *coordinatorKind) describeGroups(ctx context.Context, about errorsAbout, names []string, filters []astypes.Filter) (map[string]*coordState, error) {
	as := k.p.clients.autoscaling
	var groups []astypes.AutoScalingGroup
	list := func(in *autoscaling.DescribeAutoScalingGroupsInput) error {
		pages := autoscaling.NewDescribeAutoScalingGroupsPaginator(as, in)
		for pages.HasMorePages() {
			page, err := pages.NextPage(ctx)
			if err != nil {
				return about("", err)
			}
			groups = append(groups, page.AutoScalingGroups...)
		}
		return nil
	}
	switch {
	case filters != nil:
		if err := list(&autoscaling.DescribeAutoScalingGroupsInput{Filters: filters}); err != nil {
			return nil, err
		}
	default:
		for start := 0; start < len(names); start += 50 {
			batch := names[start:min(start+50, len(names))]
			if err := list(&autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: batch}); err != nil {
				return nil, err
			}
		}
	}
	out := map[string]*coordState{}
	var ids []string
	for _, g := range groups {
		if sdk.ToString(g.Status) != "" { // "Delete in progress"
			continue
		}
		s := &coordState{group: g, tags: map[string]string{}}
		for _, t := range g.Tags {
			s.tags[sdk.ToString(t.Key)] = sdk.ToString(t.Value)
		}
		for _, in := range g.Instances {
			s.members = append(s.members, coordMember{instanceID: sdk.ToString(in.InstanceId), lifecycle: in.LifecycleState})
			ids = append(ids, sdk.ToString(in.InstanceId))
		}
		out[s.name()] = s
	}
	instances, err := k.instances(ctx, about, ids)
	if err != nil {
		return nil, err
	}
	for _, s := range out {
		for i := range s.members {
			in, ok := instances[s.members[i].instanceID]
			if !ok {
				continue
			}
			m := &s.members[i]
			m.ip = sdk.ToString(in.PrivateIpAddress)
			if in.State != nil {
				m.ec2State = in.State.Name
			}
			m.image = sdk.ToString(in.ImageId)
			m.instanceType = string(in.InstanceType)
			m.id, _ = strconv.Atoi(tagValue(in.Tags, tagMemberID))
			m.roster = tagValue(in.Tags, tagMembers)
		}
		sort.Slice(s.members, func(i, j int) bool { return s.members[i].instanceID < s.members[j].instanceID })
		lt, err := k.templateOf(ctx, about, s.group)
		if err != nil {
			return nil, err
		}
		if lt != nil {
			s.image = sdk.ToString(lt.ImageId)
			s.instanceType = string(lt.InstanceType)
		}
	}
	return out, nil
}

// instances describes EC2 instances by id.
func (k *coordinatorKind) instances(ctx context.Context, about errorsAbout, ids []string) (map[string]ec2types.Instance, error) {
	out := map[string]ec2types.Instance{}
	for start := 0; start < len(ids); start += 500 {
		batch := ids[start:min(start+500, len(ids))]
		pages := ec2.NewDescribeInstancesPaginator(k.p.clients.ec2, &ec2.DescribeInstancesInput{InstanceIds: batch})
		for pages.HasMorePages() {
			page, err := pages.NextPage(ctx)
			if err != nil {
				return nil, about("members", err)
			}
			for _, res := range page.Reservations {
				for _, in := range res.Instances {
					out[sdk.ToString(in.InstanceId)] = in
				}
			}
		}
	}
	return out, nil
}

// settle waits until want instances of the group are in service, then
// puts the ones not on the roster yet on it (the lowest free member
// numbers, "new" when there is no member yet, else "existing") and
// writes the roster onto every instance of the group.
func (k *coordinatorKind) settle(ctx context.Context, op string, r providers.Ref, name string, want int) (*coordState, error) {
	var s *coordState
	err := k.p.waitFor(ctx, fmt.Sprintf("%d members of %s (%s) to be in service", want, r.Address, name), func(ctx context.Context) (bool, error) {
		var err error
		if s, err = k.find(ctx, op, r.Address, name); err != nil {
			return false, err
		}
		if s == nil {
			return false, r.Errorf(op, "the Auto Scaling group %s disappeared", name)
		}
		serving, pending := 0, false
		for _, m := range s.members {
			switch {
			case m.serving():
				serving++
			case m.lifecycle == astypes.LifecycleStatePending || m.lifecycle == astypes.LifecycleStatePendingWait || m.lifecycle == astypes.LifecycleStatePendingProceed:
				pending = true
			}
		}
		return serving >= want && !pending, nil
	})
	if err != nil {
		return s, r.Errorf(op, "%w", err)
	}
	// Members found the ensemble until a roster has been written onto
	// them: a create interrupted while numbering them still founds it
	// with all of them.
	state := "new"
	for _, m := range s.members {
		if m.roster != "" {
			state = "existing"
		}
	}
	ids := s.newcomers(false)
	changed := false
	for i := range s.members {
		m := &s.members[i]
		id, ok := ids[m.instanceID]
		if !ok {
			continue
		}
		if err := k.tagInstances(ctx, op, r, []string{m.instanceID}, map[string]string{tagMemberID: strconv.Itoa(id), tagClusterState: state}); err != nil {
			return s, err
		}
		m.id = id
		changed = true
	}
	if err := k.writeRoster(ctx, op, r, s, s.roster()); err != nil {
		return s, err
	}
	if changed {
		k.step(len(s.roster()))
	}
	return s, nil
}

// writeRoster writes roster onto every instance of the group (those in
// standby too: a member leaving reads that it is off the roster) that
// does not carry it yet.
func (k *coordinatorKind) writeRoster(ctx context.Context, op string, r providers.Ref, s *coordState, roster []coordMember) error {
	tag := rosterString(roster)
	var stale []string
	for i, m := range s.members {
		if m.roster != tag && m.ec2State != ec2types.InstanceStateNameTerminated && m.ec2State != ec2types.InstanceStateNameShuttingDown {
			stale = append(stale, m.instanceID)
			s.members[i].roster = tag
		}
	}
	if len(stale) == 0 {
		return nil
	}
	return k.tagInstances(ctx, op, r, stale, map[string]string{tagMembers: tag})
}

func (k *coordinatorKind) tagInstances(ctx context.Context, op string, r providers.Ref, ids []string, tags map[string]string) error {
	_, err := k.p.clients.ec2.CreateTags(ctx, &ec2.CreateTagsInput{Resources: ids, Tags: ec2Tags(tags)})
	if err != nil {
		return awsError(op, r.Address, "members", err)
	}
	return nil
}

func (k *coordinatorKind) step(members int) {
	if k.stepped != nil {
		k.stepped(members)
	}
}

// grow adds one member: the group one larger, the new instance in service
// and on the roster.
func (k *coordinatorKind) grow(ctx context.Context, op string, r providers.Ref, s *coordState) (*coordState, error) {
	name := s.name()
	n := int32(len(s.roster()) + 1)
	_, err := k.p.clients.autoscaling.UpdateAutoScalingGroup(ctx, &autoscaling.UpdateAutoScalingGroupInput{
		AutoScalingGroupName: sdk.String(name), MinSize: sdk.Int32(n), MaxSize: sdk.Int32(n), DesiredCapacity: sdk.Int32(n),
	})
	if err != nil {
		return s, awsError(op, r.Address, "members", err)
	}
	return k.settle(ctx, op, r, name, int(n))
}

// shrink removes the member on instance: out of the group's service
// without a replacement (standby, desired size lowered), off the roster,
// then, once it has left the ensemble and powered off, detached and
// terminated.
func (k *coordinatorKind) shrink(ctx context.Context, op string, r providers.Ref, s *coordState, instance string) (*coordState, error) {
	as := k.p.clients.autoscaling
	name := s.name()
	var leaving *coordMember
	var rest []coordMember
	for _, m := range s.roster() {
		if m.instanceID == instance {
			mm := m
			leaving = &mm
			continue
		}
		rest = append(rest, m)
	}
	if leaving == nil {
		return s, nil
	}
	n := int32(len(rest))
	if _, err := as.UpdateAutoScalingGroup(ctx, &autoscaling.UpdateAutoScalingGroupInput{AutoScalingGroupName: sdk.String(name), MinSize: sdk.Int32(n)}); err != nil {
		return s, awsError(op, r.Address, "members", err)
	}
	if _, err := as.EnterStandby(ctx, &autoscaling.EnterStandbyInput{
		AutoScalingGroupName: sdk.String(name), InstanceIds: []string{instance}, ShouldDecrementDesiredCapacity: sdk.Bool(true),
	}); err != nil {
		return s, awsError(op, r.Address, "members", err)
	}
	if err := k.writeRoster(ctx, op, r, s, rest); err != nil {
		return s, err
	}
	what := fmt.Sprintf("member %d (%s) of %s to leave the ensemble and power off", leaving.id, instance, r.Address)
	err := k.p.waitFor(ctx, what, func(ctx context.Context) (bool, error) {
		ins, err := k.instances(ctx, aboutResource(op, r.Address), []string{instance})
		if err != nil {
			return false, err
		}
		in, ok := ins[instance]
		if !ok || in.State == nil {
			return true, nil
		}
		switch in.State.Name {
		case ec2types.InstanceStateNameStopping, ec2types.InstanceStateNameStopped, ec2types.InstanceStateNameShuttingDown, ec2types.InstanceStateNameTerminated:
			return true, nil
		}
		return false, nil
	})
	if err != nil {
		return s, r.Errorf(op, "%w", err)
	}
	if _, err := as.DetachInstances(ctx, &autoscaling.DetachInstancesInput{
		AutoScalingGroupName: sdk.String(name), InstanceIds: []string{instance}, ShouldDecrementDesiredCapacity: sdk.Bool(false),
	}); err != nil && !isNotFound(err) {
		return s, awsError(op, r.Address, "members", err)
	}
	if _, err := k.p.clients.ec2.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{instance}}); err != nil && !isNotFound(err) {
		return s, awsError(op, r.Address, "members", err)
	}
	if _, err := as.UpdateAutoScalingGroup(ctx, &autoscaling.UpdateAutoScalingGroupInput{
		AutoScalingGroupName: sdk.String(name), MinSize: sdk.Int32(n), MaxSize: sdk.Int32(n), DesiredCapacity: sdk.Int32(n),
	}); err != nil {
		return s, awsError(op, r.Address, "members", err)
	}
	next, err := k.settle(ctx, op, r, name, int(n))
	if err != nil {
		return s, err
	}
	k.step(len(next.roster()))
	return next, nil
}
