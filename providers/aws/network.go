package aws

import (
	"context"
	"encoding/binary"
	"fmt"
	"net/netip"
	"sort"
	"strconv"

	sdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/zclconf/go-cty/cty"

	"github.com/stagecraft/stagecraft/providers"
	"github.com/stagecraft/stagecraft/providers/kinds"
)

// networkKind maps a network onto a VPC (its id is the VPC id) with, in
// each of availability_zones zones, one public and one private subnet; an
// internet gateway with a public route table; a private route table (no
// NAT gateway: private instances reach only the VPC); and one security
// group per tier, found by other kinds through lookupNetwork:
//
//   - "lb": load balancers join it; each also has its own group open on
//     its listener ports (see loadBalancerKind).
//   - "app": instances; open on every TCP port, from the lb group only.
//   - "data": caches and coordinators; open on every TCP port from the
//     app group, and from itself so that cluster members reach one another.
//
// Every part carries the network's stagecraft tags, so a create that
// crashed half-way is completed by the next one, and a delete finds
// everything.
type networkKind struct{ *kindBase }

var (
	_ providers.BatchReader = (*networkKind)(nil)
	_ providers.Discoverer  = (*networkKind)(nil)
)

// Subnets are the network's range split in 16 (4 more prefix bits):
// public subnet i is block i, private subnet i is block 8+i, so up to 6
// zones fit with room to spare.
const (
	subnetExtraBits    = 4
	privateSubnetIndex = 8
)

// networkTiers are the security groups of a network, in the order they are
// created (a group's rules refer to the groups before it).
var networkTiers = []string{"lb", "app", "data"}

// networkRules are the ingress rules between the tiers: every TCP port of
// tier to is open to the members of tier from.
var networkRules = []struct{ to, from string }{{"app", "lb"}, {"data", "app"}, {"data", "data"}}

// networkConfig is a network's desired value, decoded.
type networkConfig struct {
	cidr  netip.Prefix
	zones int
}

func (k *networkKind) decode(op string, r providers.Ref, desired cty.Value) (networkConfig, error) {
	desired, err := k.checkDesired(op, r, desired)
	if err != nil {
		return networkConfig{}, err
	}
	c := cval{desired}
	cidr := c.str("cidr_block")
	if cidr == "" {
		cidr = "10.0.0.0/16"
	}
	zones, ok := c.num("availability_zones")
	if !ok {
		zones = 2
	}
	p, err := netip.ParsePrefix(cidr)
	if err != nil {
		return networkConfig{}, r.AttrErrorf(op, "cidr_block", "%q is not a CIDR block", cidr)
	}
	if p.Bits() < 16 || p.Bits() > 24 {
		return networkConfig{}, r.AttrErrorf(op, "cidr_block", "a VPC's range is a /16 to a /24 on AWS (the subnets are 16 times smaller, and at least a /28); %q is a /%d", cidr, p.Bits())
	}
	return networkConfig{cidr: p, zones: int(zones)}, nil
}

// token fingerprints the network's force-new settings.
func (nc networkConfig) token(r providers.Ref) string {
	return resourceToken(r, nc.cidr.String(), strconv.Itoa(nc.zones))
}

// subnetCIDR returns block i of the range split by subnetExtraBits.
func subnetCIDR(p netip.Prefix, i int) string {
	a := p.Addr().As4()
	base := binary.BigEndian.Uint32(a[:])
	bits := p.Bits() + subnetExtraBits
	base += uint32(i) << (32 - bits)
	var out [4]byte
	binary.BigEndian.PutUint32(out[:], base)
	return netip.PrefixFrom(netip.AddrFrom4(out), bits).String()
}

func (k *networkKind) Create(ctx context.Context, r providers.Ref, desired cty.Value) (cty.Value, error) {
	nc, err := k.decode("create", r, desired)
	if err != nil {
		return cty.NilVal, err
	}
	zones, err := k.zones(ctx, r, nc.zones)
	if err != nil {
		return cty.NilVal, err
	}
	c := k.p.clients.ec2
	// A VPC with this address's token is one an earlier create made
	// before crashing: complete it instead of making another, unless it
	// is the copy this create replaces.
	token, err := createToken(r, nc.token(r), func(token string) (string, error) { return k.findVPC(ctx, r, token) })
	if err != nil {
		return cty.NilVal, err
	}
	vpcID, err := k.findVPC(ctx, r, token)
	if err != nil {
		return cty.NilVal, err
	}
	if vpcID == "" {
		tags := k.tags(r)
		tags[tagToken] = token
		tags[tagZones] = strconv.Itoa(nc.zones)
		tags["Name"] = r.Address
		out, err := c.CreateVpc(ctx, &ec2.CreateVpcInput{
			CidrBlock:         sdk.String(nc.cidr.String()),
			TagSpecifications: []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeVpc, Tags: ec2Tags(tags)}},
		})
		if err != nil {
			return cty.NilVal, awsError("create", r.Address, "cidr_block", err)
		}
		vpcID = sdk.ToString(out.Vpc.VpcId)
	}
	if err := k.ensureParts(ctx, r, vpcID, nc, zones, token); err != nil {
		return cty.NilVal, err
	}
	return k.mustRead(ctx, r, vpcID)
}

func (k *networkKind) Update(ctx context.Context, r providers.Ref, prior, desired cty.Value) (cty.Value, error) {
	nc, err := k.decode("update", r, desired)
	if err != nil {
		return cty.NilVal, err
	}
	vpcs, err := k.readVPCs(ctx, r.Address, []string{r.ID})
	if err != nil {
		return cty.NilVal, err
	}
	cur, exists := vpcs[r.ID]
	if !exists {
		return cty.NilVal, r.Errorf("update", "VPC %s no longer exists; plan again to create it", r.ID)
	}
	if have := sdk.ToString(cur.vpc.CidrBlock); have != nc.cidr.String() {
		return cty.NilVal, r.AttrErrorf("update", "cidr_block", "the range of a VPC cannot change in place (%s at AWS, %s configured); it needs a replacement", have, nc.cidr)
	}
	zones, err := k.zones(ctx, r, nc.zones)
	if err != nil {
		return cty.NilVal, err
	}
	// The parts carry the VPC's own token, which is not the plain one
	// when the VPC is a later generation (see createToken).
	token := tagValue(cur.vpc.Tags, tagToken)
	if token == "" {
		token = nc.token(r)
	}
	// Nothing changes in place; this completes whatever is missing.
	if err := k.ensureParts(ctx, r, r.ID, nc, zones, token); err != nil {
		return cty.NilVal, err
	}
	return k.mustRead(ctx, r, r.ID)
}

// findVPC returns the id of r's VPC with token, "" when there is none.
func (k *networkKind) findVPC(ctx context.Context, r providers.Ref, token string) (string, error) {
	found, err := k.p.clients.ec2.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{Filters: []ec2types.Filter{
		tagFilter(providers.TagStack, r.Stack), tagFilter(providers.TagEnvironment, r.Environment),
		tagFilter(providers.TagAddress, r.Address), tagFilter(tagToken, token),
	}})
	if err != nil {
		return "", awsError("create", r.Address, "", err)
	}
	if len(found.Vpcs) == 0 {
		return "", nil
	}
	return sdk.ToString(found.Vpcs[0].VpcId), nil
}

// zones returns the first n availability zones of the region, by name.
func (k *networkKind) zones(ctx context.Context, r providers.Ref, n int) ([]string, error) {
	out, err := k.p.clients.ec2.DescribeAvailabilityZones(ctx, &ec2.DescribeAvailabilityZonesInput{})
	if err != nil {
		return nil, awsError("list the availability zones for", r.Address, "availability_zones", err)
	}
	var names []string
	for _, z := range out.AvailabilityZones {
		if z.State != "" && z.State != ec2types.AvailabilityZoneStateAvailable {
			continue
		}
		if zt := sdk.ToString(z.ZoneType); zt != "" && zt != "availability-zone" {
			continue
		}
		names = append(names, sdk.ToString(z.ZoneName))
	}
	sort.Strings(names)
	if len(names) < n {
		return nil, r.AttrErrorf("", "availability_zones", "region %s has %d availability zones, fewer than the %d asked for", k.p.clients.region, len(names), n)
	}
	return names[:n], nil
}

// ensureParts makes whatever the network lacks: subnets, the internet
// gateway, route tables and security groups. Each part is looked for
// first, so it may run any number of times.
func (k *networkKind) ensureParts(ctx context.Context, r providers.Ref, vpcID string, nc networkConfig, zones []string, token string) error {
	c := k.p.clients.ec2
	fail := func(what string, err error) error { return awsError("create", r.Address, what, err) }
	partTags := func(extra map[string]string) []ec2types.Tag {
		t := k.tags(r)
		t[tagToken] = token
		for key, v := range extra {
			t[key] = v
		}
		return ec2Tags(t)
	}
	vpcFilter := []ec2types.Filter{{Name: sdk.String("vpc-id"), Values: []string{vpcID}}}

	// Subnets: one public and one private per zone.
	subnets, err := c.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: vpcFilter})
	if err != nil {
		return fail("subnets", err)
	}
	have := map[string]string{} // tier/zone -> subnet id
	publicIP := map[string]bool{}
	for _, sn := range subnets.Subnets {
		have[tagValue(sn.Tags, tagTier)+"/"+sdk.ToString(sn.AvailabilityZone)] = sdk.ToString(sn.SubnetId)
		publicIP[sdk.ToString(sn.SubnetId)] = sdk.ToBool(sn.MapPublicIpOnLaunch)
	}
	var public, private []string
	for i, zone := range zones {
		for _, tier := range []string{"public", "private"} {
			id, ok := have[tier+"/"+zone]
			if !ok {
				block := i
				if tier == "private" {
					block = privateSubnetIndex + i
				}
				out, err := c.CreateSubnet(ctx, &ec2.CreateSubnetInput{
					VpcId: sdk.String(vpcID), CidrBlock: sdk.String(subnetCIDR(nc.cidr, block)), AvailabilityZone: sdk.String(zone),
					TagSpecifications: []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeSubnet,
						Tags: partTags(map[string]string{tagTier: tier, "Name": r.Address + " " + tier + " " + zone})}},
				})
				if err != nil {
					return fail(tier+" subnet in "+zone, err)
				}
				id = sdk.ToString(out.Subnet.SubnetId)
			}
			// A create that stopped right after making the subnet left
			// it without public addresses.
			if tier == "public" && !publicIP[id] {
				if _, err := c.ModifySubnetAttribute(ctx, &ec2.ModifySubnetAttributeInput{SubnetId: sdk.String(id),
					MapPublicIpOnLaunch: &ec2types.AttributeBooleanValue{Value: sdk.Bool(true)}}); err != nil {
					return fail("public subnet in "+zone, err)
				}
			}
			if tier == "public" {
				public = append(public, id)
			} else {
				private = append(private, id)
			}
		}
	}

	// The internet gateway: attached, or tagged and left unattached by a
	// create that crashed, or new.
	igws, err := c.DescribeInternetGateways(ctx, &ec2.DescribeInternetGatewaysInput{Filters: []ec2types.Filter{{Name: sdk.String("attachment.vpc-id"), Values: []string{vpcID}}}})
	if err != nil {
		return fail("internet gateway", err)
	}
	var igwID string
	if len(igws.InternetGateways) > 0 {
		igwID = sdk.ToString(igws.InternetGateways[0].InternetGatewayId)
	} else {
		tagged, err := c.DescribeInternetGateways(ctx, &ec2.DescribeInternetGatewaysInput{Filters: []ec2types.Filter{
			tagFilter(providers.TagStack, r.Stack), tagFilter(providers.TagEnvironment, r.Environment),
			tagFilter(providers.TagAddress, r.Address), tagFilter(tagToken, token),
		}})
		if err != nil {
			return fail("internet gateway", err)
		}
		for _, g := range tagged.InternetGateways {
			if len(g.Attachments) == 0 {
				igwID = sdk.ToString(g.InternetGatewayId)
				break
			}
		}
		if igwID == "" {
			out, err := c.CreateInternetGateway(ctx, &ec2.CreateInternetGatewayInput{TagSpecifications: []ec2types.TagSpecification{
				{ResourceType: ec2types.ResourceTypeInternetGateway, Tags: partTags(map[string]string{"Name": r.Address})}}})
			if err != nil {
				return fail("internet gateway", err)
			}
			igwID = sdk.ToString(out.InternetGateway.InternetGatewayId)
		}
		if _, err := c.AttachInternetGateway(ctx, &ec2.AttachInternetGatewayInput{InternetGatewayId: sdk.String(igwID), VpcId: sdk.String(vpcID)}); err != nil {
			return fail("internet gateway", err)
		}
	}

	// Route tables: public (default route to the gateway) and private.
	tables, err := c.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{Filters: vpcFilter})
	if err != nil {
		return fail("route tables", err)
	}
	assoc := map[string]ec2types.RouteTableAssociation{} // subnet -> its explicit association
	for _, rt := range tables.RouteTables {
		for _, a := range rt.Associations {
			if sdk.ToString(a.SubnetId) != "" {
				assoc[sdk.ToString(a.SubnetId)] = a
			}
		}
	}
	for _, tier := range []string{"public", "private"} {
		var table *ec2types.RouteTable
		for i := range tables.RouteTables {
			if tagValue(tables.RouteTables[i].Tags, tagTier) == tier {
				table = &tables.RouteTables[i]
				break
			}
		}
		if table == nil {
			out, err := c.CreateRouteTable(ctx, &ec2.CreateRouteTableInput{VpcId: sdk.String(vpcID), TagSpecifications: []ec2types.TagSpecification{
				{ResourceType: ec2types.ResourceTypeRouteTable, Tags: partTags(map[string]string{tagTier: tier, "Name": r.Address + " " + tier})}}})
			if err != nil {
				return fail(tier+" route table", err)
			}
			table = out.RouteTable
		}
		rtID := sdk.ToString(table.RouteTableId)
		members := private
		if tier == "public" {
			members = public
			if err := k.ensureDefaultRoute(ctx, table, igwID); err != nil {
				return fail("public route table", err)
			}
		}
		for _, sn := range members {
			a, ok := assoc[sn]
			switch {
			case !ok:
				_, err = c.AssociateRouteTable(ctx, &ec2.AssociateRouteTableInput{RouteTableId: sdk.String(rtID), SubnetId: sdk.String(sn)})
			case sdk.ToString(a.RouteTableId) != rtID:
				_, err = c.ReplaceRouteTableAssociation(ctx, &ec2.ReplaceRouteTableAssociationInput{AssociationId: a.RouteTableAssociationId, RouteTableId: sdk.String(rtID)})
			}
			if err != nil {
				return fail(tier+" route table", err)
			}
		}
	}

	// Security groups per tier, then the rules between them.
	sgs, err := c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: vpcFilter})
	if err != nil {
		return fail("security groups", err)
	}
	groups := map[string]ec2types.SecurityGroup{}
	for _, g := range sgs.SecurityGroups {
		if role := tagValue(g.Tags, tagGroup); role != "" {
			groups[role] = g
		}
	}
	for _, role := range networkTiers {
		if _, ok := groups[role]; ok {
			continue
		}
		out, err := c.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{
			GroupName:   sdk.String("sc-" + token + "-" + role),
			Description: sdk.String("Stagecraft " + r.Address + ": " + role + " tier"),
			VpcId:       sdk.String(vpcID),
			TagSpecifications: []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeSecurityGroup,
				Tags: partTags(map[string]string{tagGroup: role, "Name": r.Address + " " + role})}},
		})
		if err != nil {
			return fail(role+" security group", err)
		}
		groups[role] = ec2types.SecurityGroup{GroupId: out.GroupId}
	}
	for _, rule := range networkRules {
		to, from := groups[rule.to], sdk.ToString(groups[rule.from].GroupId)
		if sgAllowsGroup(to, from) {
			continue
		}
		_, err := c.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{
			GroupId: to.GroupId,
			IpPermissions: []ec2types.IpPermission{{IpProtocol: sdk.String("tcp"), FromPort: sdk.Int32(0), ToPort: sdk.Int32(65535),
				UserIdGroupPairs: []ec2types.UserIdGroupPair{{GroupId: sdk.String(from), Description: sdk.String("from the " + rule.from + " tier")}}}},
		})
		if err != nil && errorCode(err) != "InvalidPermission.Duplicate" {
			return fail(rule.to+" security group rules", err)
		}
	}
	return nil
}

// ensureDefaultRoute points the table's 0.0.0.0/0 route at the gateway.
func (k *networkKind) ensureDefaultRoute(ctx context.Context, table *ec2types.RouteTable, igwID string) error {
	c := k.p.clients.ec2
	for _, rt := range table.Routes {
		if sdk.ToString(rt.DestinationCidrBlock) != "0.0.0.0/0" {
			continue
		}
		if sdk.ToString(rt.GatewayId) == igwID {
			return nil
		}
		_, err := c.ReplaceRoute(ctx, &ec2.ReplaceRouteInput{RouteTableId: table.RouteTableId, DestinationCidrBlock: sdk.String("0.0.0.0/0"), GatewayId: sdk.String(igwID)})
		return err
	}
	_, err := c.CreateRoute(ctx, &ec2.CreateRouteInput{RouteTableId: table.RouteTableId, DestinationCidrBlock: sdk.String("0.0.0.0/0"), GatewayId: sdk.String(igwID)})
	if errorCode(err) == "RouteAlreadyExists" {
		return nil
	}
	return err
}

// sgAllowsGroup reports whether g lets in every TCP port from group from.
func sgAllowsGroup(g ec2types.SecurityGroup, from string) bool {
	for _, p := range g.IpPermissions {
		if sdk.ToString(p.IpProtocol) != "tcp" || sdk.ToInt32(p.FromPort) != 0 || sdk.ToInt32(p.ToPort) != 65535 {
			continue
		}
		for _, pair := range p.UserIdGroupPairs {
			if sdk.ToString(pair.GroupId) == from {
				return true
			}
		}
	}
	return false
}

func (k *networkKind) Read(ctx context.Context, r providers.Ref) (cty.Value, bool, error) {
	res, err := k.ReadMany(ctx, []providers.Ref{r})
	if err != nil {
		return cty.NilVal, false, err
	}
	return res[0].Actual, res[0].Exists, res[0].Err
}

// mustRead reads the network just made, which must exist.
func (k *networkKind) mustRead(ctx context.Context, r providers.Ref, vpcID string) (cty.Value, error) {
	r.ID = vpcID
	v, exists, err := k.Read(ctx, r)
	if err == nil && !exists {
		err = r.Errorf("read", "VPC %s vanished right after it was made", vpcID)
	}
	return v, err
}

// ReadMany reads every network in two calls: the VPCs, then their
// subnets.
func (k *networkKind) ReadMany(ctx context.Context, refs []providers.Ref) ([]providers.ReadResult, error) {
	out := make([]providers.ReadResult, len(refs))
	var ids []string
	for i, r := range refs {
		out[i] = providers.ReadResult{Actual: cty.NullVal(k.schema.ImpliedType())}
		if r.ID != "" {
			ids = append(ids, r.ID)
		}
	}
	if len(ids) == 0 {
		return out, nil
	}
	vpcs, err := k.readVPCs(ctx, refs[0].Address, ids)
	if err != nil {
		return nil, err
	}
	for i, r := range refs {
		if v, ok := vpcs[r.ID]; ok {
			out[i].Actual, out[i].Exists = k.value(v), true
			out[i].Incomplete = v.missing()
		}
	}
	return out, nil
}

// Discover lists the VPCs carrying the stack's tags.
func (k *networkKind) Discover(ctx context.Context, stack, environment string) ([]providers.Discovered, error) {
	c := k.p.clients.ec2
	var vpcs []ec2types.Vpc
	for p := ec2.NewDescribeVpcsPaginator(c, &ec2.DescribeVpcsInput{Filters: []ec2types.Filter{
		tagFilter(providers.TagStack, stack), tagFilter(providers.TagEnvironment, environment),
	}}); p.HasMorePages(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, listError("discover", "the networks of "+stack+"/"+environment, "", err)
		}
		vpcs = append(vpcs, page.Vpcs...)
	}
	var ids []string
	for _, v := range vpcs {
		if tagValue(v.Tags, providers.TagAddress) != "" {
			ids = append(ids, sdk.ToString(v.VpcId))
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	parts, err := k.readVPCs(ctx, "the networks of "+stack+"/"+environment, ids)
	if err != nil {
		return nil, err
	}
	var out []providers.Discovered
	for _, v := range vpcs {
		id := sdk.ToString(v.VpcId)
		p, ok := parts[id]
		if !ok {
			continue
		}
		out = append(out, providers.Discovered{
			Ref:    providers.Ref{Address: tagValue(v.Tags, providers.TagAddress), Kind: kinds.Network, ID: id, Stack: stack, Environment: environment},
			Actual: k.value(p),
		})
	}
	return out, nil
}

// Delete takes the VPC apart in dependency order: it waits for the
// instances in it to go, then removes the internet gateway, the subnets,
// the route tables and the security groups (rules between tiers first),
// and the VPC. Parts already gone count as removed; a part still in use
// is retried until it is free or the wait times out.
func (k *networkKind) Delete(ctx context.Context, r providers.Ref, prior cty.Value) error {
	if r.ID == "" {
		return nil
	}
	c := k.p.clients.ec2
	vpcID := r.ID
	vpcFilter := []ec2types.Filter{{Name: sdk.String("vpc-id"), Values: []string{vpcID}}}
	fail := func(what string, err error) error { return awsError("delete", r.Address, what, err) }
	vpcs, err := c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{Filters: vpcFilter})
	if err != nil {
		return fail("", err)
	}
	if len(vpcs.Vpcs) == 0 {
		return nil
	}

	// Instances (groups, coordinators) must be gone first: their network
	// interfaces hold the subnets and security groups.
	err = k.p.waitFor(ctx, fmt.Sprintf("the instances in %s (%s) to terminate", r.Address, vpcID), func(ctx context.Context) (bool, error) {
		out, err := c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{Filters: append([]ec2types.Filter{
			{Name: sdk.String("instance-state-name"), Values: []string{"pending", "running", "stopping", "stopped", "shutting-down"}},
		}, vpcFilter...)})
		if err != nil {
			return false, fail("instances", err)
		}
		for _, res := range out.Reservations {
			if len(res.Instances) > 0 {
				return false, nil
			}
		}
		return true, nil
	})
	if err != nil {
		return r.Errorf("delete", "%w", err)
	}

	igws, err := c.DescribeInternetGateways(ctx, &ec2.DescribeInternetGatewaysInput{Filters: []ec2types.Filter{{Name: sdk.String("attachment.vpc-id"), Values: []string{vpcID}}}})
	if err != nil {
		return fail("internet gateway", err)
	}
	for _, g := range igws.InternetGateways {
		id := g.InternetGatewayId
		if err := k.untilFree(ctx, r, "internet gateway "+sdk.ToString(id), func(ctx context.Context) error {
			_, err := c.DetachInternetGateway(ctx, &ec2.DetachInternetGatewayInput{InternetGatewayId: id, VpcId: sdk.String(vpcID)})
			if err != nil && !isNotFound(err) && errorCode(err) != "Gateway.NotAttached" {
				return err
			}
			_, err = c.DeleteInternetGateway(ctx, &ec2.DeleteInternetGatewayInput{InternetGatewayId: id})
			return err
		}); err != nil {
			return err
		}
	}

	subnets, err := c.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: vpcFilter})
	if err != nil {
		return fail("subnets", err)
	}
	for _, sn := range subnets.Subnets {
		id := sn.SubnetId
		if err := k.untilFree(ctx, r, "subnet "+sdk.ToString(id), func(ctx context.Context) error {
			_, err := c.DeleteSubnet(ctx, &ec2.DeleteSubnetInput{SubnetId: id})
			return err
		}); err != nil {
			return err
		}
	}

	tables, err := c.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{Filters: vpcFilter})
	if err != nil {
		return fail("route tables", err)
	}
	for _, rt := range tables.RouteTables {
		main := false
		for _, a := range rt.Associations {
			if sdk.ToBool(a.Main) {
				main = true
				continue
			}
			if _, err := c.DisassociateRouteTable(ctx, &ec2.DisassociateRouteTableInput{AssociationId: a.RouteTableAssociationId}); err != nil && !isNotFound(err) {
				return fail("route table "+sdk.ToString(rt.RouteTableId), err)
			}
		}
		if main {
			continue // goes with the VPC
		}
		id := rt.RouteTableId
		if err := k.untilFree(ctx, r, "route table "+sdk.ToString(id), func(ctx context.Context) error {
			_, err := c.DeleteRouteTable(ctx, &ec2.DeleteRouteTableInput{RouteTableId: id})
			return err
		}); err != nil {
			return err
		}
	}

	sgs, err := c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: vpcFilter})
	if err != nil {
		return fail("security groups", err)
	}
	// Rules that name other groups first: a group named in another's
	// rule cannot be deleted.
	for _, g := range sgs.SecurityGroups {
		var refs []ec2types.IpPermission
		for _, p := range g.IpPermissions {
			if len(p.UserIdGroupPairs) > 0 {
				refs = append(refs, ec2types.IpPermission{IpProtocol: p.IpProtocol, FromPort: p.FromPort, ToPort: p.ToPort, UserIdGroupPairs: p.UserIdGroupPairs})
			}
		}
		if len(refs) == 0 {
			continue
		}
		if _, err := c.RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{GroupId: g.GroupId, IpPermissions: refs}); err != nil && !isNotFound(err) {
			return fail("security group "+sdk.ToString(g.GroupId)+" rules", err)
		}
	}
	for _, g := range sgs.SecurityGroups {
		if sdk.ToString(g.GroupName) == "default" {
			continue // goes with the VPC
		}
		id := g.GroupId
		if err := k.untilFree(ctx, r, "security group "+sdk.ToString(id), func(ctx context.Context) error {
			_, err := c.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: id})
			return err
		}); err != nil {
			return err
		}
	}

	return k.untilFree(ctx, r, "VPC "+vpcID, func(ctx context.Context) error {
		_, err := c.DeleteVpc(ctx, &ec2.DeleteVpcInput{VpcId: sdk.String(vpcID)})
		return err
	})
}

// untilFree runs a delete call until it succeeds or finds the part gone,
// retrying while AWS says something still uses it (a load balancer's or
// an instance's network interface letting go takes minutes on AWS).
func (k *kindBase) untilFree(ctx context.Context, r providers.Ref, part string, del func(ctx context.Context) error) error {
	var last error
	err := k.p.waitFor(ctx, fmt.Sprintf("%s of %s to be free to delete", part, r.Address), func(ctx context.Context) (bool, error) {
		err := del(ctx)
		switch {
		case err == nil || isNotFound(err):
			return true, nil
		case stillInUse(err):
			last = err
			return false, nil
		}
		return false, awsError("delete", r.Address, part, err)
	})
	if err != nil && last != nil && !isNotFound(last) {
		return r.Errorf("delete", "%w (last: %s)", err, awsError("delete", r.Address, part, last))
	}
	if err != nil {
		return err
	}
	return nil
}

// stillInUse reports whether err says a resource cannot go yet because
// something still depends on it.
func stillInUse(err error) bool {
	switch errorCode(err) {
	case "DependencyViolation", "ResourceInUse", "ResourceInUseFault", "InvalidGroup.InUse", "ScalingActivityInProgress", "InvalidParameterValue.InUse":
		return true
	}
	return false
}
