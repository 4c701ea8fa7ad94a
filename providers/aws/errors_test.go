package aws

import (
	"strings"
	"testing"
	"time"

	sdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/zclconf/go-cty/cty"

	"github.com/stagecraft/stagecraft/providers"
	"github.com/stagecraft/stagecraft/providers/kinds"
	"github.com/stagecraft/stagecraft/providers/providertest"
)

// TestAWSErrorsNameCodeAddressAndAttribute: an error AWS does not retry
// (here a subnet in subnet_ids that does not exist) surfaces with AWS's
// error code and message, the address and the attribute it concerns.
func TestAWSErrorsNameCodeAddressAndAttribute(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, 30*time.Second)
	vpcs, err := e.clients().ec2.DescribeVpcs(e.ctx, &ec2.DescribeVpcsInput{Filters: []ec2types.Filter{{Name: sdk.String("is-default"), Values: []string{"true"}}}})
	if err != nil || len(vpcs.Vpcs) == 0 {
		t.Fatalf("the default VPC of %s: %v", e.region, err)
	}
	cfg := motoConfig(motoURL, e.region).AsValueMap()
	cfg["vpc_id"] = cty.StringVal(sdk.ToString(vpcs.Vpcs[0].VpcId))
	cfg["subnet_ids"] = cty.ListVal([]cty.Value{cty.StringVal("subnet-deadbeef")})
	e.p = New()
	if d := e.p.Configure(e.ctx, cty.ObjectVal(cfg)); d.HasErrors() {
		t.Fatal(d.Error())
	}
	for kind, a := range map[string]attrs{
		kinds.AutoscalingGroup: groupAttrs(testAMI, nil),
		kinds.LoadBalancer:     lbAttrs("http", route("/", "autoscaling_group.app", -1)),
	} {
		r := e.ref(kind, "bad")
		v, err := e.kind(kind).Create(e.ctx, r, e.desired(kind, a))
		if err == nil {
			r.ID = v.GetAttr("id").AsString()
			e.made = append(e.made, r)
			t.Errorf("create %s in a subnet that does not exist succeeded", r.Address)
			continue
		}
		if msg := err.Error(); !containsAll(msg, r.Address, "AWS InvalidSubnetID.NotFound", "subnet-deadbeef", "(network)") {
			t.Errorf("create %s in a subnet that does not exist: %q; want the address, the attribute (network) and AWS's code and message", r.Address, msg)
		}
		if strings.Contains(err.Error(), "attempts") {
			t.Errorf("create %s: %q; a NotFound error is not retried", r.Address, err)
		}
	}
}

// TestNoCredentials: without credentials the first call fails with a
// sentence that says so and how to give them, naming the address. It does
// not run in parallel: it empties the package's credential variables.
func TestNoCredentials(t *testing.T) {
	url := moto(t)
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"} {
		t.Setenv(k, "")
	}
	p := New()
	if d := p.Configure(t.Context(), motoConfig(url, "us-east-1")); d.HasErrors() {
		t.Fatalf("Configure calls no AWS and needs no credentials, yet: %s", d.Error())
	}
	k, _ := p.Kind(kinds.Network)
	r := providers.Ref{Address: "network.main", Kind: kinds.Network, Stack: "shop", Environment: "prod"}
	_, err := k.Create(t.Context(), r, providertest.Desired(k.Schema(), nil))
	if err == nil || !containsAll(err.Error(), "network.main", "no AWS credentials could be loaded", "AWS_PROFILE") {
		t.Errorf("create without credentials: %v; want the address, that no credentials were found and how to give them", err)
	}
}
