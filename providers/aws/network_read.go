package aws

import (
	"context"
	"sort"
	"strconv"
	"strings"

	sdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/zclconf/go-cty/cty"
)

// tagZones, on a VPC, is the number of availability zones it was made
// for, so that a VPC whose create stopped before all its subnets existed
// reads as the network it is meant to be, lacking parts, rather than as
// a smaller one (which would force a replacement).
const tagZones = "stagecraft:availability-zones"

// vpcParts is a VPC with everything a network puts in it, as read.
type vpcParts struct {
	vpc      ec2types.Vpc
	subnets  []ec2types.Subnet
	gateways []ec2types.InternetGateway // attached to the VPC
	tables   []ec2types.RouteTable
	groups   []ec2types.SecurityGroup
}

// readVPCs reads each VPC of ids that exists with its parts, in one call
// per kind of part. Filters (rather than VpcIds) make a missing VPC absent
// instead of an error.
func (k *networkKind) readVPCs(ctx context.Context, addr string, ids []string) (map[string]*vpcParts, error) {
	c := k.p.clients.ec2
	idFilter := []ec2types.Filter{{Name: sdk.String("vpc-id"), Values: ids}}
	out := map[string]*vpcParts{}
	for p := ec2.NewDescribeVpcsPaginator(c, &ec2.DescribeVpcsInput{Filters: idFilter}); p.HasMorePages(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, awsError("read", addr, "", err)
		}
		for _, v := range page.Vpcs {
			out[sdk.ToString(v.VpcId)] = &vpcParts{vpc: v}
		}
	}
	if len(out) == 0 {
		return out, nil
	}
	for p := ec2.NewDescribeSubnetsPaginator(c, &ec2.DescribeSubnetsInput{Filters: idFilter}); p.HasMorePages(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, awsError("read the subnets of", addr, "", err)
		}
		for _, sn := range page.Subnets {
			if v := out[sdk.ToString(sn.VpcId)]; v != nil {
				v.subnets = append(v.subnets, sn)
			}
		}
	}
	for p := ec2.NewDescribeInternetGatewaysPaginator(c, &ec2.DescribeInternetGatewaysInput{Filters: []ec2types.Filter{
		{Name: sdk.String("attachment.vpc-id"), Values: ids},
	}}); p.HasMorePages(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, awsError("read the internet gateway of", addr, "", err)
		}
		for _, g := range page.InternetGateways {
			for _, a := range g.Attachments {
				if v := out[sdk.ToString(a.VpcId)]; v != nil {
					v.gateways = append(v.gateways, g)
				}
			}
		}
	}
	for p := ec2.NewDescribeRouteTablesPaginator(c, &ec2.DescribeRouteTablesInput{Filters: idFilter}); p.HasMorePages(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, awsError("read the route tables of", addr, "", err)
		}
		for _, t := range page.RouteTables {
			if v := out[sdk.ToString(t.VpcId)]; v != nil {
				v.tables = append(v.tables, t)
			}
		}
	}
	for p := ec2.NewDescribeSecurityGroupsPaginator(c, &ec2.DescribeSecurityGroupsInput{Filters: idFilter}); p.HasMorePages(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, awsError("read the security groups of", addr, "", err)
		}
		for _, g := range page.SecurityGroups {
			if v := out[sdk.ToString(g.VpcId)]; v != nil {
				v.groups = append(v.groups, g)
			}
		}
	}
	return out, nil
}

// tierSubnets returns the VPC's subnets of tier ("public" or "private"),
// ordered by zone.
func (v *vpcParts) tierSubnets(tier string) []ec2types.Subnet {
	var out []ec2types.Subnet
	for _, sn := range v.subnets {
		if tagValue(sn.Tags, tagTier) == tier {
			out = append(out, sn)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if sdk.ToString(a.AvailabilityZone) != sdk.ToString(b.AvailabilityZone) {
			return sdk.ToString(a.AvailabilityZone) < sdk.ToString(b.AvailabilityZone)
		}
		return sdk.ToString(a.SubnetId) < sdk.ToString(b.SubnetId)
	})
	return out
}

// zones returns the number of availability zones the network is made for:
// its tagZones tag, or, on a VPC made before the tag, the zones its public
// subnets span.
func (v *vpcParts) zones() int {
	if n, err := strconv.Atoi(tagValue(v.vpc.Tags, tagZones)); err == nil && n > 0 {
		return n
	}
	return len(subnetZones(v.tierSubnets("public")))
}

// subnetZones returns the distinct zones of subnets.
func subnetZones(subnets []ec2types.Subnet) map[string]bool {
	out := map[string]bool{}
	for _, sn := range subnets {
		out[sdk.ToString(sn.AvailabilityZone)] = true
	}
	return out
}

// value is the actual value of a network: its range, the number of zones
// it is made for, and its subnets ordered by zone.
func (k *networkKind) value(v *vpcParts) cty.Value {
	ids := func(subnets []ec2types.Subnet) []string {
		out := make([]string, len(subnets))
		for i, sn := range subnets {
			out[i] = sdk.ToString(sn.SubnetId)
		}
		return out
	}
	return valObject(k.schema.ImpliedType(), map[string]cty.Value{
		"cidr_block":         cty.StringVal(sdk.ToString(v.vpc.CidrBlock)),
		"availability_zones": cty.NumberIntVal(int64(v.zones())),
		"id":                 cty.StringVal(sdk.ToString(v.vpc.VpcId)),
		"public_subnet_ids":  valStrings(ids(v.tierSubnets("public"))),
		"private_subnet_ids": valStrings(ids(v.tierSubnets("private"))),
	})
}

// missing says in one sentence what the network lacks of what ensureParts
// makes, "" when it is complete: a subnet per tier and zone (public ones
// giving instances a public address), an attached internet gateway, a
// public route table routing 0.0.0.0/0 to it and a private one, each
// subnet associated with its tier's table, and the three tier security
// groups with the rules between them.
func (v *vpcParts) missing() string {
	var lacks []string
	zones := v.zones()
	for _, tier := range []string{"public", "private"} {
		subnets := v.tierSubnets(tier)
		if n := len(subnetZones(subnets)); n < zones {
			lacks = append(lacks, tier+" subnets in "+strconv.Itoa(zones-n)+" of its "+strconv.Itoa(zones)+" zones")
		}
		if tier != "public" {
			continue
		}
		for _, sn := range subnets {
			if !sdk.ToBool(sn.MapPublicIpOnLaunch) {
				lacks = append(lacks, "public addresses in public subnet "+sdk.ToString(sn.SubnetId))
			}
		}
	}
	gateway := ""
	if len(v.gateways) > 0 {
		gateway = sdk.ToString(v.gateways[0].InternetGatewayId)
	} else {
		lacks = append(lacks, "its internet gateway")
	}
	for _, tier := range []string{"public", "private"} {
		var table *ec2types.RouteTable
		for i := range v.tables {
			if tagValue(v.tables[i].Tags, tagTier) == tier {
				table = &v.tables[i]
				break
			}
		}
		if table == nil {
			lacks = append(lacks, "its "+tier+" route table")
			continue
		}
		if tier == "public" && gateway != "" && !routesTo(*table, "0.0.0.0/0", gateway) {
			lacks = append(lacks, "the public route to its internet gateway")
		}
		associated := map[string]bool{}
		for _, a := range table.Associations {
			associated[sdk.ToString(a.SubnetId)] = true
		}
		for _, sn := range v.tierSubnets(tier) {
			if !associated[sdk.ToString(sn.SubnetId)] {
				lacks = append(lacks, "the "+tier+" route table's association with subnet "+sdk.ToString(sn.SubnetId))
			}
		}
	}
	groups := map[string]ec2types.SecurityGroup{}
	for _, g := range v.groups {
		if role := tagValue(g.Tags, tagGroup); role != "" {
			groups[role] = g
		}
	}
	for _, role := range networkTiers {
		if _, ok := groups[role]; !ok {
			lacks = append(lacks, "its "+role+" security group")
		}
	}
	for _, rule := range networkRules {
		to, ok1 := groups[rule.to]
		from, ok2 := groups[rule.from]
		if ok1 && ok2 && !sgAllowsGroup(to, sdk.ToString(from.GroupId)) {
			lacks = append(lacks, "the rule letting the "+rule.from+" tier into the "+rule.to+" tier")
		}
	}
	if len(lacks) == 0 {
		return ""
	}
	return "the network lacks " + joinSentence(lacks) + "; the update makes what is missing"
}

// routesTo reports whether table routes destination to gateway.
func routesTo(table ec2types.RouteTable, destination, gateway string) bool {
	for _, rt := range table.Routes {
		if sdk.ToString(rt.DestinationCidrBlock) == destination && sdk.ToString(rt.GatewayId) == gateway {
			return true
		}
	}
	return false
}

// joinSentence joins items as "a, b and c".
func joinSentence(items []string) string {
	if len(items) <= 1 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}
