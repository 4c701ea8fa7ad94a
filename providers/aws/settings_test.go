package aws

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/zclconf/go-cty/cty"

	"github.com/stagecraft/stagecraft/providers"
	"github.com/stagecraft/stagecraft/providers/kinds"
	"github.com/stagecraft/stagecraft/providers/providertest"
)

// TestProviderSettings decodes provider blocks: the settings a block
// gives, and for a bad one a diagnostic that names the setting and says
// what it takes.
func TestProviderSettings(t *testing.T) {
	t.Parallel()
	str := cty.StringVal
	tests := map[string]struct {
		block    map[string]cty.Value
		check    func(settings) string
		wantDiag []string
	}{
		"defaults": {
			block: map[string]cty.Value{},
			check: func(s settings) string {
				if s.WaitTimeout != 15*time.Minute || s.PollInterval != 5*time.Second || s.RetryMaxBackoff != 0 || s.CacheDeleteTimeout != 0 {
					return "not the documented defaults"
				}
				return ""
			},
		},
		"everything": {
			block: map[string]cty.Value{
				"region": str("eu-west-1"), "profile": str("deploy"), "endpoint_url": str("http://127.0.0.1:5000"),
				"assume_role":  cty.ObjectVal(map[string]cty.Value{"role_arn": str("arn:aws:iam::123456789012:role/deploy"), "external_id": str("x")}),
				"default_tags": cty.ObjectVal(map[string]cty.Value{"team": str("shop")}),
				"vpc_id":       str("vpc-1"), "subnet_ids": cty.TupleVal([]cty.Value{str("subnet-1"), str("subnet-2")}),
				"wait_timeout": str("2m"), "poll_interval": str("1s"), "retry_max_backoff": str("500ms"), "cache_delete_timeout": str("3s"),
			},
			check: func(s settings) string {
				switch {
				case s.Region != "eu-west-1" || s.Profile != "deploy" || s.EndpointURL != "http://127.0.0.1:5000":
					return "region, profile or endpoint_url"
				case s.AssumeRole == nil || s.AssumeRole.RoleARN != "arn:aws:iam::123456789012:role/deploy" || s.AssumeRole.ExternalID != "x":
					return "assume_role"
				case s.DefaultTags["team"] != "shop" || s.VPCID != "vpc-1" || strings.Join(s.SubnetIDs, ",") != "subnet-1,subnet-2":
					return "default_tags, vpc_id or subnet_ids"
				case s.WaitTimeout != 2*time.Minute || s.PollInterval != time.Second || s.RetryMaxBackoff != 500*time.Millisecond || s.CacheDeleteTimeout != 3*time.Second:
					return "a duration"
				}
				return ""
			},
		},
		"unknown setting":          {block: map[string]cty.Value{"regin": str("eu-west-1")}, wantDiag: []string{`no setting "regin"`, "region"}},
		"bad duration":             {block: map[string]cty.Value{"wait_timeout": str("soon")}, wantDiag: []string{"wait_timeout", `"soon" is not a duration`}},
		"negative duration":        {block: map[string]cty.Value{"retry_max_backoff": str("-1s")}, wantDiag: []string{"retry_max_backoff", "not a duration"}},
		"subnets without a vpc":    {block: map[string]cty.Value{"subnet_ids": cty.TupleVal([]cty.Value{str("subnet-1")})}, wantDiag: []string{"set vpc_id too"}},
		"assume_role without arn":  {block: map[string]cty.Value{"assume_role": cty.ObjectVal(map[string]cty.Value{"session_name": str("x")})}, wantDiag: []string{"assume_role needs role_arn"}},
		"assume_role unknown key":  {block: map[string]cty.Value{"assume_role": cty.ObjectVal(map[string]cty.Value{"role_arn": str("a"), "duration": str("1h")})}, wantDiag: []string{`no attribute "duration"`}},
		"default_tags not strings": {block: map[string]cty.Value{"default_tags": str("team=shop")}, wantDiag: []string{"default_tags must be"}},
		"not known yet":            {block: map[string]cty.Value{"region": cty.UnknownVal(cty.String)}, wantDiag: []string{"region must be known"}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s, diags := decodeSettings(cty.ObjectVal(tt.block))
			if len(tt.wantDiag) == 0 {
				if diags.HasErrors() {
					t.Fatalf("decode: %s", diags.Error())
				}
				if what := tt.check(s); what != "" {
					t.Errorf("decoded %+v: %s wrong", s, what)
				}
				return
			}
			if !diags.HasErrors() {
				t.Fatalf("decode accepted %v", tt.block)
			}
			for _, w := range tt.wantDiag {
				if !strings.Contains(diags.Error(), w) {
					t.Errorf("diagnostic %q lacks %q", diags.Error(), w)
				}
			}
		})
	}
}

// TestAssumeRole configures the provider to assume a role through STS
// (moto's) and creates a network with the role's credentials; default
// tags land on what it makes.
func TestAssumeRole(t *testing.T) {
	t.Parallel()
	p, _ := newTestProvider(t, map[string]cty.Value{
		"assume_role":  cty.ObjectVal(map[string]cty.Value{"role_arn": cty.StringVal("arn:aws:iam::123456789012:role/deploy"), "session_name": cty.StringVal("stagecraft-test")}),
		"default_tags": cty.MapVal(map[string]cty.Value{"team": cty.StringVal("shop")}),
	})
	k, _ := p.Kind(kinds.Network)
	r := providers.Ref{Address: "network.main", Kind: kinds.Network, Stack: "shop-" + t.Name(), Environment: "prod"}
	v, err := k.Create(t.Context(), r, providertest.Desired(k.Schema(), nil))
	if err != nil {
		t.Fatalf("create with an assumed role: %v", err)
	}
	r.ID = v.GetAttr("id").AsString()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := k.Delete(ctx, r, v); err != nil {
			t.Errorf("clean up %s: %v", r.Address, err)
		}
	})
	creds, err := p.(*provider).clients.ec2.Options().Credentials.Retrieve(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if creds.Source != "AssumeRoleProvider" || creds.AccessKeyID == "testing" {
		t.Errorf("the clients use credentials from %q (%s), want the assumed role's", creds.Source, creds.AccessKeyID)
	}
	out, err := p.(*provider).clients.ec2.DescribeVpcs(t.Context(), &ec2.DescribeVpcsInput{VpcIds: []string{r.ID}})
	if err != nil || len(out.Vpcs) != 1 {
		t.Fatalf("describe %s: %v", r.ID, err)
	}
	if got := tagValue(out.Vpcs[0].Tags, "team"); got != "shop" {
		t.Errorf("the VPC's team tag = %q, want the default tag shop", got)
	}
}
