package stacks

import (
	"testing"

	"github.com/zclconf/go-cty/cty"
)

func TestInstanceKeyString(t *testing.T) {
	t.Parallel()
	big, _ := cty.ParseNumberVal("100000000000000000000")
	for _, tc := range []struct {
		key  cty.Value
		want string
	}{
		{cty.NilVal, ""},
		{cty.NumberIntVal(0), "[0]"},
		{cty.NumberIntVal(12), "[12]"},
		{cty.NumberFloatVal(1.5), "[1.5]"},
		{big, "[100000000000000000000]"},
		{cty.StringVal(`eu "west"`), `["eu \"west\""]`},
		{cty.UnknownVal(cty.Number), ""},
	} {
		if got := instanceKeyString(tc.key); got != tc.want {
			t.Errorf("instanceKeyString(%#v) = %q, want %q", tc.key, got, tc.want)
		}
	}
}
