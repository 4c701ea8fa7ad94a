package aws

import (
	"context"
	"sort"

	sdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/stagecraft/stagecraft/providers"
)

// Tags on the parts of a network, besides the stagecraft:* tags of the
// network resource itself: which tier a subnet serves, and which role a
// security group plays.
const (
	tagTier  = "stagecraft:tier"           // "public" or "private" (subnets)
	tagGroup = "stagecraft:security-group" // "lb", "app" or "data"
)

// netInfo is where a resource goes: the VPC, its subnets per tier, and the
// security group of each tier (load balancers open on their listener
// ports; app instances open only to the load balancers' group; caches and
// coordinators open only to the app group).
type netInfo struct {
	VPCID          string
	PublicSubnets  []string
	PrivateSubnets []string
	LBGroup        string
	AppGroup       string
	DataGroup      string
}

// lookupNetwork finds the network a resource is placed in: the network
// resource named by networkAddr (an address such as "network.main", found
// by its tags), else the provider's vpc_id and subnet_ids, else the
// region's default VPC. Security groups exist only for network resources;
// elsewhere they are empty and resources use the VPC's default group.
func (k *kindBase) lookupNetwork(ctx context.Context, r providers.Ref, networkAddr string) (*netInfo, error) {
	c := k.p.clients.ec2
	s := k.p.settings
	switch {
	case networkAddr != "":
		vpcs, err := c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{Filters: []ec2types.Filter{
			tagFilter(providers.TagStack, r.Stack), tagFilter(providers.TagEnvironment, r.Environment), tagFilter(providers.TagAddress, networkAddr),
		}})
		if err != nil {
			return nil, awsError("find the network of", r.Address, "network", err)
		}
		if len(vpcs.Vpcs) == 0 {
			return nil, r.Sentencef("", "%s is placed in %s, which does not exist at AWS yet", r.Address, networkAddr)
		}
		info := &netInfo{VPCID: sdk.ToString(vpcs.Vpcs[0].VpcId)}
		subnets, err := c.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: []ec2types.Filter{{Name: sdk.String("vpc-id"), Values: []string{info.VPCID}}}})
		if err != nil {
			return nil, awsError("find the subnets of", r.Address, "network", err)
		}
		for _, sn := range subnets.Subnets {
			switch tagValue(sn.Tags, tagTier) {
			case "public":
				info.PublicSubnets = append(info.PublicSubnets, sdk.ToString(sn.SubnetId))
			case "private":
				info.PrivateSubnets = append(info.PrivateSubnets, sdk.ToString(sn.SubnetId))
			}
		}
		groups, err := c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: []ec2types.Filter{{Name: sdk.String("vpc-id"), Values: []string{info.VPCID}}}})
		if err != nil {
			return nil, awsError("find the security groups of", r.Address, "network", err)
		}
		for _, g := range groups.SecurityGroups {
			switch tagValue(g.Tags, tagGroup) {
			case "lb":
				info.LBGroup = sdk.ToString(g.GroupId)
			case "app":
				info.AppGroup = sdk.ToString(g.GroupId)
			case "data":
				info.DataGroup = sdk.ToString(g.GroupId)
			}
		}
		sort.Strings(info.PublicSubnets)
		sort.Strings(info.PrivateSubnets)
		return info, nil
	case s.VPCID != "":
		info := &netInfo{VPCID: s.VPCID, PublicSubnets: s.SubnetIDs, PrivateSubnets: s.SubnetIDs}
		if len(s.SubnetIDs) == 0 {
			ids, err := k.vpcSubnets(ctx, r, s.VPCID)
			if err != nil {
				return nil, err
			}
			info.PublicSubnets, info.PrivateSubnets = ids, ids
		}
		return info, nil
	}
	vpcs, err := c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{Filters: []ec2types.Filter{{Name: sdk.String("is-default"), Values: []string{"true"}}}})
	if err != nil {
		return nil, awsError("find the default VPC for", r.Address, "", err)
	}
	if len(vpcs.Vpcs) == 0 {
		return nil, r.Sentencef("", "%s has no network and the region has no default VPC; add a network resource, or set vpc_id in the provider block", r.Address)
	}
	id := sdk.ToString(vpcs.Vpcs[0].VpcId)
	ids, err := k.vpcSubnets(ctx, r, id)
	if err != nil {
		return nil, err
	}
	return &netInfo{VPCID: id, PublicSubnets: ids, PrivateSubnets: ids}, nil
}

func (k *kindBase) vpcSubnets(ctx context.Context, r providers.Ref, vpc string) ([]string, error) {
	out, err := k.p.clients.ec2.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: []ec2types.Filter{{Name: sdk.String("vpc-id"), Values: []string{vpc}}}})
	if err != nil {
		return nil, awsError("find the subnets for", r.Address, "", err)
	}
	var ids []string
	for _, sn := range out.Subnets {
		ids = append(ids, sdk.ToString(sn.SubnetId))
	}
	sort.Strings(ids)
	return ids, nil
}

// tagFilter filters EC2 resources by one tag.
func tagFilter(key, value string) ec2types.Filter {
	return ec2types.Filter{Name: sdk.String("tag:" + key), Values: []string{value}}
}

// tagValue reads one tag of an EC2 resource.
func tagValue(tags []ec2types.Tag, key string) string {
	for _, t := range tags {
		if sdk.ToString(t.Key) == key {
			return sdk.ToString(t.Value)
		}
	}
	return ""
}

// ec2Tags renders tags for EC2 requests, in key order.
func ec2Tags(m map[string]string) []ec2types.Tag {
	out := make([]ec2types.Tag, 0, len(m))
	for _, k := range sortedTagKeys(m) {
		out = append(out, ec2types.Tag{Key: sdk.String(k), Value: sdk.String(m[k])})
	}
	return out
}
