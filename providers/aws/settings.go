package aws

import (
	"fmt"
	"sort"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// settings are the provider block's attributes.
type settings struct {
	Region      string
	Profile     string
	EndpointURL string
	AssumeRole  *assumeRole
	DefaultTags map[string]string
	// VPCID and SubnetIDs use an existing network instead of a network
	// resource.
	VPCID     string
	SubnetIDs []string
	// WaitTimeout bounds every wait (a load balancer becoming active, a
	// cache finishing deletion); PollInterval is the time between checks.
	WaitTimeout  time.Duration
	PollInterval time.Duration
	// CacheDeleteTimeout, when set, bounds the wait for a deleted cache
	// to disappear; a cache still "deleting" after it counts as gone. It
	// is for emulators such as moto, which never finish deleting one.
	CacheDeleteTimeout time.Duration
	// RetryMaxBackoff caps the wait between two tries of a throttled or
	// failed call; zero keeps the SDK's 20 s.
	RetryMaxBackoff time.Duration
}

type assumeRole struct {
	RoleARN     string
	SessionName string
	ExternalID  string
}

// settingSpec describes one attribute of the provider block.
type settingSpec struct {
	name, doc string
	ty        cty.Type
	set       func(*settings, cty.Value) error
}

var settingSpecs = []settingSpec{
	{"region", "the AWS region, such as \"us-east-1\" (default: AWS_REGION)", cty.String, func(s *settings, v cty.Value) error { s.Region = v.AsString(); return nil }},
	{"profile", "a profile of ~/.aws/config", cty.String, func(s *settings, v cty.Value) error { s.Profile = v.AsString(); return nil }},
	{"endpoint_url", "one endpoint for every service (a test endpoint such as moto_server)", cty.String, func(s *settings, v cty.Value) error { s.EndpointURL = v.AsString(); return nil }},
	{"assume_role", "{ role_arn, session_name, external_id }", cty.DynamicPseudoType, setAssumeRole},
	{"default_tags", "tags added to everything created", cty.Map(cty.String), func(s *settings, v cty.Value) error {
		s.DefaultTags = map[string]string{}
		for k, e := range v.AsValueMap() {
			s.DefaultTags[k] = e.AsString()
		}
		return nil
	}},
	{"vpc_id", "an existing VPC to use instead of a network resource", cty.String, func(s *settings, v cty.Value) error { s.VPCID = v.AsString(); return nil }},
	{"subnet_ids", "subnets of that VPC", cty.List(cty.String), func(s *settings, v cty.Value) error {
		for _, e := range v.AsValueSlice() {
			s.SubnetIDs = append(s.SubnetIDs, e.AsString())
		}
		return nil
	}},
	{"wait_timeout", "how long to wait for AWS to finish an operation (default \"15m\")", cty.String, func(s *settings, v cty.Value) error {
		return setDuration(&s.WaitTimeout, v, "10m")
	}},
	{"poll_interval", "time between checks while waiting (default \"5s\")", cty.String, func(s *settings, v cty.Value) error {
		return setDuration(&s.PollInterval, v, "5s")
	}},
	{"retry_max_backoff", "the longest wait between two tries of a throttled or failed call (default \"20s\", the SDK's)", cty.String, func(s *settings, v cty.Value) error {
		return setDuration(&s.RetryMaxBackoff, v, "20s")
	}},
	{"cache_delete_timeout", "how long a cache delete waits before a cache still \"deleting\" counts as gone (for test endpoints such as moto, which never finish; default: wait_timeout, then fail)", cty.String, func(s *settings, v cty.Value) error {
		return setDuration(&s.CacheDeleteTimeout, v, "30s")
	}},
}

// setDuration parses a positive duration setting into d; example shows
// the form in the error.
func setDuration(d *time.Duration, v cty.Value, example string) error {
	parsed, err := time.ParseDuration(v.AsString())
	if err != nil || parsed <= 0 {
		return fmt.Errorf("%q is not a duration such as \"%s\"", v.AsString(), example)
	}
	*d = parsed
	return nil
}

func setAssumeRole(s *settings, v cty.Value) error {
	if !v.Type().IsObjectType() && !v.Type().IsMapType() {
		return fmt.Errorf("assume_role takes an object such as { role_arn = \"arn:aws:iam::123456789012:role/deploy\" }")
	}
	ar := &assumeRole{}
	for k, e := range v.AsValueMap() {
		if e.IsNull() {
			continue
		}
		sv, err := convert.Convert(e, cty.String)
		if err != nil {
			return fmt.Errorf("assume_role.%s must be a string", k)
		}
		switch k {
		case "role_arn":
			ar.RoleARN = sv.AsString()
		case "session_name":
			ar.SessionName = sv.AsString()
		case "external_id":
			ar.ExternalID = sv.AsString()
		default:
			return fmt.Errorf("assume_role has no attribute %q; it takes role_arn, session_name and external_id", k)
		}
	}
	if ar.RoleARN == "" {
		return fmt.Errorf("assume_role needs role_arn")
	}
	s.AssumeRole = ar
	return nil
}

func decodeSettings(config cty.Value) (settings, hcl.Diagnostics) {
	s := settings{WaitTimeout: 15 * time.Minute, PollInterval: 5 * time.Second}
	var diags hcl.Diagnostics
	if config == cty.NilVal || config.IsNull() || !config.Type().IsObjectType() {
		return s, diags
	}
	specs := map[string]settingSpec{}
	var names []string
	for _, sp := range settingSpecs {
		specs[sp.name] = sp
		names = append(names, sp.name)
	}
	given := config.AsValueMap()
	keys := make([]string, 0, len(given))
	for k := range given {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := given[k]
		sp, ok := specs[k]
		if !ok {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Unsupported argument",
				Detail: fmt.Sprintf("The aws provider has no setting %q; its settings are %v.", k, names)})
			continue
		}
		if v.IsNull() {
			continue
		}
		if !v.IsWhollyKnown() {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Setting not known",
				Detail: fmt.Sprintf("The aws provider's %s must be known before anything is created.", k)})
			continue
		}
		v, _ = v.UnmarkDeep()
		if sp.ty != cty.DynamicPseudoType {
			cv, err := convert.Convert(v, sp.ty)
			if err != nil {
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid aws provider setting",
					Detail: fmt.Sprintf("%s must be %s: %s.", k, sp.doc, err)})
				continue
			}
			v = cv
		}
		if err := sp.set(&s, v); err != nil {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid aws provider setting",
				Detail: fmt.Sprintf("%s: %s.", k, err)})
		}
	}
	if len(s.SubnetIDs) > 0 && s.VPCID == "" {
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "subnet_ids without vpc_id",
			Detail: "subnet_ids name subnets of an existing VPC; set vpc_id too."})
	}
	return s, diags
}
