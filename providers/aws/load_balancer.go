package aws

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	sdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi"
	tagtypes "github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi/types"
	"github.com/zclconf/go-cty/cty"

	"github.com/stagecraft/stagecraft/providers"
	"github.com/stagecraft/stagecraft/providers/kinds"
	"github.com/stagecraft/stagecraft/providers/schema"
)

// loadBalancerKind maps a load_balancer onto an application load balancer
// (type http) or a network load balancer (type tcp), internet-facing in
// the public subnets (one per zone), whose id is its ARN and whose name is
// "sc-" + a token + the address's short name (32 characters at most; the
// token fingerprints owner, address, type and network, so a create finds
// what a crashed create left and a replacement gets a name of its own).
//
//   - Security: the load balancer has a security group of its own, open
//     on its listener ports, and joins the network's "lb" tier group (or
//     the VPC's default group outside a network resource), which is what
//     the instances let in.
//   - Listeners: one per listener block (HTTP or TCP); every listener
//     routes the same way.
//   - Routes: one target group per routed autoscaling_group
//     (load_balancer_targets.go), carrying the group's port and health
//     check. The "/" route is the listener's default action (a 404 when
//     no route has it); every other path prefix P is a rule matching
//     "P*", prioritised by prefix length (load_balancer_routes.go). Routes
//     sharing a path are one forward action with weighted target groups.
//   - Tags hold the listener ports and the routes as written; Read reports
//     them as written while they still say what the listeners and rules
//     do, and what AWS holds otherwise.
type loadBalancerKind struct{ *kindBase }

var (
	_ providers.BatchReader = (*loadBalancerKind)(nil)
	_ providers.Discoverer  = (*loadBalancerKind)(nil)
)

// Tags of a load balancer besides the owner tags: the listener ports in
// the configured order, and route N as a JSON array [path, weight, target].
const (
	tagListeners   = "stagecraft:listeners"
	tagRoutePrefix = "stagecraft:route:"
	// maxRoutes keeps the tags within the 50 a load balancer may carry.
	maxRoutes = 40
	// maxPatternLength is the longest path pattern AWS accepts.
	maxPatternLength = 128
)

// lbRoute is one route block as written.
type lbRoute struct {
	Path   string
	Weight *int64
	Target string
}

// lbConfig is a load balancer's desired value, decoded.
type lbConfig struct {
	typ     string
	network string
	ports   []int32
	routes  []lbRoute
}

func (k *loadBalancerKind) decode(op string, r providers.Ref, desired cty.Value) (lbConfig, error) {
	desired, err := k.checkDesired(op, r, desired)
	if err != nil {
		return lbConfig{}, err
	}
	c := cval{desired}
	cfg := lbConfig{typ: c.str("type"), network: c.str("network")}
	if cfg.typ == "" {
		cfg.typ = "http"
	}
	// Ports left out are picked: 80, then 8080 and up, skipping the ones
	// given.
	given := map[int32]bool{}
	listeners := c.list("listener")
	for i, l := range listeners {
		if p, ok := l.num("port"); ok {
			if given[int32(p)] {
				return cfg, r.AttrErrorf(op, fmt.Sprintf("listener[%d].port", i), "port %d is given twice", p)
			}
			given[int32(p)] = true
		}
	}
	next := int32(8080)
	for _, l := range listeners {
		p, ok := l.num("port")
		switch {
		case ok:
		case !given[80]:
			p = 80
		default:
			for given[next] {
				next++
			}
			p = int64(next)
		}
		given[int32(p)] = true
		cfg.ports = append(cfg.ports, int32(p))
	}
	routes := c.list("route")
	if len(routes) > maxRoutes {
		return cfg, r.AttrErrorf(op, "route", "%d routes; a load balancer takes at most %d", len(routes), maxRoutes)
	}
	for i, rt := range routes {
		route := lbRoute{Path: rt.str("path"), Target: rt.str("target")}
		if route.Path == "" {
			route.Path = "/"
		}
		if w, ok := rt.num("weight"); ok {
			route.Weight = &w
		}
		if n := len(schema.NormalizeRoutePath(route.Path)) + 1; n > maxPatternLength {
			return cfg, r.AttrErrorf(op, fmt.Sprintf("route[%d].path", i), "the path is %d characters long; AWS matches paths of at most %d", n-1, maxPatternLength-1)
		}
		if tag := route.tag(); len(tag) > 256 {
			return cfg, r.AttrErrorf(op, fmt.Sprintf("route[%d]", i), "the route takes %d characters as a tag, more than the 256 AWS allows; shorten its path", len(tag))
		}
		cfg.routes = append(cfg.routes, route)
	}
	return cfg, nil
}

// token fingerprints the load balancer's force-new settings.
func (cfg lbConfig) token(r providers.Ref) string {
	return resourceToken(r, cfg.typ, cfg.network)
}

// tag renders a route for its tag.
func (rt lbRoute) tag() string {
	b, _ := json.Marshal([]any{rt.Path, rt.Weight, rt.Target})
	return string(b)
}

// parseRouteTag reads a route tag back.
func parseRouteTag(s string) (lbRoute, bool) {
	var parts []any
	if json.Unmarshal([]byte(s), &parts) != nil || len(parts) != 3 {
		return lbRoute{}, false
	}
	path, ok1 := parts[0].(string)
	target, ok2 := parts[2].(string)
	if !ok1 || !ok2 {
		return lbRoute{}, false
	}
	rt := lbRoute{Path: path, Target: target}
	if w, ok := parts[1].(float64); ok {
		n := int64(w)
		rt.Weight = &n
	}
	return rt, true
}

// writtenTags are the tags holding the listeners and routes as written.
func (cfg lbConfig) writtenTags() map[string]string {
	ports := make([]string, len(cfg.ports))
	for i, p := range cfg.ports {
		ports[i] = strconv.Itoa(int(p))
	}
	out := map[string]string{tagListeners: strings.Join(ports, ",")}
	for i, rt := range cfg.routes {
		out[tagRoutePrefix+strconv.Itoa(i)] = rt.tag()
	}
	return out
}

// elbTags renders tags for ELB requests.
func elbTags(m map[string]string) []elbtypes.Tag {
	out := make([]elbtypes.Tag, 0, len(m))
	for _, key := range sortedTagKeys(m) {
		out = append(out, elbtypes.Tag{Key: sdk.String(key), Value: sdk.String(m[key])})
	}
	return out
}

func (k *loadBalancerKind) Create(ctx context.Context, r providers.Ref, desired cty.Value) (cty.Value, error) {
	cfg, err := k.decode("create", r, desired)
	if err != nil {
		return cty.NilVal, err
	}
	net, err := k.lookupNetwork(ctx, r, cfg.network)
	if err != nil {
		return cty.NilVal, r.Errorf("create", "%w", err)
	}
	token := cfg.token(r)
	name, err := createName(r, token, 32, func(name string) (string, error) {
		lb, err := k.describeByName(ctx, name)
		if err != nil || lb == nil {
			return "", err
		}
		return sdk.ToString(lb.LoadBalancerArn), nil
	})
	if err != nil {
		return cty.NilVal, awsError("create", r.Address, "", err)
	}
	lb, err := k.describeByName(ctx, name)
	if err != nil {
		return cty.NilVal, awsError("create", r.Address, "", err)
	}
	if lb != nil {
		// An earlier create crashed before its result was recorded; this
		// one completes it, unless the name belongs to someone else.
		tags, err := k.describeTags(ctx, []string{sdk.ToString(lb.LoadBalancerArn)})
		if err != nil {
			return cty.NilVal, awsError("create", r.Address, "", err)
		}
		if t := tags[sdk.ToString(lb.LoadBalancerArn)]; !ownerTagsMatch(t, r) {
			return cty.NilVal, r.Errorf("create", "a load balancer named %s already exists and belongs to %s (%s/%s); Stagecraft does not take it over", name, t[providers.TagAddress], t[providers.TagStack], t[providers.TagEnvironment])
		}
	} else {
		sg, err := k.listenerSecurityGroup(ctx, "create", r, name, token, net.VPCID)
		if err != nil {
			return cty.NilVal, err
		}
		tier := net.LBGroup
		if tier == "" {
			if tier, err = k.defaultSecurityGroup(ctx, r, net.VPCID); err != nil {
				return cty.NilVal, r.Errorf("create", "%w", err)
			}
		}
		subnets, err := k.onePerZone(ctx, r, net.PublicSubnets)
		if err != nil {
			return cty.NilVal, err
		}
		tags := k.tags(r)
		tags[tagToken] = token
		if cfg.network != "" {
			tags[tagNetwork] = cfg.network
		}
		typ := elbtypes.LoadBalancerTypeEnumApplication
		if cfg.typ == "tcp" {
			typ = elbtypes.LoadBalancerTypeEnumNetwork
		}
		out, err := k.p.clients.elbv2.CreateLoadBalancer(ctx, &elbv2.CreateLoadBalancerInput{
			Name:           sdk.String(name),
			Type:           typ,
			Scheme:         elbtypes.LoadBalancerSchemeEnumInternetFacing,
			Subnets:        subnets,
			SecurityGroups: []string{sg, tier},
			Tags:           elbTags(tags),
		})
		if err != nil {
			return cty.NilVal, awsError("create", r.Address, "", err)
		}
		lb = &out.LoadBalancers[0]
	}
	arn := sdk.ToString(lb.LoadBalancerArn)
	if err := k.waitActive(ctx, r, arn); err != nil {
		return cty.NilVal, err
	}
	if err := k.converge(ctx, "create", r, *lb, cfg); err != nil {
		return cty.NilVal, err
	}
	r.ID = arn
	return k.mustRead(ctx, "create", r)
}

func (k *loadBalancerKind) Update(ctx context.Context, r providers.Ref, prior, desired cty.Value) (cty.Value, error) {
	cfg, err := k.decode("update", r, desired)
	if err != nil {
		return cty.NilVal, err
	}
	lb, err := k.describeByARN(ctx, r.ID)
	if err != nil {
		return cty.NilVal, awsError("update", r.Address, "", err)
	}
	if lb == nil {
		return cty.NilVal, r.Errorf("update", "the load balancer %s no longer exists; plan again to create it", r.ID)
	}
	tags, err := k.describeTags(ctx, []string{r.ID})
	if err != nil {
		return cty.NilVal, awsError("update", r.Address, "", err)
	}
	if tags[r.ID][tagToken] != cfg.token(r) {
		return cty.NilVal, r.AttrErrorf("update", "type, network", "the type and network of a load balancer cannot change in place; it needs a replacement")
	}
	if err := k.converge(ctx, "update", r, *lb, cfg); err != nil {
		return cty.NilVal, err
	}
	return k.mustRead(ctx, "update", r)
}

func (k *loadBalancerKind) mustRead(ctx context.Context, op string, r providers.Ref) (cty.Value, error) {
	v, exists, err := k.Read(ctx, r)
	if err == nil && !exists {
		err = r.Errorf(op, "the load balancer %s vanished right after it was made", r.ID)
	}
	return v, err
}

// describeByName returns the load balancer called name, or nil.
func (k *loadBalancerKind) describeByName(ctx context.Context, name string) (*elbtypes.LoadBalancer, error) {
	out, err := k.p.clients.elbv2.DescribeLoadBalancers(ctx, &elbv2.DescribeLoadBalancersInput{Names: []string{name}})
	if isNotFound(err) {
		return nil, nil
	}
	if err != nil || len(out.LoadBalancers) == 0 {
		return nil, err
	}
	return &out.LoadBalancers[0], nil
}

// describeByARN returns the load balancer arn, or nil.
func (k *loadBalancerKind) describeByARN(ctx context.Context, arn string) (*elbtypes.LoadBalancer, error) {
	out, err := k.p.clients.elbv2.DescribeLoadBalancers(ctx, &elbv2.DescribeLoadBalancersInput{LoadBalancerArns: []string{arn}})
	if isNotFound(err) {
		return nil, nil
	}
	if err != nil || len(out.LoadBalancers) == 0 {
		return nil, err
	}
	return &out.LoadBalancers[0], nil
}

// describeTags returns the tags of ELB resources (load balancers, target
// groups) by ARN, 20 to a call.
func (k *kindBase) describeTags(ctx context.Context, arns []string) (map[string]map[string]string, error) {
	out := map[string]map[string]string{}
	for chunk := range slices.Chunk(arns, 20) {
		res, err := k.p.clients.elbv2.DescribeTags(ctx, &elbv2.DescribeTagsInput{ResourceArns: chunk})
		if err != nil {
			return nil, err
		}
		for _, d := range res.TagDescriptions {
			m := map[string]string{}
			for _, t := range d.Tags {
				m[sdk.ToString(t.Key)] = sdk.ToString(t.Value)
			}
			out[sdk.ToString(d.ResourceArn)] = m
		}
	}
	return out, nil
}

// waitActive waits for a new load balancer to leave "provisioning".
func (k *loadBalancerKind) waitActive(ctx context.Context, r providers.Ref, arn string) error {
	err := k.p.waitFor(ctx, r.Address+" to become active", func(ctx context.Context) (bool, error) {
		lb, err := k.describeByARN(ctx, arn)
		if err != nil {
			return false, awsError("create", r.Address, "", err)
		}
		if lb == nil || lb.State == nil {
			return false, nil
		}
		switch lb.State.Code {
		case elbtypes.LoadBalancerStateEnumActive, elbtypes.LoadBalancerStateEnumActiveImpaired:
			return true, nil
		case elbtypes.LoadBalancerStateEnumFailed:
			return false, r.Errorf("create", "the load balancer failed: %s", sdk.ToString(lb.State.Reason))
		}
		return false, nil
	})
	if err != nil && !strings.Contains(err.Error(), r.Address) {
		err = r.Errorf("create", "%w", err)
	}
	return err
}

// onePerZone keeps one subnet per availability zone (a load balancer takes
// no more), the first by id.
func (k *kindBase) onePerZone(ctx context.Context, r providers.Ref, ids []string) ([]string, error) {
	if len(ids) == 0 {
		return nil, r.Errorf("", "the network has no public subnets")
	}
	out, err := k.p.clients.ec2.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{SubnetIds: ids})
	if err != nil {
		return nil, awsError("find the subnets of", r.Address, "network", err)
	}
	sort.Slice(out.Subnets, func(i, j int) bool {
		return sdk.ToString(out.Subnets[i].SubnetId) < sdk.ToString(out.Subnets[j].SubnetId)
	})
	seen := map[string]bool{}
	var keep []string
	for _, sn := range out.Subnets {
		if z := sdk.ToString(sn.AvailabilityZone); !seen[z] {
			seen[z] = true
			keep = append(keep, sdk.ToString(sn.SubnetId))
		}
	}
	return keep, nil
}

// listenerSecurityGroup finds or makes the load balancer's own security
// group.
func (k *loadBalancerKind) listenerSecurityGroup(ctx context.Context, op string, r providers.Ref, name, token, vpcID string) (string, error) {
	c := k.p.clients.ec2
	found, err := c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: []ec2types.Filter{
		{Name: sdk.String("vpc-id"), Values: []string{vpcID}}, tagFilter(tagLoadBalancer, name),
	}})
	if err != nil {
		return "", awsError(op, r.Address, "security group", err)
	}
	if len(found.SecurityGroups) > 0 {
		return sdk.ToString(found.SecurityGroups[0].GroupId), nil
	}
	tags := k.tags(r)
	tags[tagToken], tags[tagLoadBalancer], tags[tagRole] = token, name, "listeners"
	tags["Name"] = r.Address + " listeners"
	out, err := c.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{
		GroupName:         sdk.String(name + "-listeners"),
		Description:       sdk.String("Stagecraft " + r.Address + ": listener ports"),
		VpcId:             sdk.String(vpcID),
		TagSpecifications: []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeSecurityGroup, Tags: ec2Tags(tags)}},
	})
	if err != nil {
		return "", awsError(op, r.Address, "security group", err)
	}
	return sdk.ToString(out.GroupId), nil
}

// syncListenerPorts opens the load balancer's own security group on
// exactly ports (TCP from anywhere). With revoke false it only opens, so
// that ports close after their listeners are gone.
func (k *loadBalancerKind) syncListenerPorts(ctx context.Context, op string, r providers.Ref, lb elbtypes.LoadBalancer, ports []int32, revoke bool) error {
	c := k.p.clients.ec2
	found, err := c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: []ec2types.Filter{
		{Name: sdk.String("vpc-id"), Values: []string{sdk.ToString(lb.VpcId)}}, tagFilter(tagLoadBalancer, sdk.ToString(lb.LoadBalancerName)),
	}})
	if err != nil {
		return awsError(op, r.Address, "listener security group", err)
	}
	if len(found.SecurityGroups) == 0 {
		return nil // made outside Stagecraft's way; leave its security alone
	}
	sg := found.SecurityGroups[0]
	want := map[int32]bool{}
	for _, p := range ports {
		want[p] = true
	}
	have := map[int32]bool{}
	var extra []ec2types.IpPermission
	for _, perm := range sg.IpPermissions {
		open := false
		for _, ipr := range perm.IpRanges {
			open = open || sdk.ToString(ipr.CidrIp) == "0.0.0.0/0"
		}
		if !open || sdk.ToString(perm.IpProtocol) != "tcp" {
			continue
		}
		from, to := sdk.ToInt32(perm.FromPort), sdk.ToInt32(perm.ToPort)
		if from == to && want[from] {
			have[from] = true
			continue
		}
		extra = append(extra, ec2types.IpPermission{IpProtocol: sdk.String("tcp"), FromPort: perm.FromPort, ToPort: perm.ToPort,
			IpRanges: []ec2types.IpRange{{CidrIp: sdk.String("0.0.0.0/0")}}})
	}
	var missing []ec2types.IpPermission
	for _, p := range ports {
		if !have[p] {
			missing = append(missing, ec2types.IpPermission{IpProtocol: sdk.String("tcp"), FromPort: sdk.Int32(p), ToPort: sdk.Int32(p),
				IpRanges: []ec2types.IpRange{{CidrIp: sdk.String("0.0.0.0/0"), Description: sdk.String("listener of " + r.Address)}}})
		}
	}
	if len(missing) > 0 {
		_, err := c.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: sg.GroupId, IpPermissions: missing})
		if err != nil && errorCode(err) != "InvalidPermission.Duplicate" {
			return awsError(op, r.Address, "listener security group", err)
		}
	}
	if revoke && len(extra) > 0 {
		_, err := c.RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{GroupId: sg.GroupId, IpPermissions: extra})
		if err != nil && !isNotFound(err) {
			return awsError(op, r.Address, "listener security group", err)
		}
	}
	return nil
}

func (k *loadBalancerKind) Read(ctx context.Context, r providers.Ref) (cty.Value, bool, error) {
	res, err := k.ReadMany(ctx, []providers.Ref{r})
	if err != nil {
		return cty.NilVal, false, err
	}
	return res[0].Actual, res[0].Exists, res[0].Err
}

// ReadMany reads load balancers and their tags 20 to a call, and the tags
// of every target group they forward to 20 to a call; listeners and rules
// take a call per load balancer.
func (k *loadBalancerKind) ReadMany(ctx context.Context, refs []providers.Ref) ([]providers.ReadResult, error) {
	out := make([]providers.ReadResult, len(refs))
	var arns []string
	for i, r := range refs {
		out[i] = providers.ReadResult{Actual: cty.NullVal(k.schema.ImpliedType())}
		if r.ID != "" {
			arns = append(arns, r.ID)
		}
	}
	if len(arns) == 0 {
		return out, nil
	}
	vals, err := k.readLBs(ctx, refs[0].Address, arns)
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

// lbState is what Read gathers about one load balancer.
type lbState struct {
	lb        elbtypes.LoadBalancer
	tags      map[string]string
	listeners []elbtypes.Listener
	// routing is the routing of the first listener, by target group ARN.
	routing map[string]map[string]int64
}

// readLBs returns the actual value of each load balancer of arns that
// exists.
func (k *loadBalancerKind) readLBs(ctx context.Context, addr string, arns []string) (map[string]cty.Value, error) {
	var lbs []elbtypes.LoadBalancer
	for chunk := range slices.Chunk(arns, 20) {
		res, err := k.p.clients.elbv2.DescribeLoadBalancers(ctx, &elbv2.DescribeLoadBalancersInput{LoadBalancerArns: chunk})
		switch {
		case isNotFound(err):
			// One of them is gone: ask one by one.
			for _, arn := range chunk {
				lb, err := k.describeByARN(ctx, arn)
				if err != nil {
					return nil, awsError("read", addr, "", err)
				}
				if lb != nil {
					lbs = append(lbs, *lb)
				}
			}
		case err != nil:
			return nil, awsError("read", addr, "", err)
		default:
			lbs = append(lbs, res.LoadBalancers...)
		}
	}
	if len(lbs) == 0 {
		return map[string]cty.Value{}, nil
	}
	var lbARNs []string
	for _, lb := range lbs {
		lbARNs = append(lbARNs, sdk.ToString(lb.LoadBalancerArn))
	}
	tags, err := k.describeTags(ctx, lbARNs)
	if err != nil {
		return nil, awsError("read the tags of", addr, "", err)
	}
	states := make([]*lbState, len(lbs))
	tgSet := map[string]bool{}
	for i, lb := range lbs {
		st := &lbState{lb: lb, tags: tags[sdk.ToString(lb.LoadBalancerArn)]}
		for p := elbv2.NewDescribeListenersPaginator(k.p.clients.elbv2, &elbv2.DescribeListenersInput{LoadBalancerArn: lb.LoadBalancerArn}); p.HasMorePages(); {
			page, err := p.NextPage(ctx)
			if err != nil {
				return nil, awsError("read the listeners of", addr, "listener", err)
			}
			st.listeners = append(st.listeners, page.Listeners...)
		}
		if first := firstListener(st.listeners, writtenPorts(st.tags)); first != nil {
			var rules []elbtypes.Rule
			if lb.Type == elbtypes.LoadBalancerTypeEnumApplication {
				if rules, err = k.listenerRules(ctx, sdk.ToString(first.ListenerArn)); err != nil {
					return nil, awsError("read the rules of", addr, "route", err)
				}
			}
			st.routing = routingByARN(first.DefaultActions, rules)
			for _, weights := range st.routing {
				for arn := range weights {
					tgSet[arn] = true
				}
			}
		}
		states[i] = st
	}
	tgTags, err := k.describeTags(ctx, orderedKeys(tgSet))
	if err != nil && !isNotFound(err) {
		return nil, awsError("read the target groups of", addr, "route", err)
	}
	out := map[string]cty.Value{}
	for _, st := range states {
		out[sdk.ToString(st.lb.LoadBalancerArn)] = k.value(st, tgTags)
	}
	return out, nil
}

// listenerRules returns a listener's rules.
func (k *kindBase) listenerRules(ctx context.Context, listenerARN string) ([]elbtypes.Rule, error) {
	var rules []elbtypes.Rule
	for p := elbv2.NewDescribeRulesPaginator(k.p.clients.elbv2, &elbv2.DescribeRulesInput{ListenerArn: sdk.String(listenerARN)}); p.HasMorePages(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		rules = append(rules, page.Rules...)
	}
	return rules, nil
}

// writtenPorts reads the listener tag.
func writtenPorts(tags map[string]string) []int32 {
	var out []int32
	for _, s := range strings.Split(tags[tagListeners], ",") {
		if n, err := strconv.Atoi(s); err == nil {
			out = append(out, int32(n))
		}
	}
	return out
}

// firstListener is the listener whose routing Read reports: the first
// written port's, else the lowest port's.
func firstListener(ls []elbtypes.Listener, written []int32) *elbtypes.Listener {
	if len(ls) == 0 {
		return nil
	}
	for _, w := range written {
		for i := range ls {
			if sdk.ToInt32(ls[i].Port) == w {
				return &ls[i]
			}
		}
	}
	sort.Slice(ls, func(i, j int) bool { return sdk.ToInt32(ls[i].Port) < sdk.ToInt32(ls[j].Port) })
	return &ls[0]
}

// value is the actual value of one load balancer.
func (k *loadBalancerKind) value(st *lbState, tgTags map[string]map[string]string) cty.Value {
	ty := k.schema.ImpliedType()
	lb := st.lb
	attrs := map[string]cty.Value{
		"id":       cty.StringVal(sdk.ToString(lb.LoadBalancerArn)),
		"type":     cty.StringVal("http"),
		"dns_name": cty.StringVal(sdk.ToString(lb.DNSName)),
	}
	if lb.Type == elbtypes.LoadBalancerTypeEnumNetwork {
		attrs["type"] = cty.StringVal("tcp")
	}
	if n := st.tags[tagNetwork]; n != "" {
		attrs["network"] = cty.StringVal(n)
	}

	// Listeners: as written while the written ports are the ports there.
	var actual []int32
	for _, l := range st.listeners {
		actual = append(actual, sdk.ToInt32(l.Port))
	}
	slices.Sort(actual)
	ports := writtenPorts(st.tags)
	sortedWritten := slices.Clone(ports)
	slices.Sort(sortedWritten)
	if !slices.Equal(sortedWritten, actual) {
		ports = actual
	}
	lty := valElemType(ty, "listener")
	var listeners []cty.Value
	for _, p := range ports {
		listeners = append(listeners, valObject(lty, map[string]cty.Value{"port": cty.NumberIntVal(int64(p))}))
	}
	attrs["listener"] = valList(lty, listeners)
	if len(ports) > 0 {
		host := sdk.ToString(lb.DNSName)
		hp := host + ":" + strconv.Itoa(int(ports[0]))
		attrs["address"] = cty.StringVal(hp)
		switch {
		case lb.Type == elbtypes.LoadBalancerTypeEnumNetwork:
			attrs["url"] = cty.StringVal("tcp://" + hp)
		case ports[0] == 80:
			attrs["url"] = cty.StringVal("http://" + host)
		default:
			attrs["url"] = cty.StringVal("http://" + hp)
		}
	} else {
		attrs["address"], attrs["url"] = cty.StringVal(""), cty.StringVal("")
	}

	// Routes: as written while they say what the listener does.
	routing := lbRouting{}
	for prefix, weights := range st.routing {
		for arn, w := range weights {
			target := tgTags[arn][tagTarget]
			if target == "" {
				target = "(target group " + arn + ")"
			}
			if routing[prefix] == nil {
				routing[prefix] = map[string]int64{}
			}
			routing[prefix][target] += w
		}
	}
	var written []lbRoute
	for i := 0; ; i++ {
		s, ok := st.tags[tagRoutePrefix+strconv.Itoa(i)]
		if !ok {
			break
		}
		rt, ok := parseRouteTag(s)
		if !ok {
			written = nil
			break
		}
		written = append(written, rt)
	}
	routes := written
	if !canonicalRouting(written).equal(routing) {
		routes = routing.routes()
	}
	rty := valElemType(ty, "route")
	var rvals []cty.Value
	for _, rt := range routes {
		ra := map[string]cty.Value{"path": cty.StringVal(rt.Path), "target": cty.StringVal(rt.Target)}
		if rt.Weight != nil {
			ra["weight"] = cty.NumberIntVal(*rt.Weight)
		}
		rvals = append(rvals, valObject(rty, ra))
	}
	attrs["route"] = valList(rty, rvals)
	return valObject(ty, attrs)
}

// Discover lists the load balancers carrying the stack's tags, through the
// resource tagging API.
func (k *loadBalancerKind) Discover(ctx context.Context, stack, environment string) ([]providers.Discovered, error) {
	where := "the load balancers of " + stack + "/" + environment
	found, err := k.taggedResources(ctx, "elasticloadbalancing:loadbalancer", map[string]string{providers.TagStack: stack, providers.TagEnvironment: environment})
	if err != nil {
		return nil, listError("discover", where, "", err)
	}
	var arns []string
	for arn, tags := range found {
		if tags[providers.TagAddress] != "" {
			arns = append(arns, arn)
		}
	}
	sort.Strings(arns)
	if len(arns) == 0 {
		return nil, nil
	}
	vals, err := k.readLBs(ctx, where, arns)
	if err != nil {
		return nil, err
	}
	var out []providers.Discovered
	for _, arn := range arns {
		v, ok := vals[arn]
		if !ok {
			continue
		}
		out = append(out, providers.Discovered{
			Ref:    providers.Ref{Address: found[arn][providers.TagAddress], Kind: kinds.LoadBalancer, ID: arn, Stack: stack, Environment: environment},
			Actual: v,
		})
	}
	return out, nil
}

// taggedResources lists resources of one type carrying every tag of want,
// with their tags, by ARN.
func (k *kindBase) taggedResources(ctx context.Context, resourceType string, want map[string]string) (map[string]map[string]string, error) {
	var filters []tagtypes.TagFilter
	for _, key := range sortedTagKeys(want) {
		filters = append(filters, tagtypes.TagFilter{Key: sdk.String(key), Values: []string{want[key]}})
	}
	out := map[string]map[string]string{}
	for p := resourcegroupstaggingapi.NewGetResourcesPaginator(k.p.clients.tagging, &resourcegroupstaggingapi.GetResourcesInput{
		ResourceTypeFilters: []string{resourceType}, TagFilters: filters,
	}); p.HasMorePages(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, m := range page.ResourceTagMappingList {
			tags := map[string]string{}
			for _, t := range m.Tags {
				tags[sdk.ToString(t.Key)] = sdk.ToString(t.Value)
			}
			out[sdk.ToString(m.ResourceARN)] = tags
		}
	}
	return out, nil
}

// Delete deletes the load balancer (its listeners and rules with it),
// waits until it is gone, then its target groups (detached from the
// groups first) and its security group, retrying while AWS still holds
// them. Whatever is already gone counts as deleted.
func (k *loadBalancerKind) Delete(ctx context.Context, r providers.Ref, prior cty.Value) error {
	if r.ID == "" {
		return nil
	}
	lbName := lbNameFromARN(r.ID)
	lb, err := k.describeByARN(ctx, r.ID)
	if err != nil {
		return awsError("delete", r.Address, "", err)
	}
	tgs := map[string]bool{}
	if lb != nil {
		out, err := k.p.clients.elbv2.DescribeTargetGroups(ctx, &elbv2.DescribeTargetGroupsInput{LoadBalancerArn: sdk.String(r.ID)})
		if err != nil && !isNotFound(err) {
			return awsError("delete", r.Address, "target groups", err)
		}
		if out != nil {
			for _, tg := range out.TargetGroups {
				tgs[sdk.ToString(tg.TargetGroupArn)] = true
			}
		}
		if _, err := k.p.clients.elbv2.DeleteLoadBalancer(ctx, &elbv2.DeleteLoadBalancerInput{LoadBalancerArn: sdk.String(r.ID)}); err != nil && !isNotFound(err) {
			return awsError("delete", r.Address, "", err)
		}
		err = k.p.waitFor(ctx, fmt.Sprintf("%s (%s) to finish deleting", r.Address, lbName), func(ctx context.Context) (bool, error) {
			lb, err := k.describeByARN(ctx, r.ID)
			if err != nil {
				return false, awsError("delete", r.Address, "", err)
			}
			return lb == nil, nil
		})
		if err != nil {
			return err
		}
	}
	tagged, err := k.taggedResources(ctx, "elasticloadbalancing:targetgroup", map[string]string{
		providers.TagStack: r.Stack, providers.TagEnvironment: r.Environment, tagLoadBalancer: lbName,
	})
	if err != nil {
		return awsError("delete", r.Address, "target groups", err)
	}
	for arn := range tagged {
		tgs[arn] = true
	}
	if err := k.deleteTargetGroups(ctx, "delete", r, orderedKeys(tgs)); err != nil {
		return err
	}
	sgs, err := k.p.clients.ec2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: []ec2types.Filter{
		tagFilter(providers.TagStack, r.Stack), tagFilter(providers.TagEnvironment, r.Environment), tagFilter(tagLoadBalancer, lbName),
	}})
	if err != nil {
		return awsError("delete", r.Address, "security group", err)
	}
	for _, sg := range sgs.SecurityGroups {
		id := sg.GroupId
		// The load balancer's network interfaces take minutes to let go
		// of the group on AWS.
		if err := k.untilFree(ctx, r, "security group "+sdk.ToString(id), func(ctx context.Context) error {
			_, err := k.p.clients.ec2.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: id})
			return err
		}); err != nil {
			return err
		}
	}
	return nil
}

// lbNameFromARN returns the name in a load balancer ARN
// (...:loadbalancer/app/NAME/ID).
func lbNameFromARN(arn string) string {
	parts := strings.Split(arnResource(arn), "/")
	if len(parts) >= 3 {
		return parts[2]
	}
	return ""
}
