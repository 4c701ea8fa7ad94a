package s3

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

func TestDecodeConfig(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		src  string
		want Config
		diag string // a substring of the first error's summary and detail
	}{
		"full": {
			src:  `bucket = "b"` + "\n" + `key = "shop/prod.json"` + "\n" + `region = "eu-west-1"` + "\n" + `endpoint_url = "http://127.0.0.1:5000"` + "\n" + `encrypt = true`,
			want: Config{Bucket: "b", Key: "shop/prod.json", Region: "eu-west-1", EndpointURL: "http://127.0.0.1:5000", Encrypt: true},
		},
		"kms key implies encrypt": {
			src:  `bucket = "b"` + "\n" + `key = "k"` + "\n" + `kms_key_id = "alias/state"`,
			want: Config{Bucket: "b", Key: "k", KMSKeyID: "alias/state", Encrypt: true},
		},
		"string bool":     {src: `bucket = "b"` + "\n" + `key = "k"` + "\n" + `encrypt = "true"`, want: Config{Bucket: "b", Key: "k", Encrypt: true}},
		"missing bucket":  {src: `key = "k"`, diag: "Missing backend attribute: The s3 backend needs bucket"},
		"missing key":     {src: `bucket = "b"`, diag: "Missing backend attribute: The s3 backend needs key"},
		"unknown":         {src: `bucket = "b"` + "\n" + `key = "k"` + "\n" + `table = "t"`, diag: `Unsupported backend attribute: The s3 backend takes bucket, encrypt, endpoint_url, key, kms_key_id, region; remove "table"`},
		"variable":        {src: `bucket = var.bucket` + "\n" + `key = "k"`, diag: "Backend settings must be literal values"},
		"wrong type":      {src: `bucket = "b"` + "\n" + `key = "k"` + "\n" + `encrypt = "sometimes"`, diag: "Invalid backend attribute: encrypt must be a bool"},
		"key with slash":  {src: `bucket = "b"` + "\n" + `key = "/k"`, diag: "without a leading or trailing slash"},
		"null is not set": {src: `bucket = "b"` + "\n" + `key = "k"` + "\n" + `region = null`, want: Config{Bucket: "b", Key: "k"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f, diags := hclsyntax.ParseConfig([]byte(tc.src), "main.hcl", hcl.InitialPos)
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			got, diags := DecodeConfig(f.Body, hcl.Range{Filename: "main.hcl"})
			if tc.diag != "" {
				if !diags.HasErrors() {
					t.Fatalf("no error, want %q", tc.diag)
				}
				d := diags.Errs()[0].(*hcl.Diagnostic)
				if text := d.Summary + ": " + d.Detail; !strings.Contains(text, tc.diag) || d.Subject == nil {
					t.Errorf("diagnostic %q (subject %v), want %q with a subject", text, d.Subject, tc.diag)
				}
				return
			}
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("config (-want +got):\n%s", diff)
			}
		})
	}
}
