package aws

import (
	"context"
	"encoding/base64"
	"fmt"
	"sort"
	"strconv"
	"strings"

	sdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/zclconf/go-cty/cty"

	"github.com/stagecraft/stagecraft/providers"
	"github.com/stagecraft/stagecraft/providers/kinds"
)

// coordinatorKind maps a coordinator onto a launch template and a
// fixed-size Auto Scaling group (min = max = desired = members) across the
// network's private subnets, in the data security group. Its id is the
// group's name; its launch templates are that name plus a hash of what
// they launch.
//
// # Bootstrap protocol
//
// A member's private address is known only once its instance exists, so
// the roster cannot be written into the user data. Instead the provider
// writes it onto the instances as tags, and every member reads its own
// tags through the instance metadata service (instance tags in metadata
// are enabled in the launch template), which needs no IAM role:
//
//   - stagecraft:member-id: the member's number (1-255, the lowest free one;
//     etcd names it m<N>, ZooKeeper uses it as myid);
//   - stagecraft:members: the roster, "1=10.0.1.5,2=10.0.2.7,3=10.0.1.9";
//   - stagecraft:cluster-state: "new" for the founding members, "existing"
//     for a member added to a running ensemble.
//
// The user data (userdata/*.sh.tmpl) installs the server, waits until the
// instance is on the roster, then founds the ensemble with the whole
// roster ("new"), or joins it ("existing": etcd member add, or ZooKeeper
// reconfig -add, through a running member, after removing members the
// roster no longer lists). A timer on every member re-reads the roster
// every 10 s: a member taken off it leaves the ensemble (member remove /
// reconfig -remove) and powers its instance off, which is the signal the
// provider waits for.
//
// # Membership changes
//
// Every change is one member at a time, so the ensemble never loses
// quorum on AWS: growing sets the group one larger, waits for the new
// instance to be in service and puts it on the roster; shrinking takes the
// member with the highest number out of the group's service (standby,
// with the desired size lowered, so it is not replaced), takes it off the
// roster, waits until it has left and powered off, then detaches and
// terminates it. A change of aws.ami or aws.instance_type makes a new
// launch template and rolls the members: one new member joins,
// then one old member leaves, until none is left on the old image or
// type. An instance the group replaced by itself (a failed member) is not
// on the roster, so Read reports one member fewer; the next apply puts
// the newcomer on the roster, which drops the dead member.
//
// Read reports as members the instances in service that are on the
// roster, and as endpoints their private addresses with the client port
// (2379 for etcd, 2181 for ZooKeeper), ordered by member number.
type coordinatorKind struct {
	*kindBase
	// stepped, when set, is told the number of members after each
	// one-member change; tests observe the steps through it.
	stepped func(members int)
}

var (
	_ providers.ResourceKind = (*coordinatorKind)(nil)
	_ providers.BatchReader  = (*coordinatorKind)(nil)
	_ providers.Discoverer   = (*coordinatorKind)(nil)
)

// Tags on a coordinator's group and instances.
const (
	tagEngine = "stagecraft:engine"
	// tagAMISource says where the image came from: "configured" (aws.ami)
	// or the SSM parameter it was looked up from.
	tagAMISource    = "stagecraft:ami-source"
	tagMemberID     = "stagecraft:member-id"
	tagMembers      = "stagecraft:members"
	tagClusterState = "stagecraft:cluster-state"
	// tagCluster names the group on its instances, so that a delete
	// finds its own stray members and not a replacement's, which carry
	// the same address.
	tagCluster = "stagecraft:cluster"
)

// amiParameter is the SSM public parameter with the current Amazon Linux
// 2023 image, used when aws.ami is left out.
const amiParameter = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"

// coordNameMax bounds group and launch template names; both allow more,
// but the names are read by people.
const coordNameMax = 63

// coordConfig is a desired coordinator, decoded.
type coordConfig struct {
	Engine       string
	Members      int
	Network      string
	AMI          string // "" when looked up
	InstanceType string
}

func coordConfigOf(v cty.Value) coordConfig {
	c := cval{v}
	n, ok := c.num("members")
	if !ok {
		n = 3
	}
	it := c.sub(kinds.SubBlockAWS).str("instance_type")
	if it == "" {
		it = "t3.small"
	}
	return coordConfig{
		Engine:       c.str("engine"),
		Members:      int(n),
		Network:      c.str("network"),
		AMI:          c.sub(kinds.SubBlockAWS).str("ami"),
		InstanceType: it,
	}
}

// coordName is the group and launch template name of the coordinator r:
// stable for the same owner, address, engine and network (a create that
// crashed before the state recorded it finds its group again), different
// for a replacement (the next generation's name when the replacement keeps
// the engine and network, see createToken).
func (k *coordinatorKind) coordName(ctx context.Context, r providers.Ref, c coordConfig) (string, error) {
	return createName(r, resourceToken(r, c.Engine, c.Network), coordNameMax, func(name string) (string, error) {
		s, err := k.find(ctx, "create", r.Address, name)
		if err != nil || s == nil {
			return "", err
		}
		return name, nil
	})
}

func (k *coordinatorKind) null() cty.Value { return cty.NullVal(k.schema.ImpliedType()) }

// Read returns the coordinator with r.ID; a group being deleted counts as
// gone.
func (k *coordinatorKind) Read(ctx context.Context, r providers.Ref) (cty.Value, bool, error) {
	if r.ID == "" {
		return k.null(), false, nil
	}
	s, err := k.find(ctx, "read", r.Address, r.ID)
	if err != nil || s == nil {
		return k.null(), false, err
	}
	return k.value(s), true, nil
}

// Create makes the launch template and the group, waits for the members
// to be in service and writes the roster. A group this resource's crashed
// create left is adopted (the name is derived from the address; the tags
// are checked) and brought to the desired configuration; moto would
// otherwise silently replace a group created twice under one name.
func (k *coordinatorKind) Create(ctx context.Context, r providers.Ref, desired cty.Value) (cty.Value, error) {
	desired, err := k.checkDesired("create", r, desired)
	if err != nil {
		return k.null(), err
	}
	cfg := coordConfigOf(desired)
	name, err := k.coordName(ctx, r, cfg)
	if err != nil {
		return k.null(), err
	}
	s, err := k.find(ctx, "create", r.Address, name)
	if err != nil {
		return k.null(), err
	}
	if s != nil {
		if err := checkOwner(r, name, s.tags); err != nil {
			return k.null(), r.Errorf("create", "%w", err)
		}
		if s, err = k.converge(ctx, "create", r, s, cfg); err != nil {
			return k.null(), err
		}
		return k.value(s), nil
	}
	if err := k.create(ctx, r, name, cfg); err != nil {
		return k.null(), err
	}
	if s, err = k.settle(ctx, "create", r, name, cfg.Members); err != nil {
		return k.null(), err
	}
	return k.value(s), nil
}

// create makes the launch template and the group.
func (k *coordinatorKind) create(ctx context.Context, r providers.Ref, name string, cfg coordConfig) error {
	net, err := k.lookupNetwork(ctx, r, cfg.Network)
	if err != nil {
		return err
	}
	if len(net.PrivateSubnets) == 0 {
		return r.Errorf("create", "the network %s has no private subnets to place the members in", net.VPCID)
	}
	ami, source, err := k.image(ctx, "create", r, cfg, nil)
	if err != nil {
		return err
	}
	ltID, err := k.ensureTemplate(ctx, "create", r, name, cfg, net, ami)
	if err != nil {
		return err
	}
	_, err = k.p.clients.autoscaling.CreateAutoScalingGroup(ctx, &autoscaling.CreateAutoScalingGroupInput{
		AutoScalingGroupName: sdk.String(name),
		LaunchTemplate:       &astypes.LaunchTemplateSpecification{LaunchTemplateId: sdk.String(ltID), Version: sdk.String("1")},
		MinSize:              sdk.Int32(int32(cfg.Members)),
		MaxSize:              sdk.Int32(int32(cfg.Members)),
		DesiredCapacity:      sdk.Int32(int32(cfg.Members)),
		VPCZoneIdentifier:    sdk.String(strings.Join(net.PrivateSubnets, ",")),
		HealthCheckType:      sdk.String("EC2"),
		Tags:                 k.groupTags(r, name, cfg, source),
	})
	if err != nil && !isCode(err, "AlreadyExists") {
		return awsError("create", r.Address, groupErrorAttr(err, "members"), err)
	}
	return nil
}

// groupErrorAttr names the attribute an Auto Scaling error most likely
// concerns, by its code; fallback when the code says nothing of it.
func groupErrorAttr(err error, fallback string) string {
	code := errorCode(err)
	switch {
	case strings.Contains(code, "Subnet") || strings.Contains(code, "SecurityGroup") || strings.Contains(code, "Vpc"):
		return "network"
	case strings.Contains(code, "AMI") || strings.Contains(code, "InstanceType") || strings.Contains(code, "LaunchTemplate"):
		return "aws"
	}
	return fallback
}

// image returns the AMI the members run and where it came from: aws.ami
// when set; else the image the group already runs (s, when it exists and
// looked its image up); else the current Amazon Linux image from SSM.
func (k *coordinatorKind) image(ctx context.Context, op string, r providers.Ref, cfg coordConfig, s *coordState) (ami, source string, err error) {
	if cfg.AMI != "" {
		return cfg.AMI, "configured", nil
	}
	if s != nil && s.tags[tagAMISource] != "configured" && s.image != "" {
		return s.image, s.tags[tagAMISource], nil
	}
	out, err := k.p.clients.ssm.GetParameter(ctx, &ssm.GetParameterInput{Name: sdk.String(amiParameter)})
	if err != nil {
		return "", "", fmt.Errorf("%w; set aws.ami to the image the members should run", awsError(op, r.Address, "aws.ami", fmt.Errorf("looking up the current Amazon Linux image (SSM parameter %s): %w", amiParameter, err)))
	}
	return sdk.ToString(out.Parameter.Value), "ssm:" + amiParameter, nil
}

// groupTags are the group's tags. The owner tags and the default tags
// propagate to the instances, except default tags whose keys the instance
// metadata service cannot show (spaces or "/"): with instance tags in
// metadata on, AWS refuses to launch an instance carrying one.
func (k *coordinatorKind) groupTags(r providers.Ref, name string, cfg coordConfig, amiSource string) []astypes.Tag {
	tags := k.tags(r)
	own := map[string]string{tagEngine: cfg.Engine, tagAMISource: amiSource}
	if cfg.Network != "" {
		own[tagNetwork] = cfg.Network
	}
	var out []astypes.Tag
	add := func(key, value string, propagate bool) {
		out = append(out, astypes.Tag{
			Key: sdk.String(key), Value: sdk.String(value), PropagateAtLaunch: sdk.Bool(propagate),
			ResourceId: sdk.String(name), ResourceType: sdk.String("auto-scaling-group"),
		})
	}
	for _, key := range sortedTagKeys(tags) {
		add(key, tags[key], metadataTagKey(key))
	}
	for _, key := range sortedTagKeys(own) {
		add(key, own[key], false)
	}
	add(tagCluster, name, true)
	return out
}

// metadataTagKey reports whether an instance tag key can be shown by the
// instance metadata service: letters, digits and + - = . , _ : @ only.
func metadataTagKey(key string) bool {
	if key == "" || key == "." || key == ".." || key == "_index" {
		return false
	}
	for _, c := range key {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("+-=.,_:@", c)) {
			return false
		}
	}
	return true
}

// ensureTemplate returns the id of the launch template that launches
// what cfg asks for: the group's name plus a hash of the template's data,
// made when it does not exist yet. As for groups, a change is a new
// template rather than a new version of one (moto cannot launch from a
// version made by CreateLaunchTemplateVersion when it holds user data),
// and a crashed update's template is found again by its name.
func (k *coordinatorKind) ensureTemplate(ctx context.Context, op string, r providers.Ref, name string, cfg coordConfig, net *netInfo, ami string) (string, error) {
	c := k.p.clients.ec2
	script, err := renderUserData(cfg.Engine, r.Address, name)
	if err != nil {
		return "", r.AttrErrorf(op, "engine", "%w", err)
	}
	var groups []string
	if net != nil && net.DataGroup != "" {
		groups = []string{net.DataGroup}
	}
	data := &ec2types.RequestLaunchTemplateData{
		ImageId:      sdk.String(ami),
		InstanceType: ec2types.InstanceType(cfg.InstanceType),
		UserData:     sdk.String(base64.StdEncoding.EncodeToString(script)),
		MetadataOptions: &ec2types.LaunchTemplateInstanceMetadataOptionsRequest{
			HttpEndpoint:            ec2types.LaunchTemplateInstanceMetadataEndpointStateEnabled,
			HttpTokens:              ec2types.LaunchTemplateHttpTokensStateRequired,
			HttpPutResponseHopLimit: sdk.Int32(1),
			InstanceMetadataTags:    ec2types.LaunchTemplateInstanceMetadataTagsStateEnabled,
		},
		// A member that has left the ensemble powers off; it must stay
		// visible (stopped) until the provider has seen it go.
		InstanceInitiatedShutdownBehavior: ec2types.ShutdownBehaviorStop,
		SecurityGroupIds:                  groups,
	}
	ltName := name + "-" + templateHash(data)
	found, err := c.DescribeLaunchTemplates(ctx, &ec2.DescribeLaunchTemplatesInput{Filters: []ec2types.Filter{
		{Name: sdk.String("launch-template-name"), Values: []string{ltName}},
	}})
	if err != nil {
		return "", awsError(op, r.Address, "launch template", err)
	}
	if len(found.LaunchTemplates) > 0 {
		return sdk.ToString(found.LaunchTemplates[0].LaunchTemplateId), nil
	}
	out, err := c.CreateLaunchTemplate(ctx, &ec2.CreateLaunchTemplateInput{
		LaunchTemplateName: sdk.String(ltName),
		LaunchTemplateData: data,
		VersionDescription: sdk.String("Stagecraft " + op + " of " + r.Address),
		TagSpecifications:  []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeLaunchTemplate, Tags: ec2Tags(k.tags(r))}},
	})
	if err != nil {
		return "", awsError(op, r.Address, "aws", err)
	}
	return sdk.ToString(out.LaunchTemplate.LaunchTemplateId), nil
}

// templateOf returns the data of the launch template a group launches
// from, or nil when it has none or the template is gone.
func (k *coordinatorKind) templateOf(ctx context.Context, about errorsAbout, g astypes.AutoScalingGroup) (*ec2types.ResponseLaunchTemplateData, error) {
	if g.LaunchTemplate == nil || g.LaunchTemplate.LaunchTemplateId == nil {
		return nil, nil
	}
	out, err := k.p.clients.ec2.DescribeLaunchTemplateVersions(ctx, &ec2.DescribeLaunchTemplateVersionsInput{
		LaunchTemplateId: g.LaunchTemplate.LaunchTemplateId, Versions: []string{sdk.ToString(g.LaunchTemplate.Version)},
	})
	if err != nil {
		if isNotFound(err) {
			return nil, nil
		}
		return nil, about("aws", err)
	}
	if len(out.LaunchTemplateVersions) == 0 {
		return nil, nil
	}
	return out.LaunchTemplateVersions[0].LaunchTemplateData, nil
}

// Update changes a coordinator in place: first it puts instances the group
// launched by itself on the roster, then it makes a new launch template
// and rolls the members when aws.ami or aws.instance_type change,
// then it adds or removes members one at a time.
func (k *coordinatorKind) Update(ctx context.Context, r providers.Ref, prior, desired cty.Value) (cty.Value, error) {
	desired, err := k.checkDesired("update", r, desired)
	if err != nil {
		return k.null(), err
	}
	cfg := coordConfigOf(desired)
	s, err := k.find(ctx, "update", r.Address, r.ID)
	if err != nil {
		return k.null(), err
	}
	if s == nil {
		return k.null(), r.Errorf("update", "the Auto Scaling group %s no longer exists; plan again to create it", r.ID)
	}
	if s, err = k.converge(ctx, "update", r, s, cfg); err != nil {
		return k.null(), err
	}
	return k.value(s), nil
}

// converge brings the coordinator s to cfg.
func (k *coordinatorKind) converge(ctx context.Context, op string, r providers.Ref, s *coordState, cfg coordConfig) (*coordState, error) {
	name := s.name()
	for _, fn := range []struct{ attr, have, want string }{
		{"engine", s.tags[tagEngine], cfg.Engine},
		{"network", s.tags[tagNetwork], cfg.Network},
	} {
		if fn.have != fn.want {
			return s, r.AttrErrorf(op, fn.attr, "cannot change in place from %q to %q; the coordinator must be replaced", fn.have, fn.want)
		}
	}
	// Put what the group runs on the roster first: members launched but
	// not yet on it (a crashed create, a failed member's replacement).
	s, err := k.settle(ctx, op, r, name, int(sdk.ToInt32(s.group.DesiredCapacity)))
	if err != nil {
		return s, err
	}
	ami, source, err := k.image(ctx, op, r, cfg, s)
	if err != nil {
		return s, err
	}
	if s.image != ami || s.instanceType != cfg.InstanceType || s.tags[tagAMISource] != source {
		net, err := k.lookupNetwork(ctx, r, cfg.Network)
		if err != nil {
			return s, err
		}
		ltID, err := k.ensureTemplate(ctx, op, r, name, cfg, net, ami)
		if err != nil {
			return s, err
		}
		if _, err := k.p.clients.autoscaling.UpdateAutoScalingGroup(ctx, &autoscaling.UpdateAutoScalingGroupInput{
			AutoScalingGroupName: sdk.String(name),
			LaunchTemplate:       &astypes.LaunchTemplateSpecification{LaunchTemplateId: sdk.String(ltID), Version: sdk.String("1")},
		}); err != nil {
			return s, awsError(op, r.Address, "aws", err)
		}
		if err := k.setGroupTag(ctx, op, r, name, tagAMISource, source); err != nil {
			return s, err
		}
		if s, err = k.find(ctx, op, r.Address, name); err != nil {
			return s, err
		}
	}
	// Roll: one new member in, one old member out.
	for {
		old := s.outdated(ami, cfg.InstanceType)
		if old == nil {
			break
		}
		if s, err = k.grow(ctx, op, r, s); err != nil {
			return s, err
		}
		if s, err = k.shrink(ctx, op, r, s, old.instanceID); err != nil {
			return s, err
		}
	}
	if s.group.LaunchTemplate != nil {
		if err := k.pruneTemplates(ctx, op, r, name, sdk.ToString(s.group.LaunchTemplate.LaunchTemplateId)); err != nil {
			return s, err
		}
	}
	for len(s.roster()) < cfg.Members {
		if s, err = k.grow(ctx, op, r, s); err != nil {
			return s, err
		}
	}
	for len(s.roster()) > cfg.Members {
		ros := s.roster()
		if s, err = k.shrink(ctx, op, r, s, ros[len(ros)-1].instanceID); err != nil {
			return s, err
		}
	}
	return s, nil
}

// setGroupTag sets one tag of the group (not propagated).
func (k *coordinatorKind) setGroupTag(ctx context.Context, op string, r providers.Ref, name, key, value string) error {
	_, err := k.p.clients.autoscaling.CreateOrUpdateTags(ctx, &autoscaling.CreateOrUpdateTagsInput{Tags: []astypes.Tag{{
		Key: sdk.String(key), Value: sdk.String(value), PropagateAtLaunch: sdk.Bool(false),
		ResourceId: sdk.String(name), ResourceType: sdk.String("auto-scaling-group"),
	}}})
	if err != nil {
		return awsError(op, r.Address, "tags", err)
	}
	return nil
}

// Delete deletes the group with its instances and waits until it is gone,
// then deletes its launch templates, and terminates any instance of this
// coordinator left outside the group (a shrink that crashed between
// detaching a member and terminating it). Gone already is no error.
func (k *coordinatorKind) Delete(ctx context.Context, r providers.Ref, prior cty.Value) error {
	if r.ID == "" {
		return nil
	}
	as := k.p.clients.autoscaling
	name := r.ID
	_, err := as.DeleteAutoScalingGroup(ctx, &autoscaling.DeleteAutoScalingGroupInput{AutoScalingGroupName: sdk.String(name), ForceDelete: sdk.Bool(true)})
	if err != nil && !isNotFound(err) && !isCode(err, "ResourceInUse") && !isCode(err, "ScalingActivityInProgress") {
		return awsError("delete", r.Address, "", err)
	}
	err = k.p.waitFor(ctx, fmt.Sprintf("the Auto Scaling group %s of %s to finish deleting", name, r.Address), func(ctx context.Context) (bool, error) {
		out, err := as.DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{name}})
		if err != nil {
			return false, awsError("delete", r.Address, "", err)
		}
		return len(out.AutoScalingGroups) == 0, nil
	})
	if err != nil {
		return r.Errorf("delete", "%w", err)
	}
	if err := k.pruneTemplates(ctx, "delete", r, name, ""); err != nil {
		return err
	}
	return k.terminateStrays(ctx, r)
}

// terminateStrays terminates the instances of r's group (by their owner
// and cluster tags) that are not terminated yet, and waits until they are.
func (k *coordinatorKind) terminateStrays(ctx context.Context, r providers.Ref) error {
	c := k.p.clients.ec2
	live := func(ctx context.Context) ([]string, error) {
		out, err := c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{Filters: []ec2types.Filter{
			tagFilter(providers.TagStack, r.Stack), tagFilter(providers.TagEnvironment, r.Environment), tagFilter(providers.TagAddress, r.Address),
			tagFilter(tagCluster, r.ID),
			{Name: sdk.String("instance-state-name"), Values: []string{"pending", "running", "stopping", "stopped", "shutting-down"}},
		}})
		if err != nil {
			return nil, awsError("delete", r.Address, "members", err)
		}
		var ids []string
		for _, res := range out.Reservations {
			for _, in := range res.Instances {
				ids = append(ids, sdk.ToString(in.InstanceId))
			}
		}
		return ids, nil
	}
	ids, err := live(ctx)
	if err != nil || len(ids) == 0 {
		return err
	}
	if _, err := c.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: ids}); err != nil && !isNotFound(err) {
		return awsError("delete", r.Address, "members", err)
	}
	return k.p.waitFor(ctx, fmt.Sprintf("the members of %s to terminate", r.Address), func(ctx context.Context) (bool, error) {
		out, err := c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: ids})
		if err != nil {
			if isNotFound(err) {
				return true, nil
			}
			return false, awsError("delete", r.Address, "members", err)
		}
		for _, res := range out.Reservations {
			for _, in := range res.Instances {
				if in.State != nil && in.State.Name != ec2types.InstanceStateNameTerminated && in.State.Name != ec2types.InstanceStateNameShuttingDown {
					return false, nil
				}
			}
		}
		return true, nil
	})
}

// value is the actual value of the coordinator s.
func (k *coordinatorKind) value(s *coordState) cty.Value {
	spec := engineSpecs[s.tags[tagEngine]]
	ros := s.roster()
	// The endpoints are those of the roster to be, so that what depends
	// on them is configured with the members the next apply settles, not
	// with a roster an interrupted create never wrote; members counts the
	// roster as it is, so that the plan makes that apply.
	toBe := s.rosterToBe()
	endpoints := make([]string, len(toBe))
	for i, m := range toBe {
		endpoints[i] = m.ip + ":" + strconv.Itoa(spec.ClientPort)
	}
	network := cty.NullVal(cty.String)
	if n := s.tags[tagNetwork]; n != "" {
		network = cty.StringVal(n)
	}
	ami := cty.NullVal(cty.String)
	if s.tags[tagAMISource] == "configured" && s.image != "" {
		ami = cty.StringVal(s.image)
	}
	ty := k.schema.ImpliedType()
	return valObject(ty, map[string]cty.Value{
		"engine":    cty.StringVal(s.tags[tagEngine]),
		"members":   cty.NumberIntVal(int64(len(ros))),
		"network":   network,
		"id":        cty.StringVal(s.name()),
		"endpoints": valStrings(endpoints),
		kinds.SubBlockAWS: valObject(valElemType(ty, kinds.SubBlockAWS), map[string]cty.Value{
			"ami":           ami,
			"instance_type": cty.StringVal(s.instanceType),
		}),
	})
}

// ReadMany reads many coordinators: their groups in batches of names,
// their instances in one call, and each one's launch template.
func (k *coordinatorKind) ReadMany(ctx context.Context, refs []providers.Ref) ([]providers.ReadResult, error) {
	var names []string
	for _, r := range refs {
		if r.ID != "" {
			names = append(names, r.ID)
		}
	}
	what := fmt.Sprintf("%d coordinators", len(refs))
	states, err := k.describeGroups(ctx, aboutList("read", what), names, nil)
	if err != nil {
		return nil, err
	}
	out := make([]providers.ReadResult, len(refs))
	for i, r := range refs {
		out[i] = providers.ReadResult{Actual: k.null()}
		if s := states[r.ID]; r.ID != "" && s != nil {
			out[i] = providers.ReadResult{Actual: k.value(s), Exists: true}
		}
	}
	return out, nil
}

// Discover lists the coordinators whose groups carry stack's and
// environment's tags, ordered by address.
func (k *coordinatorKind) Discover(ctx context.Context, stack, environment string) ([]providers.Discovered, error) {
	what := fmt.Sprintf("coordinators of stack %q environment %q", stack, environment)
	states, err := k.describeGroups(ctx, aboutList("discover", what), nil, []astypes.Filter{
		{Name: sdk.String("tag:" + providers.TagStack), Values: []string{stack}},
		{Name: sdk.String("tag:" + providers.TagEnvironment), Values: []string{environment}},
	})
	if err != nil {
		return nil, err
	}
	var out []providers.Discovered
	for _, s := range states {
		if s.tags[tagEngine] == "" || s.tags[providers.TagAddress] == "" {
			continue // another kind's group
		}
		out = append(out, providers.Discovered{
			Ref: providers.Ref{
				Address: s.tags[providers.TagAddress], Kind: kinds.Coordinator, ID: s.name(),
				Stack: stack, Environment: environment,
			},
			Actual: k.value(s),
		})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Ref.Address != out[j].Ref.Address {
			return out[i].Ref.Address < out[j].Ref.Address
		}
		return out[i].Ref.ID < out[j].Ref.ID
	})
	return out, nil
}
