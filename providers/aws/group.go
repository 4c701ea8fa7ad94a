package aws

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	sdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/zclconf/go-cty/cty"

	"github.com/stagecraft/stagecraft/providers"
	"github.com/stagecraft/stagecraft/providers/kinds"
)

// groupKind maps an autoscaling_group onto an Auto Scaling group named
// "sc-" + a token + the address's short name (the id is that name) and a
// launch template. The token fingerprints the owner, the
// address and the network, so a create finds what a crashed create left
// (the name is checked before every create: an emulator silently replaces
// a group of the same name), and a replacement in another network gets a
// name of its own.
//
//   - A launch template, named after the group and a hash of its data,
//     holds the aws block (ami, instance_type) and the user data (see
//     group_userdata.go: port and env, then the user's script). A change
//     makes a new template and rolls the instances (group_roll.go); the
//     old template goes after the roll.
//   - min, max and desired are the group's; desired left out starts at min
//     and is then left to the scaling policy (group_scaling.go), or kept
//     within the new bounds when there is none.
//   - Tags hold what AWS keeps nowhere else: the port and health check
//     (which load balancers give their target groups), the scaling block as
//     written, and the network's address.
//
// Load balancers own the target groups; whichever of the two is created
// or updated second attaches the group to them (see
// load_balancer_targets.go).
type groupKind struct{ *kindBase }

var (
	_ providers.BatchReader = (*groupKind)(nil)
	_ providers.Discoverer  = (*groupKind)(nil)
)

// Tags of a group besides the owner tags.
const (
	tagPort        = "stagecraft:port"
	tagHealthCheck = "stagecraft:health-check"
	tagScaling     = "stagecraft:scaling"
	tagRollout     = "stagecraft:rollout"
)

// groupHealthGrace is how long a new instance has before failing health
// checks gets it replaced.
const groupHealthGrace = 120

// healthCheck is a group's health_check block, as written.
type healthCheck struct {
	Path      string `json:"path"`
	Interval  string `json:"interval"`
	Timeout   string `json:"timeout"`
	Healthy   int32  `json:"healthy_threshold"`
	Unhealthy int32  `json:"unhealthy_threshold"`
}

// groupConfig is a group's desired value, decoded.
type groupConfig struct {
	min, max     int32
	desired      *int32
	port         int32
	env          map[string]string
	network      string
	health       healthCheck
	scaling      *scalingSpec
	rollout      rollout
	ami          string
	instanceType string
	userData     *string
}

func (k *groupKind) decode(op string, r providers.Ref, desired cty.Value) (groupConfig, error) {
	desired, err := k.checkDesired(op, r, desired)
	if err != nil {
		return groupConfig{}, err
	}
	c := cval{desired}
	num := func(cv cval, name string, def int64) int32 {
		if n, ok := cv.num(name); ok {
			return int32(n)
		}
		return int32(def)
	}
	cfg := groupConfig{
		min:     num(c, "min", 1),
		max:     num(c, "max", 1),
		port:    num(c, "port", 8080),
		env:     c.strMap("env"),
		network: c.str("network"),
	}
	if d, ok := c.num("desired"); ok {
		n := int32(d)
		cfg.desired = &n
	}
	hc := c.sub("health_check")
	cfg.health = healthCheck{Path: hc.str("path"), Interval: hc.str("interval"), Timeout: hc.str("timeout"),
		Healthy: num(hc, "healthy_threshold", 2), Unhealthy: num(hc, "unhealthy_threshold", 3)}
	for name, def := range map[*string]string{&cfg.health.Path: "/healthz", &cfg.health.Interval: "5s", &cfg.health.Timeout: "2s"} {
		if *name == "" {
			*name = def
		}
	}
	if sc := c.sub("scaling"); !sc.isNull() {
		spec := &scalingSpec{Cooldown: sc.str("cooldown")}
		if spec.Cooldown == "" {
			spec.Cooldown = "60s"
		}
		if f, ok := sc.float("target_cpu"); ok {
			spec.TargetCPU = &f
		}
		if f, ok := sc.float("target_requests_per_instance"); ok {
			spec.TargetRequests = &f
		}
		cfg.scaling = spec
	}
	ro := c.sub("rollout")
	cfg.rollout = rollout{Surge: num(ro, "max_surge", 1), Unavailable: num(ro, "max_unavailable", 0)}
	aws := c.sub(kinds.SubBlockAWS)
	cfg.ami, cfg.instanceType, cfg.userData = aws.str("ami"), aws.str("instance_type"), aws.optStr("user_data")
	if cfg.instanceType == "" {
		cfg.instanceType = "t3.micro"
	}
	for attr, s := range map[string]string{"health_check.interval": cfg.health.Interval, "health_check.timeout": cfg.health.Timeout} {
		if _, err := wholeSeconds(s); err != nil {
			return cfg, r.AttrErrorf(op, attr, "%q is not a duration", s)
		}
	}
	for _, tag := range []struct{ key, value string }{{tagHealthCheck, cfg.health.tag()}, {tagScaling, cfg.scaling.tag()}} {
		if len(tag.value) > 256 {
			return cfg, r.Errorf(op, "the %s settings take %d characters as a tag, more than the 256 AWS allows; shorten the health check path", strings.TrimPrefix(tag.key, "stagecraft:"), len(tag.value))
		}
	}
	ud, err := buildUserData(instanceConfig{Address: r.Address, Port: cfg.port, Env: cfg.env}, cfg.userData)
	if err != nil {
		return cfg, r.AttrErrorf(op, "aws.user_data", "%w", err)
	}
	if len(ud) > userDataLimit {
		return cfg, r.AttrErrorf(op, "env, aws.user_data", "the user data with the environment takes %d bytes, more than the %d AWS allows", len(ud), userDataLimit)
	}
	return cfg, nil
}

func (hc healthCheck) tag() string {
	b, _ := json.Marshal(hc)
	return string(b)
}

// name is the launch template's and Auto Scaling group's name for a
// create of r: the next generation's when r replaces a group of the same
// network (see createToken).
func (k *groupKind) name(ctx context.Context, r providers.Ref, cfg groupConfig) (string, error) {
	return createName(r, resourceToken(r, cfg.network), 64, func(name string) (string, error) {
		g, err := k.describeGroup(ctx, name)
		if err != nil || g == nil {
			return "", err
		}
		return name, nil
	})
}

// asgTags returns a group's tags as a map.
func asgTags(g astypes.AutoScalingGroup) map[string]string {
	out := map[string]string{}
	for _, t := range g.Tags {
		out[sdk.ToString(t.Key)] = sdk.ToString(t.Value)
	}
	return out
}

// groupTags are the tags a group should carry: the owner and default tags
// (given to its instances too) and the settings tags.
func (k *groupKind) groupTags(r providers.Ref, name string, cfg groupConfig) []astypes.Tag {
	owner := k.tags(r)
	if _, ok := owner["Name"]; !ok {
		owner["Name"] = r.Address
	}
	settings := map[string]string{
		tagToken:       resourceToken(r, cfg.network),
		tagPort:        strconv.Itoa(int(cfg.port)),
		tagHealthCheck: cfg.health.tag(),
		tagRollout:     cfg.rollout.tag(),
	}
	if cfg.network != "" {
		settings[tagNetwork] = cfg.network
	}
	if cfg.scaling != nil {
		settings[tagScaling] = cfg.scaling.tag()
	}
	var out []astypes.Tag
	for _, key := range sortedTagKeys(owner) {
		out = append(out, astypes.Tag{Key: sdk.String(key), Value: sdk.String(owner[key]), PropagateAtLaunch: sdk.Bool(true),
			ResourceId: sdk.String(name), ResourceType: sdk.String("auto-scaling-group")})
	}
	for _, key := range sortedTagKeys(settings) {
		out = append(out, astypes.Tag{Key: sdk.String(key), Value: sdk.String(settings[key]), PropagateAtLaunch: sdk.Bool(false),
			ResourceId: sdk.String(name), ResourceType: sdk.String("auto-scaling-group")})
	}
	return out
}

// describeGroup returns the Auto Scaling group called name, or nil. A
// group being deleted counts as gone.
func (k *kindBase) describeGroup(ctx context.Context, name string) (*astypes.AutoScalingGroup, error) {
	out, err := k.p.clients.autoscaling.DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{name}})
	if err != nil {
		return nil, err
	}
	for i := range out.AutoScalingGroups {
		g := &out.AutoScalingGroups[i]
		if sdk.ToString(g.AutoScalingGroupName) == name && sdk.ToString(g.Status) == "" {
			return g, nil
		}
	}
	return nil, nil
}

func (k *groupKind) Create(ctx context.Context, r providers.Ref, desired cty.Value) (cty.Value, error) {
	cfg, err := k.decode("create", r, desired)
	if err != nil {
		return cty.NilVal, err
	}
	name, err := k.name(ctx, r, cfg)
	if err != nil {
		return cty.NilVal, awsError("create", r.Address, "", err)
	}
	existing, err := k.describeGroup(ctx, name)
	if err != nil {
		return cty.NilVal, awsError("create", r.Address, "", err)
	}
	if existing != nil && !ownerTagsMatch(asgTags(*existing), r) {
		t := asgTags(*existing)
		return cty.NilVal, r.Errorf("create", "an Auto Scaling group named %s already exists and belongs to %s (%s/%s); Stagecraft does not take it over", name, t[providers.TagAddress], t[providers.TagStack], t[providers.TagEnvironment])
	}
	// existing != nil: an earlier create crashed before its result was
	// recorded; this one completes it.
	return k.apply(ctx, "create", r, name, existing, cfg)
}

func (k *groupKind) Update(ctx context.Context, r providers.Ref, prior, desired cty.Value) (cty.Value, error) {
	cfg, err := k.decode("update", r, desired)
	if err != nil {
		return cty.NilVal, err
	}
	existing, err := k.describeGroup(ctx, r.ID)
	if err != nil {
		return cty.NilVal, awsError("update", r.Address, "", err)
	}
	if existing == nil {
		return cty.NilVal, r.Errorf("update", "the Auto Scaling group %s no longer exists; plan again to create it", r.ID)
	}
	if tags := asgTags(*existing); tags[tagNetwork] != cfg.network {
		return cty.NilVal, r.AttrErrorf("update", "network", "the group runs in %q and cannot move to %q in place; it needs a replacement", tags[tagNetwork], cfg.network)
	}
	return k.apply(ctx, "update", r, r.ID, existing, cfg)
}

// apply makes the group called name match cfg: the launch template, the
// group itself (created when asg is nil), its tags and scaling policy; it
// rolls the instances when the template changed, re-syncs the load
// balancers routing to the group when its port or health check changed,
// and waits until the desired number of instances is in service.
func (k *groupKind) apply(ctx context.Context, op string, r providers.Ref, name string, asg *astypes.AutoScalingGroup, cfg groupConfig) (cty.Value, error) {
	ac := k.p.clients.autoscaling
	net, err := k.lookupNetwork(ctx, r, cfg.network)
	if err != nil {
		return cty.NilVal, r.Errorf(op, "%w", err)
	}
	sg, err := k.instanceSecurityGroup(ctx, r, net)
	if err != nil {
		return cty.NilVal, r.Errorf(op, "%w", err)
	}
	current := ""
	if asg != nil && asg.LaunchTemplate != nil {
		current = sdk.ToString(asg.LaunchTemplate.LaunchTemplateId)
	}
	ltID, err := k.ensureTemplate(ctx, op, r, name, cfg, sg)
	if err != nil {
		return cty.NilVal, err
	}
	lt := &astypes.LaunchTemplateSpecification{LaunchTemplateId: sdk.String(ltID), Version: sdk.String("1")}
	var cooldown *int32
	if cfg.scaling != nil {
		n, _ := wholeSeconds(cfg.scaling.Cooldown)
		cooldown = &n
	}
	reroute := false
	var before map[string]bool // instances running before a template change
	if asg == nil {
		desired := cfg.min
		if cfg.desired != nil {
			desired = *cfg.desired
		}
		_, err := ac.CreateAutoScalingGroup(ctx, &autoscaling.CreateAutoScalingGroupInput{
			AutoScalingGroupName:   sdk.String(name),
			LaunchTemplate:         lt,
			MinSize:                sdk.Int32(cfg.min),
			MaxSize:                sdk.Int32(cfg.max),
			DesiredCapacity:        sdk.Int32(desired),
			DefaultCooldown:        cooldown,
			VPCZoneIdentifier:      sdk.String(strings.Join(net.PrivateSubnets, ",")),
			HealthCheckType:        sdk.String("ELB"),
			HealthCheckGracePeriod: sdk.Int32(groupHealthGrace),
			Tags:                   k.groupTags(r, name, cfg),
		})
		if err != nil && errorCode(err) != "AlreadyExists" {
			return cty.NilVal, awsError(op, r.Address, groupErrorAttr(err, ""), err)
		}
		reroute = true
	} else {
		oldTags := asgTags(*asg)
		reroute = oldTags[tagPort] != strconv.Itoa(int(cfg.port)) || oldTags[tagHealthCheck] != cfg.health.tag()
		if ltID != current {
			before = map[string]bool{}
			for _, in := range asg.Instances {
				before[sdk.ToString(in.InstanceId)] = true
			}
		}
		in := &autoscaling.UpdateAutoScalingGroupInput{
			AutoScalingGroupName: sdk.String(name),
			LaunchTemplate:       lt,
			MinSize:              sdk.Int32(cfg.min),
			MaxSize:              sdk.Int32(cfg.max),
			DefaultCooldown:      cooldown,
		}
		switch {
		case cfg.desired != nil:
			in.DesiredCapacity = cfg.desired
		case cfg.scaling != nil:
			// The scaling policy owns desired; AWS moves it into the new
			// bounds by itself.
		default:
			d := min(max(sdk.ToInt32(asg.DesiredCapacity), cfg.min), cfg.max)
			in.DesiredCapacity = &d
		}
		if _, err := ac.UpdateAutoScalingGroup(ctx, in); err != nil {
			return cty.NilVal, awsError(op, r.Address, groupErrorAttr(err, ""), err)
		}
		if err := k.syncTags(ctx, op, r, name, oldTags, cfg); err != nil {
			return cty.NilVal, err
		}
	}
	if err := k.ensureScalingPolicy(ctx, r.Address, name, cfg.scaling); err != nil {
		return cty.NilVal, err
	}
	if asg != nil {
		// Also after a crashed update: instances of another template are
		// rolled even when this update changed nothing.
		if err := k.roll(ctx, r, name, ltID, before, cfg.rollout); err != nil {
			return cty.NilVal, r.Errorf(op, "%w", err)
		}
	}
	if err := k.pruneTemplates(ctx, op, r, name, ltID); err != nil {
		return cty.NilVal, err
	}
	if reroute {
		if err := k.refreshRoutesTo(ctx, r); err != nil {
			return cty.NilVal, r.Errorf(op, "%w", err)
		}
	}
	if err := k.waitInService(ctx, r, name); err != nil {
		return cty.NilVal, r.Errorf(op, "%w", err)
	}
	r.ID = name
	v, exists, err := k.Read(ctx, r)
	if err == nil && !exists {
		err = r.Errorf(op, "the Auto Scaling group %s vanished right after it was made", name)
	}
	return v, err
}

// syncTags brings the group's settings tags up to date and drops the ones
// no longer set.
func (k *groupKind) syncTags(ctx context.Context, op string, r providers.Ref, name string, old map[string]string, cfg groupConfig) error {
	ac := k.p.clients.autoscaling
	want := k.groupTags(r, name, cfg)
	var changed []astypes.Tag
	keep := map[string]bool{}
	for _, t := range want {
		keep[sdk.ToString(t.Key)] = true
		if v, ok := old[sdk.ToString(t.Key)]; !ok || v != sdk.ToString(t.Value) {
			changed = append(changed, t)
		}
	}
	if len(changed) > 0 {
		if _, err := ac.CreateOrUpdateTags(ctx, &autoscaling.CreateOrUpdateTagsInput{Tags: changed}); err != nil {
			return awsError(op, r.Address, "tags", err)
		}
	}
	var gone []astypes.Tag
	for key := range old {
		if strings.HasPrefix(key, "stagecraft:") && !keep[key] {
			gone = append(gone, astypes.Tag{Key: sdk.String(key), ResourceId: sdk.String(name), ResourceType: sdk.String("auto-scaling-group")})
		}
	}
	if len(gone) > 0 {
		if _, err := ac.DeleteTags(ctx, &autoscaling.DeleteTagsInput{Tags: gone}); err != nil {
			return awsError(op, r.Address, "tags", err)
		}
	}
	return nil
}

// instanceSecurityGroup is the security group of the group's instances:
// the network's app tier, or the VPC's default group outside a network
// resource (whose members reach one another, load balancers included).
func (k *kindBase) instanceSecurityGroup(ctx context.Context, r providers.Ref, net *netInfo) (string, error) {
	if net.AppGroup != "" {
		return net.AppGroup, nil
	}
	return k.defaultSecurityGroup(ctx, r, net.VPCID)
}

// defaultSecurityGroup returns the VPC's group named "default".
func (k *kindBase) defaultSecurityGroup(ctx context.Context, r providers.Ref, vpcID string) (string, error) {
	out, err := k.p.clients.ec2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: []ec2types.Filter{
		{Name: sdk.String("vpc-id"), Values: []string{vpcID}}, {Name: sdk.String("group-name"), Values: []string{"default"}},
	}})
	if err != nil {
		return "", awsError("find the default security group for", r.Address, "", err)
	}
	if len(out.SecurityGroups) == 0 {
		return "", fmt.Errorf("VPC %s has no default security group", vpcID)
	}
	return sdk.ToString(out.SecurityGroups[0].GroupId), nil
}

// templateData is what the group's launch template should hold.
func (k *groupKind) templateData(r providers.Ref, cfg groupConfig, sg string) (*ec2types.RequestLaunchTemplateData, error) {
	ud, err := buildUserData(instanceConfig{Address: r.Address, Port: cfg.port, Env: cfg.env}, cfg.userData)
	if err != nil {
		return nil, err
	}
	return &ec2types.RequestLaunchTemplateData{
		ImageId:          sdk.String(cfg.ami),
		InstanceType:     ec2types.InstanceType(cfg.instanceType),
		UserData:         sdk.String(base64.StdEncoding.EncodeToString(ud)),
		SecurityGroupIds: []string{sg},
		MetadataOptions:  &ec2types.LaunchTemplateInstanceMetadataOptionsRequest{HttpTokens: ec2types.LaunchTemplateHttpTokensStateRequired},
	}, nil
}

// sameTemplate reports whether a template version already holds data.
func sameTemplate(have *ec2types.ResponseLaunchTemplateData, want *ec2types.RequestLaunchTemplateData) bool {
	if have == nil {
		return false
	}
	a, b := slices.Clone(have.SecurityGroupIds), slices.Clone(want.SecurityGroupIds)
	sort.Strings(a)
	sort.Strings(b)
	return sdk.ToString(have.ImageId) == sdk.ToString(want.ImageId) &&
		string(have.InstanceType) == string(want.InstanceType) &&
		sdk.ToString(have.UserData) == sdk.ToString(want.UserData) &&
		slices.Equal(a, b)
}

// ensureTemplate returns the id of the launch template holding cfg: the
// group's name plus a hash of the template's data. A change of
// configuration is a new template (version 1) rather than a new version of
// one template: moto cannot launch from a version made by
// CreateLaunchTemplateVersion when it holds user data, and a template per
// configuration makes "which instances are current" a question of the
// template id, and a crashed update's template one to find again.
func (k *groupKind) ensureTemplate(ctx context.Context, op string, r providers.Ref, name string, cfg groupConfig, sg string) (string, error) {
	c := k.p.clients.ec2
	data, err := k.templateData(r, cfg, sg)
	if err != nil {
		return "", r.AttrErrorf(op, "aws.user_data", "%w", err)
	}
	ltName := name + "-" + templateHash(data)
	found, err := c.DescribeLaunchTemplates(ctx, &ec2.DescribeLaunchTemplatesInput{Filters: []ec2types.Filter{{Name: sdk.String("launch-template-name"), Values: []string{ltName}}}})
	if err != nil {
		return "", awsError(op, r.Address, "launch template", err)
	}
	if len(found.LaunchTemplates) > 0 {
		return sdk.ToString(found.LaunchTemplates[0].LaunchTemplateId), nil
	}
	tags := k.tags(r)
	tags[tagToken] = resourceToken(r, cfg.network)
	out, err := c.CreateLaunchTemplate(ctx, &ec2.CreateLaunchTemplateInput{
		LaunchTemplateName: sdk.String(ltName),
		LaunchTemplateData: data,
		VersionDescription: sdk.String("Stagecraft " + op + " of " + r.Address),
		TagSpecifications:  []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeLaunchTemplate, Tags: ec2Tags(tags)}},
	})
	if err != nil {
		return "", awsError(op, r.Address, "aws", err)
	}
	return sdk.ToString(out.LaunchTemplate.LaunchTemplateId), nil
}

// templateHash fingerprints what a launch template holds.
func templateHash(d *ec2types.RequestLaunchTemplateData) string {
	sgs := slices.Clone(d.SecurityGroupIds)
	sort.Strings(sgs)
	return hashToken(sdk.ToString(d.ImageId), string(d.InstanceType), sdk.ToString(d.UserData), strings.Join(sgs, ","),
		string(d.MetadataOptions.HttpTokens))
}

// pruneTemplates deletes the group's launch templates other than keep
// (every one when keep is empty): those of earlier configurations.
func (k *kindBase) pruneTemplates(ctx context.Context, op string, r providers.Ref, group, keep string) error {
	c := k.p.clients.ec2
	found, err := c.DescribeLaunchTemplates(ctx, &ec2.DescribeLaunchTemplatesInput{Filters: []ec2types.Filter{
		tagFilter(providers.TagStack, r.Stack), tagFilter(providers.TagEnvironment, r.Environment), tagFilter(providers.TagAddress, r.Address),
	}})
	if err != nil {
		return awsError(op, r.Address, "launch templates", err)
	}
	for _, lt := range found.LaunchTemplates {
		id := sdk.ToString(lt.LaunchTemplateId)
		if id == keep || !strings.HasPrefix(sdk.ToString(lt.LaunchTemplateName), group+"-") {
			continue
		}
		if _, err := c.DeleteLaunchTemplate(ctx, &ec2.DeleteLaunchTemplateInput{LaunchTemplateId: sdk.String(id)}); err != nil && !isNotFound(err) {
			return awsError(op, r.Address, "launch template "+sdk.ToString(lt.LaunchTemplateName), err)
		}
	}
	return nil
}

// waitInService waits until the group runs its desired number of
// instances in service.
func (k *groupKind) waitInService(ctx context.Context, r providers.Ref, name string) error {
	var want, have int32
	return k.p.waitFor(ctx, fmt.Sprintf("%s to have its instances in service", r.Address), func(ctx context.Context) (bool, error) {
		g, err := k.describeGroup(ctx, name)
		if err != nil {
			return false, awsError("wait for", r.Address, "", err)
		}
		if g == nil {
			return false, fmt.Errorf("the Auto Scaling group %s vanished", name)
		}
		want, have = sdk.ToInt32(g.DesiredCapacity), 0
		for _, in := range g.Instances {
			if in.LifecycleState == astypes.LifecycleStateInService {
				have++
			}
		}
		return have >= want, nil
	})
}

func (k *groupKind) Read(ctx context.Context, r providers.Ref) (cty.Value, bool, error) {
	res, err := k.ReadMany(ctx, []providers.Ref{r})
	if err != nil {
		return cty.NilVal, false, err
	}
	return res[0].Actual, res[0].Exists, res[0].Err
}

// ReadMany reads groups 50 to a call, and their scaling policies in one
// call per 50; launch template versions take one call per group.
func (k *groupKind) ReadMany(ctx context.Context, refs []providers.Ref) ([]providers.ReadResult, error) {
	out := make([]providers.ReadResult, len(refs))
	var names []string
	for i, r := range refs {
		out[i] = providers.ReadResult{Actual: cty.NullVal(k.schema.ImpliedType())}
		if r.ID != "" {
			names = append(names, r.ID)
		}
	}
	if len(names) == 0 {
		return out, nil
	}
	var groups []astypes.AutoScalingGroup
	for chunk := range slices.Chunk(names, 50) {
		for p := autoscaling.NewDescribeAutoScalingGroupsPaginator(k.p.clients.autoscaling, &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: chunk}); p.HasMorePages(); {
			page, err := p.NextPage(ctx)
			if err != nil {
				return nil, awsError("read", refs[0].Address, "", err)
			}
			groups = append(groups, page.AutoScalingGroups...)
		}
	}
	vals, err := k.values(ctx, refs[0].Address, groups)
	if err != nil {
		return nil, err
	}
	for i, r := range refs {
		if v, ok := vals[r.ID]; ok {
			out[i].Actual, out[i].Exists = v, true
		}
	}
	return out, nil
}

// values builds the actual value of each group (by name), skipping groups
// being deleted.
func (k *groupKind) values(ctx context.Context, addr string, groups []astypes.AutoScalingGroup) (map[string]cty.Value, error) {
	live := groups[:0:0]
	for _, g := range groups {
		if sdk.ToString(g.Status) == "" {
			live = append(live, g)
		}
	}
	policies, err := k.scalingPolicies(ctx, addr, live)
	if err != nil {
		return nil, err
	}
	out := map[string]cty.Value{}
	for _, g := range live {
		name := sdk.ToString(g.AutoScalingGroupName)
		var data *ec2types.ResponseLaunchTemplateData
		if g.LaunchTemplate != nil {
			vs, err := k.p.clients.ec2.DescribeLaunchTemplateVersions(ctx, &ec2.DescribeLaunchTemplateVersionsInput{
				LaunchTemplateId: g.LaunchTemplate.LaunchTemplateId, Versions: []string{sdk.ToString(g.LaunchTemplate.Version)},
			})
			if err != nil && !isNotFound(err) {
				return nil, awsError("read", addr, "launch template", err)
			}
			if err == nil && len(vs.LaunchTemplateVersions) > 0 {
				data = vs.LaunchTemplateVersions[0].LaunchTemplateData
			}
		}
		out[name] = k.value(g, data, policies[name])
	}
	return out, nil
}

// value is the actual value of one group.
func (k *groupKind) value(g astypes.AutoScalingGroup, data *ec2types.ResponseLaunchTemplateData, policy *astypes.ScalingPolicy) cty.Value {
	ty := k.schema.ImpliedType()
	tags := asgTags(g)
	attrs := map[string]cty.Value{
		"id":      cty.StringVal(sdk.ToString(g.AutoScalingGroupName)),
		"min":     cty.NumberIntVal(int64(sdk.ToInt32(g.MinSize))),
		"max":     cty.NumberIntVal(int64(sdk.ToInt32(g.MaxSize))),
		"desired": cty.NumberIntVal(int64(sdk.ToInt32(g.DesiredCapacity))),
		"env":     cty.MapValEmpty(cty.String),
	}
	if n := tags[tagNetwork]; n != "" {
		attrs["network"] = cty.StringVal(n)
	}
	if p, err := strconv.Atoi(tags[tagPort]); err == nil {
		attrs["port"] = cty.NumberIntVal(int64(p))
	}
	var hc healthCheck
	if json.Unmarshal([]byte(tags[tagHealthCheck]), &hc) == nil && hc.Path != "" {
		attrs["health_check"] = valObject(ty.AttributeType("health_check"), map[string]cty.Value{
			"path": cty.StringVal(hc.Path), "interval": cty.StringVal(hc.Interval), "timeout": cty.StringVal(hc.Timeout),
			"healthy_threshold": cty.NumberIntVal(int64(hc.Healthy)), "unhealthy_threshold": cty.NumberIntVal(int64(hc.Unhealthy)),
		})
	}
	ro := parseRolloutTag(tags[tagRollout])
	attrs["rollout"] = valObject(ty.AttributeType("rollout"), map[string]cty.Value{
		"max_surge": cty.NumberIntVal(int64(ro.Surge)), "max_unavailable": cty.NumberIntVal(int64(ro.Unavailable)),
	})
	if sc := reportedScaling(parseScalingTag(tags[tagScaling]), policy, sdk.ToInt32(g.DefaultCooldown)); sc != nil {
		sa := map[string]cty.Value{"cooldown": cty.StringVal(sc.Cooldown)}
		if sc.TargetCPU != nil {
			sa["target_cpu"] = cty.NumberFloatVal(*sc.TargetCPU)
		}
		if sc.TargetRequests != nil {
			sa["target_requests_per_instance"] = cty.NumberFloatVal(*sc.TargetRequests)
		}
		attrs["scaling"] = valObject(ty.AttributeType("scaling"), sa)
	}
	if data != nil {
		aws := map[string]cty.Value{
			"ami":           cty.StringVal(sdk.ToString(data.ImageId)),
			"instance_type": cty.StringVal(string(data.InstanceType)),
		}
		if raw, err := base64.StdEncoding.DecodeString(sdk.ToString(data.UserData)); err == nil {
			if ic, ud, err := parseUserData(raw); err == nil {
				// What the instances are given wins over the tag.
				attrs["port"] = cty.NumberIntVal(int64(ic.Port))
				attrs["env"] = valStringMap(ic.Env)
				if ud != nil {
					aws["user_data"] = cty.StringVal(*ud)
				}
			}
		}
		attrs[kinds.SubBlockAWS] = valObject(ty.AttributeType(kinds.SubBlockAWS), aws)
	}
	return valObject(ty, attrs)
}

// Discover lists the groups carrying the stack's tags, leaving out the
// groups of coordinators.
func (k *groupKind) Discover(ctx context.Context, stack, environment string) ([]providers.Discovered, error) {
	groups, err := k.groupsTagged(ctx, stack, environment, "")
	if err != nil {
		return nil, listError("discover", "the autoscaling groups of "+stack+"/"+environment, "", err)
	}
	if len(groups) == 0 {
		return nil, nil
	}
	vals, err := k.values(ctx, "the autoscaling groups of "+stack+"/"+environment, groups)
	if err != nil {
		return nil, err
	}
	var out []providers.Discovered
	for _, g := range groups {
		name := sdk.ToString(g.AutoScalingGroupName)
		v, ok := vals[name]
		tags := asgTags(g)
		addr := tags[providers.TagAddress]
		if !ok || addr == "" || tags[tagEngine] != "" {
			continue // a coordinator's group is the coordinator's
		}
		out = append(out, providers.Discovered{
			Ref:    providers.Ref{Address: addr, Kind: kinds.AutoscalingGroup, ID: name, Stack: stack, Environment: environment},
			Actual: v,
		})
	}
	return out, nil
}

// groupsTagged lists the Auto Scaling groups of a stack's environment,
// only those of one address when address is set.
func (k *kindBase) groupsTagged(ctx context.Context, stack, environment, address string) ([]astypes.AutoScalingGroup, error) {
	filters := []astypes.Filter{
		{Name: sdk.String("tag:" + providers.TagStack), Values: []string{stack}},
		{Name: sdk.String("tag:" + providers.TagEnvironment), Values: []string{environment}},
	}
	if address != "" {
		filters = append(filters, astypes.Filter{Name: sdk.String("tag:" + providers.TagAddress), Values: []string{address}})
	}
	var out []astypes.AutoScalingGroup
	for p := autoscaling.NewDescribeAutoScalingGroupsPaginator(k.p.clients.autoscaling, &autoscaling.DescribeAutoScalingGroupsInput{Filters: filters}); p.HasMorePages(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, g := range page.AutoScalingGroups {
			if sdk.ToString(g.Status) == "" && g.LaunchTemplate != nil {
				out = append(out, g)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		return sdk.ToString(out[i].AutoScalingGroupName) < sdk.ToString(out[j].AutoScalingGroupName)
	})
	return out, nil
}

// Delete force-deletes the Auto Scaling group (its instances with it),
// waits until it is gone, and deletes the launch template. Whatever is
// already gone counts as deleted.
func (k *groupKind) Delete(ctx context.Context, r providers.Ref, prior cty.Value) error {
	if r.ID == "" {
		return nil
	}
	ac := k.p.clients.autoscaling
	g, err := k.describeGroup(ctx, r.ID)
	if err != nil {
		return awsError("delete", r.Address, "", err)
	}
	if g != nil {
		_, err := ac.DeleteAutoScalingGroup(ctx, &autoscaling.DeleteAutoScalingGroupInput{AutoScalingGroupName: sdk.String(r.ID), ForceDelete: sdk.Bool(true)})
		if err != nil && !isNotFound(err) && !stillInUse(err) {
			return awsError("delete", r.Address, "", err)
		}
	}
	err = k.p.waitFor(ctx, fmt.Sprintf("%s (Auto Scaling group %s) to finish deleting", r.Address, r.ID), func(ctx context.Context) (bool, error) {
		out, err := ac.DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{r.ID}})
		if err != nil {
			return false, awsError("delete", r.Address, "", err)
		}
		return len(out.AutoScalingGroups) == 0, nil
	})
	if err != nil {
		return r.Errorf("delete", "%w", err)
	}
	return k.pruneTemplates(ctx, "delete", r, r.ID, "")
}
