package s3

import (
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"github.com/zclconf/go-cty/cty/gocty"
)

// Config is an environment's `backend "s3" { ... }` block.
type Config struct {
	// Bucket holds the state; it should have versioning enabled so that
	// `stagecraft state history` can list earlier states.
	Bucket string
	// Key is the state object's key ("shop/prod.json"). The lock is
	// KEY.lock and the journal of an apply in progress lives under
	// KEY.journal/.
	Key string
	// Region is the bucket's region; empty means the AWS configuration's.
	Region string
	// EndpointURL points at an S3-compatible service (moto in tests);
	// empty means AWS. Requests then use path-style addressing.
	EndpointURL string
	// Encrypt asks S3 to encrypt the objects at rest (SSE-S3, or SSE-KMS
	// with KMSKeyID).
	Encrypt bool
	// KMSKeyID is the KMS key for SSE-KMS; it implies Encrypt.
	KMSKeyID string
	// Credentials, when set, are used instead of the default AWS
	// credential chain. They are not part of the block: the command line
	// fills them in from the environment it is given.
	Credentials aws.CredentialsProvider
}

// attributes are the attributes the s3 backend block takes.
var attributes = map[string]cty.Type{
	"bucket":       cty.String,
	"key":          cty.String,
	"region":       cty.String,
	"endpoint_url": cty.String,
	"encrypt":      cty.Bool,
	"kms_key_id":   cty.String,
}

// DecodeConfig reads a backend "s3" block. As in Terraform, the block
// takes literal values only: the state has to be found before variables
// can be evaluated.
func DecodeConfig(body hcl.Body, block hcl.Range) (Config, hcl.Diagnostics) {
	var cfg Config
	attrs, diags := body.JustAttributes()
	fields := map[string]any{
		"bucket": &cfg.Bucket, "key": &cfg.Key, "region": &cfg.Region,
		"endpoint_url": &cfg.EndpointURL, "encrypt": &cfg.Encrypt, "kms_key_id": &cfg.KMSKeyID,
	}
	names := make([]string, 0, len(attributes))
	for n := range attributes {
		names = append(names, n)
	}
	sort.Strings(names)
	for name, attr := range attrs {
		ty, ok := attributes[name]
		if !ok {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Unsupported backend attribute",
				Detail:  fmt.Sprintf("The s3 backend takes %s; remove %q.", strings.Join(names, ", "), name),
				Subject: attr.NameRange.Ptr()})
			continue
		}
		v, d := attr.Expr.Value(nil)
		if d.HasErrors() {
			for _, dd := range d {
				dd.Detail = strings.TrimSpace(dd.Detail + " Backend settings must be literal values, since the state is read before variables are evaluated.")
			}
			diags = append(diags, d...)
			continue
		}
		if v.IsNull() {
			continue
		}
		cv, err := convert.Convert(v, ty)
		if err == nil {
			err = gocty.FromCtyValue(cv, fields[name])
		}
		if err != nil {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid backend attribute",
				Detail:  fmt.Sprintf("%s must be a %s: %s.", name, ty.FriendlyName(), err),
				Subject: attr.Expr.Range().Ptr()})
		}
	}
	if diags.HasErrors() {
		return cfg, diags
	}
	for _, req := range []struct{ name, val, example string }{
		{"bucket", cfg.Bucket, `bucket = "acme-stagecraft"`},
		{"key", cfg.Key, `key = "shop/prod.json"`},
	} {
		if req.val == "" {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Missing backend attribute",
				Detail:  fmt.Sprintf("The s3 backend needs %s, such as %s.", req.name, req.example),
				Subject: block.Ptr()})
		}
	}
	if strings.HasPrefix(cfg.Key, "/") || strings.HasSuffix(cfg.Key, "/") {
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid backend attribute",
			Detail:  fmt.Sprintf("key %q must name an object, such as \"shop/prod.json\", without a leading or trailing slash.", cfg.Key),
			Subject: block.Ptr()})
	}
	if cfg.KMSKeyID != "" {
		cfg.Encrypt = true
	}
	return cfg, diags
}
