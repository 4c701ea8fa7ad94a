package stacks

import (
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/stagecraft/stagecraft/stacks/addrs"
)

func TestInstanceKey(t *testing.T) {
	t.Parallel()
	big, _ := cty.ParseNumberVal("100000000000000000000")
	for _, tc := range []struct {
		key  cty.Value
		want string
		ok   bool
	}{
		{cty.NilVal, "", true},
		{cty.NumberIntVal(0), "[0]", true},
		{cty.NumberIntVal(12), "[12]", true},
		{cty.StringVal(`eu "west"`), `["eu \"west\""]`, true},
		{cty.NumberFloatVal(1.5), "", false},
		{cty.NumberIntVal(-1), "", false},
		{big, "", false},
		{cty.UnknownVal(cty.Number), "", false},
		{cty.True, "", false},
	} {
		got, ok := instanceKey(tc.key)
		if ok != tc.ok || got.String() != tc.want {
			t.Errorf("instanceKey(%#v) = %q, %v; want %q, %v", tc.key, got, ok, tc.want, tc.ok)
		}
		if ok && !keyValue(got).RawEquals(tc.key) && tc.key != cty.NilVal {
			t.Errorf("keyValue(%q) = %#v, want %#v", got, keyValue(got), tc.key)
		}
	}
	if keyValue(addrs.NoKey) != cty.NilVal {
		t.Errorf("keyValue(NoKey) = %#v, want cty.NilVal", keyValue(addrs.NoKey))
	}
}

func TestParseTarget(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		in, wantErr string
	}{
		"resource":     {in: "cache.sessions"},
		"module":       {in: `module.web["a"]`},
		"unknown kind": {in: "database.main", wantErr: `"database.main" is not an address: "database" is not a resource kind`},
		"bad shape":    {in: "cache", wantErr: `"cache" has no resource name; write cache.NAME`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseTarget(tc.in)
			if tc.wantErr == "" {
				if err != nil || got.String() != tc.in {
					t.Errorf("ParseTarget(%q) = %q, %v", tc.in, got, err)
				}
				return
			}
			if err == nil || !strings.HasPrefix(err.Error(), tc.wantErr) {
				t.Errorf("ParseTarget(%q) error = %v, want it to start with %q", tc.in, err, tc.wantErr)
			}
		})
	}
}

// addressStrings returns the text forms of addresses, for comparing with
// the addresses a test writes.
func addressStrings(as []addrs.Instance) []string {
	var out []string
	for _, a := range as {
		out = append(out, a.String())
	}
	return out
}
