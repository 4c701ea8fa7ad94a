package funcs

import (
	"math/big"
	"net/netip"
	"strings"

	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
)

// The CIDR functions follow Terraform's, for IPv4 and IPv6 alike, with two
// deliberate differences: IPv4 octets with leading zeros ("010.0.0.0/8"),
// which Terraform accepts only for compatibility with its 0.11 releases, are
// refused because they are ambiguous (decimal or octal?); and cidrsubnets
// works for prefixes that start at address zero, where Terraform's reports a
// false lack of space.

// cidrSubnetFunc is Terraform's cidrsubnet(prefix, newbits, netnum): subnet
// number netnum of the subnets made by extending prefix by newbits bits.
var cidrSubnetFunc = prefixFunc("Returns the subnet number netnum of the subnets made by extending a CIDR prefix by newbits bits.",
	[]string{"newbits", "netnum"}, func(prefix netip.Prefix, nums []*big.Int) (cty.Value, error) {
		newbits, netnum := nums[0], nums[1]
		addrLen := prefix.Addr().BitLen()
		if newbits.Sign() < 0 {
			return cty.UnknownVal(cty.String), function.NewArgErrorf(1, "newbits must not be negative; it is the number of bits to add to the prefix length")
		}
		if room := addrLen - prefix.Bits(); newbits.Cmp(big.NewInt(int64(room))) > 0 {
			return cty.UnknownVal(cty.String), function.NewArgErrorf(1, "cannot extend the /%d prefix %s by %s bits: an %s address has only %d bits, so at most %d can be added", prefix.Bits(), prefix, newbits, ipVersion(prefix), addrLen, room)
		}
		newLen := prefix.Bits() + int(newbits.Int64())

		if netnum.Sign() < 0 {
			return cty.UnknownVal(cty.String), function.NewArgErrorf(2, "netnum must not be negative; subnets are numbered from 0")
		}
		if count := pow2(newLen - prefix.Bits()); netnum.Cmp(count) >= 0 {
			return cty.UnknownVal(cty.String), function.NewArgErrorf(2, "extending %s by %d bits makes %s subnets, numbered 0 to %s, so there is no subnet %s", prefix, newLen-prefix.Bits(), count, new(big.Int).Sub(count, big.NewInt(1)), netnum)
		}

		offset := new(big.Int).Lsh(netnum, uint(addrLen-newLen))
		return cty.StringVal(netip.PrefixFrom(addAddr(prefix.Addr(), offset), newLen).String()), nil
	})

// cidrHostFunc is Terraform's cidrhost(prefix, hostnum): the address of host
// number hostnum in prefix. A negative hostnum counts from the end, so -1 is
// the last address.
var cidrHostFunc = prefixFunc("Returns the address of host number hostnum within a CIDR prefix; a negative number counts back from the last address.",
	[]string{"hostnum"}, func(prefix netip.Prefix, nums []*big.Int) (cty.Value, error) {
		hostnum := nums[0]
		size := pow2(prefix.Addr().BitLen() - prefix.Bits())
		offset := new(big.Int).Set(hostnum)
		if offset.Sign() < 0 {
			offset.Add(offset, size)
		}
		if offset.Sign() < 0 || offset.Cmp(size) >= 0 {
			last := new(big.Int).Sub(size, big.NewInt(1))
			return cty.UnknownVal(cty.String), function.NewArgErrorf(1, "%s has %s addresses, numbered 0 to %s (or -%s to -1 from the end), so there is no host %s", prefix, size, last, size, hostnum)
		}
		return cty.StringVal(addAddr(prefix.Addr(), offset).String()), nil
	})

// cidrNetmaskFunc is Terraform's cidrnetmask(prefix): the netmask of an IPv4
// prefix in dotted-decimal form, for the systems that want one.
var cidrNetmaskFunc = prefixFunc("Returns the netmask of an IPv4 CIDR prefix in dotted-decimal form.",
	nil, func(prefix netip.Prefix, _ []*big.Int) (cty.Value, error) {
		if !prefix.Addr().Is4() {
			return cty.UnknownVal(cty.String), function.NewArgErrorf(0, "%s is an IPv6 prefix, and IPv6 has no netmasks; use the prefix length instead", prefix)
		}
		mask := ^uint32(0) << (32 - prefix.Bits()) // Go makes a shift by 32 zero, as /0 needs.
		return cty.StringVal(netip.AddrFrom4([4]byte{byte(mask >> 24), byte(mask >> 16), byte(mask >> 8), byte(mask)}).String()), nil
	})

// cidrSubnetsFunc is Terraform's cidrsubnets(prefix, newbits...): consecutive
// subnets of prefix, one for each newbits argument, each extending the prefix
// by that many bits and starting at the first address after the previous
// subnet that is aligned to its own size.
var cidrSubnetsFunc = function.New(&function.Spec{
	Description: "Allocates consecutive subnets of a CIDR prefix, one for each newbits argument, each extending the prefix by that many bits.",
	Params: []function.Parameter{
		{Name: "prefix", Type: cty.String},
	},
	VarParam: &function.Parameter{
		Name: "newbits",
		Type: cty.Number,
	},
	Type:         function.StaticReturnType(cty.List(cty.String)),
	RefineResult: refineNotNull,
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		prefix, err := parsePrefix(args[0], 0)
		if err != nil {
			return cty.UnknownVal(cty.List(cty.String)), err
		}
		if len(args) == 1 {
			return cty.ListValEmpty(cty.String), nil
		}

		addrLen := prefix.Addr().BitLen()
		space := pow2(addrLen - prefix.Bits())
		next := new(big.Int) // offset of the first address not allocated yet
		var previous netip.Prefix
		subnets := make([]cty.Value, 0, len(args)-1)
		for i, arg := range args[1:] {
			argIdx := i + 1
			newbits, err := wholeNumber(arg, argIdx, "newbits")
			if err != nil {
				return cty.UnknownVal(cty.List(cty.String)), err
			}
			// Terraform allows at most 32 bits per subnet, so that subnet
			// numbers fit a 32-bit integer; stacks stay portable to it.
			if newbits.Cmp(big.NewInt(1)) < 0 || newbits.Cmp(big.NewInt(32)) > 0 {
				return cty.UnknownVal(cty.List(cty.String)), function.NewArgErrorf(argIdx, "newbits must be between 1 and 32, not %s", newbits)
			}
			length := prefix.Bits() + int(newbits.Int64())
			if length > addrLen {
				return cty.UnknownVal(cty.List(cty.String)), function.NewArgErrorf(argIdx, "extending %s by %s bits would make a /%d prefix, too long for an %s address of %d bits", prefix, newbits, length, ipVersion(prefix), addrLen)
			}

			// Round next up to a multiple of the subnet's size.
			size := pow2(addrLen - length)
			start := new(big.Int).Add(next, new(big.Int).Sub(size, big.NewInt(1)))
			start.Div(start, size).Mul(start, size)
			end := new(big.Int).Add(start, size)
			if end.Cmp(space) > 0 {
				return cty.UnknownVal(cty.List(cty.String)), function.NewArgErrorf(argIdx, "not enough address space is left in %s for a /%d subnet after %s", prefix, length, previous)
			}

			previous = netip.PrefixFrom(addAddr(prefix.Addr(), start), length)
			subnets = append(subnets, cty.StringVal(previous.String()))
			next = end
		}
		return cty.ListVal(subnets), nil
	},
})

// prefixFunc makes a CIDR function that returns a string from a prefix
// and the whole-number parameters named in numbers: it parses and checks
// them, in that order, and hands them to impl.
func prefixFunc(description string, numbers []string, impl func(prefix netip.Prefix, nums []*big.Int) (cty.Value, error)) function.Function {
	params := []function.Parameter{{Name: "prefix", Type: cty.String}}
	for _, n := range numbers {
		params = append(params, function.Parameter{Name: n, Type: cty.Number})
	}
	return function.New(&function.Spec{
		Description:  description,
		Params:       params,
		Type:         function.StaticReturnType(cty.String),
		RefineResult: refineNotNull,
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			prefix, err := parsePrefix(args[0], 0)
			if err != nil {
				return cty.UnknownVal(cty.String), err
			}
			nums := make([]*big.Int, len(numbers))
			for i, n := range numbers {
				if nums[i], err = wholeNumber(args[i+1], i+1, n); err != nil {
					return cty.UnknownVal(cty.String), err
				}
			}
			return impl(prefix, nums)
		},
	})
}

// parsePrefix parses a CIDR prefix argument and clears its host bits, as
// Terraform does: "10.1.2.3/24" means the network 10.1.2.0/24.
func parsePrefix(v cty.Value, argIdx int) (netip.Prefix, error) {
	s := v.AsString()
	prefix, err := netip.ParsePrefix(s)
	if err != nil {
		reason := err.Error()
		if _, after, ok := strings.Cut(reason, "): "); ok {
			reason = after // Drop the function name and the repeated input.
		}
		return netip.Prefix{}, function.NewArgErrorf(argIdx, "%q is not a CIDR prefix such as \"10.0.0.0/16\" or \"fd00::/56\" (%s)", s, reason)
	}
	return prefix.Masked(), nil
}

// wholeNumber returns a number argument as an integer, or an error naming
// the parameter when it has a fractional part.
func wholeNumber(v cty.Value, argIdx int, name string) (*big.Int, error) {
	f := v.AsBigFloat()
	if !f.IsInt() {
		return nil, function.NewArgErrorf(argIdx, "%s must be a whole number, not %s", name, f.Text('g', -1))
	}
	n, _ := f.Int(nil)
	return n, nil
}

// pow2 returns 2 to the power of n.
func pow2(n int) *big.Int {
	return new(big.Int).Lsh(big.NewInt(1), uint(n))
}

// addAddr returns the address offset addresses after base. The callers have
// checked that the sum stays inside base's prefix, so it cannot overflow.
func addAddr(base netip.Addr, offset *big.Int) netip.Addr {
	b := base.AsSlice()
	sum := new(big.Int).SetBytes(b)
	sum.Add(sum, offset)
	sum.FillBytes(b)
	addr, _ := netip.AddrFromSlice(b)
	return addr
}

// ipVersion names the address family of a prefix for error messages.
func ipVersion(p netip.Prefix) string {
	if p.Addr().Is4() {
		return "IPv4"
	}
	return "IPv6"
}
