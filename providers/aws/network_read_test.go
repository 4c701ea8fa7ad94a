package aws

import (
	"strings"
	"testing"

	sdk "github.com/aws/aws-sdk-go-v2/aws"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// completeVPC is a two-zone network with every part ensureParts makes.
func completeVPC() *vpcParts {
	tag := func(k, v string) []ec2types.Tag { return []ec2types.Tag{{Key: sdk.String(k), Value: sdk.String(v)}} }
	v := &vpcParts{vpc: ec2types.Vpc{VpcId: sdk.String("vpc-1"), CidrBlock: sdk.String("10.0.0.0/16"), Tags: tag(tagZones, "2")}}
	public := &ec2types.RouteTable{Tags: tag(tagTier, "public"), Routes: []ec2types.Route{{DestinationCidrBlock: sdk.String("0.0.0.0/0"), GatewayId: sdk.String("igw-1")}}}
	private := &ec2types.RouteTable{Tags: tag(tagTier, "private")}
	for _, zone := range []string{"a", "b"} {
		for _, tier := range []string{"public", "private"} {
			id := "subnet-" + tier + "-" + zone
			v.subnets = append(v.subnets, ec2types.Subnet{SubnetId: sdk.String(id), AvailabilityZone: sdk.String("us-west-2" + zone),
				Tags: tag(tagTier, tier), MapPublicIpOnLaunch: sdk.Bool(tier == "public")})
			table := private
			if tier == "public" {
				table = public
			}
			table.Associations = append(table.Associations, ec2types.RouteTableAssociation{SubnetId: sdk.String(id)})
		}
	}
	v.tables = []ec2types.RouteTable{*public, *private}
	v.gateways = []ec2types.InternetGateway{{InternetGatewayId: sdk.String("igw-1")}}
	for _, role := range networkTiers {
		v.groups = append(v.groups, ec2types.SecurityGroup{GroupId: sdk.String("sg-" + role), Tags: tag(tagGroup, role)})
	}
	for _, rule := range networkRules {
		for i := range v.groups {
			if tagValue(v.groups[i].Tags, tagGroup) == rule.to {
				v.groups[i].IpPermissions = append(v.groups[i].IpPermissions, ec2types.IpPermission{IpProtocol: sdk.String("tcp"), FromPort: sdk.Int32(0), ToPort: sdk.Int32(65535),
					UserIdGroupPairs: []ec2types.UserIdGroupPair{{GroupId: sdk.String("sg-" + rule.from)}}})
			}
		}
	}
	return v
}

// TestNetworkReadSaysWhatIsMissing checks the sentence a network's read
// gives for each part an interrupted create may have left out, and none
// for a complete network.
func TestNetworkReadSaysWhatIsMissing(t *testing.T) {
	t.Parallel()
	if got := completeVPC().missing(); got != "" {
		t.Fatalf("a complete network reads as lacking: %s", got)
	}
	for _, c := range []struct {
		name string
		drop func(v *vpcParts)
		want string
	}{
		{"no subnets", func(v *vpcParts) { v.subnets = nil }, "public subnets in 2 of its 2 zones and private subnets in 2 of its 2 zones"},
		{"one zone", func(v *vpcParts) { v.subnets = v.subnets[:2] }, "public subnets in 1 of its 2 zones"},
		{"no public addresses", func(v *vpcParts) { v.subnets[0].MapPublicIpOnLaunch = sdk.Bool(false) }, "public addresses in public subnet subnet-public-a"},
		{"no gateway", func(v *vpcParts) { v.gateways = nil }, "its internet gateway"},
		{"no route", func(v *vpcParts) { v.tables[0].Routes = nil }, "the public route to its internet gateway"},
		{"no private table", func(v *vpcParts) { v.tables = v.tables[:1] }, "its private route table"},
		{"no association", func(v *vpcParts) { v.tables[1].Associations = v.tables[1].Associations[:1] }, "association with subnet subnet-private-b"},
		{"no data group", func(v *vpcParts) { v.groups = v.groups[:2] }, "its data security group"},
		{"no rule", func(v *vpcParts) { v.groups[1].IpPermissions = nil }, "the rule letting the lb tier into the app tier"},
	} {
		v := completeVPC()
		c.drop(v)
		got := v.missing()
		if !strings.Contains(got, c.want) || !strings.HasSuffix(got, "; the update makes what is missing") {
			t.Errorf("%s: the read says %q, want it to name %q", c.name, got, c.want)
		}
	}
	// A VPC made before VPCs recorded their zones counts its public
	// subnets' zones.
	v := completeVPC()
	v.vpc.Tags = nil
	v.subnets = v.subnets[:2]
	if n := v.zones(); n != 1 {
		t.Errorf("an untagged VPC with subnets in one zone reads as %d zones, want 1", n)
	}
}
