package funcs

import (
	"testing"

	"github.com/zclconf/go-cty/cty"
)

func TestCIDRFunctions(t *testing.T) {
	t.Parallel()
	runExprCases(t, cidrCases())
}

// cidrCases start with the examples of Terraform's documentation, which a
// stack ported from Terraform relies on.
func cidrCases() map[string]exprCase {
	strs := func(ss ...string) cty.Value {
		vals := make([]cty.Value, len(ss))
		for i, s := range ss {
			vals[i] = cty.StringVal(s)
		}
		return cty.ListVal(vals)
	}
	return map[string]exprCase{
		// cidrsubnet
		"cidrsubnet doc /12":   {expr: `cidrsubnet("172.16.0.0/12", 4, 2)`, want: cty.StringVal("172.18.0.0/16")},
		"cidrsubnet doc /24":   {expr: `cidrsubnet("10.1.2.0/24", 4, 15)`, want: cty.StringVal("10.1.2.240/28")},
		"cidrsubnet doc IPv6":  {expr: `cidrsubnet("fd00:fd12:3456:7890::/56", 16, 162)`, want: cty.StringVal("fd00:fd12:3456:7800:a200::/72")},
		"cidrsubnet host bits": {expr: `cidrsubnet("10.1.2.3/24", 0, 0)`, want: cty.StringVal("10.1.2.0/24")},
		"cidrsubnet to /32":    {expr: `cidrsubnet("10.1.2.0/24", 8, 255)`, want: cty.StringVal("10.1.2.255/32")},
		"cidrsubnet beyond 64 bits": {
			expr: `cidrsubnet("2001:db8::/32", 96, 4294967296)`,
			want: cty.StringVal("2001:db8::1:0:0/128"),
		},
		"cidrsubnet too many bits": {
			expr:    `cidrsubnet("10.1.2.0/24", 9, 0)`,
			wantErr: "cannot extend the /24 prefix 10.1.2.0/24 by 9 bits: an IPv4 address has only 32 bits, so at most 8 can be added",
		},
		"cidrsubnet too many IPv6 bits": {
			expr:    `cidrsubnet("fd00::/56", 73, 0)`,
			wantErr: "an IPv6 address has only 128 bits, so at most 72 can be added",
		},
		"cidrsubnet netnum too big": {
			expr:    `cidrsubnet("10.1.2.0/24", 4, 16)`,
			wantErr: "extending 10.1.2.0/24 by 4 bits makes 16 subnets, numbered 0 to 15, so there is no subnet 16",
		},
		"cidrsubnet negative netnum":  {expr: `cidrsubnet("10.1.2.0/24", 4, -1)`, wantErr: "netnum must not be negative"},
		"cidrsubnet negative newbits": {expr: `cidrsubnet("10.1.2.0/24", -1, 0)`, wantErr: "newbits must not be negative"},
		"cidrsubnet fractional":       {expr: `cidrsubnet("10.1.2.0/24", 1.5, 0)`, wantErr: "newbits must be a whole number, not 1.5"},
		"cidrsubnet not a prefix": {
			expr:    `cidrsubnet("10.256.0.0/8", 8, 1)`,
			wantErr: `"10.256.0.0/8" is not a CIDR prefix such as "10.0.0.0/16" or "fd00::/56"`,
		},
		"cidrsubnet no length": {expr: `cidrsubnet("10.0.0.0", 8, 1)`, wantErr: `"10.0.0.0" is not a CIDR prefix`},

		// cidrhost
		"cidrhost doc 16":         {expr: `cidrhost("10.12.112.0/20", 16)`, want: cty.StringVal("10.12.112.16")},
		"cidrhost doc 268":        {expr: `cidrhost("10.12.112.0/20", 268)`, want: cty.StringVal("10.12.113.12")},
		"cidrhost doc IPv6":       {expr: `cidrhost("fd00:fd12:3456:7890:00a2::/72", 34)`, want: cty.StringVal("fd00:fd12:3456:7890::22")},
		"cidrhost last":           {expr: `cidrhost("10.12.112.0/20", -1)`, want: cty.StringVal("10.12.127.255")},
		"cidrhost first from end": {expr: `cidrhost("10.0.0.0/24", -256)`, want: cty.StringVal("10.0.0.0")},
		"cidrhost IPv6 last":      {expr: `cidrhost("fd00::/64", -2)`, want: cty.StringVal("fd00::ffff:ffff:ffff:fffe")},
		"cidrhost too big": {
			expr:    `cidrhost("10.0.0.0/24", 256)`,
			wantErr: "10.0.0.0/24 has 256 addresses, numbered 0 to 255 (or -256 to -1 from the end), so there is no host 256",
		},
		"cidrhost too small":    {expr: `cidrhost("10.0.0.0/24", -257)`, wantErr: "so there is no host -257"},
		"cidrhost fractional":   {expr: `cidrhost("10.0.0.0/24", 2.5)`, wantErr: "hostnum must be a whole number, not 2.5"},
		"cidrhost not a prefix": {expr: `cidrhost("example.com/24", 1)`, wantErr: `"example.com/24" is not a CIDR prefix`},

		// cidrnetmask
		"cidrnetmask doc": {expr: `cidrnetmask("172.16.0.0/12")`, want: cty.StringVal("255.240.0.0")},
		"cidrnetmask /32": {expr: `cidrnetmask("10.0.0.1/32")`, want: cty.StringVal("255.255.255.255")},
		"cidrnetmask /0":  {expr: `cidrnetmask("0.0.0.0/0")`, want: cty.StringVal("0.0.0.0")},
		"cidrnetmask IPv6": {
			expr:    `cidrnetmask("fd00::/56")`,
			wantErr: "fd00::/56 is an IPv6 prefix, and IPv6 has no netmasks",
		},

		// cidrsubnets
		"cidrsubnets doc": {
			expr: `cidrsubnets("10.1.0.0/16", 4, 4, 8, 4)`,
			want: strs("10.1.0.0/20", "10.1.16.0/20", "10.1.32.0/24", "10.1.48.0/20"),
		},
		"cidrsubnets doc IPv6": {
			expr: `cidrsubnets("fd00:fd12:3456:7890::/56", 16, 16, 16, 32)`,
			want: strs("fd00:fd12:3456:7800::/72", "fd00:fd12:3456:7800:100::/72", "fd00:fd12:3456:7800:200::/72", "fd00:fd12:3456:7800:300::/88"),
		},
		"cidrsubnets doc with cidrsubnet": {
			expr: `[for cidr in cidrsubnets("10.0.0.0/8", 4, 4, 4, 4) : cidrsubnets(cidr, 4, 4)][1]`,
			want: strs("10.16.0.0/16", "10.17.0.0/16"),
		},
		"cidrsubnets fills the prefix":  {expr: `cidrsubnets("10.1.0.0/16", 1, 1)`, want: strs("10.1.0.0/17", "10.1.128.0/17")},
		"cidrsubnets from address zero": {expr: `cidrsubnets("0.0.0.0/0", 1, 1)`, want: strs("0.0.0.0/1", "128.0.0.0/1")},
		"cidrsubnets none":              {expr: `cidrsubnets("10.0.0.0/8")`, want: cty.ListValEmpty(cty.String)},
		"cidrsubnets out of space": {
			expr:    `cidrsubnets("10.1.0.0/16", 1, 1, 1)`,
			wantErr: "not enough address space is left in 10.1.0.0/16 for a /17 subnet after 10.1.128.0/17",
		},
		"cidrsubnets zero bits":  {expr: `cidrsubnets("10.1.0.0/16", 4, 0)`, wantErr: "newbits must be between 1 and 32, not 0"},
		"cidrsubnets 33 bits":    {expr: `cidrsubnets("fd00::/56", 33)`, wantErr: "newbits must be between 1 and 32, not 33"},
		"cidrsubnets too long":   {expr: `cidrsubnets("10.1.0.0/30", 3)`, wantErr: "extending 10.1.0.0/30 by 3 bits would make a /33 prefix, too long for an IPv4 address of 32 bits"},
		"cidrsubnets fractional": {expr: `cidrsubnets("10.1.0.0/16", 2.5)`, wantErr: "newbits must be a whole number, not 2.5"},
	}
}
