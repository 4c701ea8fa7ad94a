package schema

import (
	"fmt"
	"math/big"
	"net/netip"
	"strings"
	"time"

	"github.com/zclconf/go-cty/cty"
)

// OneOf accepts a string among the given choices.
func OneOf(choices ...string) ValueRule {
	return ValueRule{
		Doc: "one of " + strings.Join(quoteAll(choices), ", "),
		Check: func(v cty.Value) string {
			if v.Type() != cty.String {
				return ""
			}
			s := v.AsString()
			for _, c := range choices {
				if s == c {
					return ""
				}
			}
			return fmt.Sprintf("%q is not allowed here; use one of %s.", s, strings.Join(quoteAll(choices), ", "))
		},
	}
}

// WholeRange accepts a whole number between lo and hi inclusive.
func WholeRange(lo, hi int64) ValueRule {
	return ValueRule{
		Doc: fmt.Sprintf("whole number from %d to %d", lo, hi),
		Check: func(v cty.Value) string {
			if v.Type() != cty.Number {
				return ""
			}
			n, acc := v.AsBigFloat().Int64()
			if acc != big.Exact || n < lo || n > hi {
				return fmt.Sprintf("%s is out of range; use a whole number from %d to %d.", v.AsBigFloat().Text('g', -1), lo, hi)
			}
			return ""
		},
	}
}

// NumberRange accepts any number between lo and hi inclusive.
func NumberRange(lo, hi float64) ValueRule {
	return ValueRule{
		Doc: fmt.Sprintf("number from %g to %g", lo, hi),
		Check: func(v cty.Value) string {
			if v.Type() != cty.Number {
				return ""
			}
			f, _ := v.AsBigFloat().Float64()
			if f < lo || f > hi {
				return fmt.Sprintf("%g is out of range; use a number from %g to %g.", f, lo, hi)
			}
			return ""
		},
	}
}

// OddMembers accepts an odd whole number from 1 to 7, the sizes at which a
// consensus cluster keeps a clear majority.
func OddMembers() ValueRule {
	return ValueRule{
		Doc: "odd, from 1 to 7",
		Check: func(v cty.Value) string {
			if v.Type() != cty.Number {
				return ""
			}
			n, acc := v.AsBigFloat().Int64()
			if acc != big.Exact || n < 1 || n > 7 || n%2 == 0 {
				return fmt.Sprintf("%s members cannot form a safe quorum; use an odd number from 1 to 7 (3 survives one failure, 5 survives two).", v.AsBigFloat().Text('g', -1))
			}
			return ""
		},
	}
}

// Duration accepts a Go duration string such as "30s" or "1m30s".
func Duration() ValueRule {
	return ValueRule{
		Doc: `duration such as "30s" or "2m"`,
		Check: func(v cty.Value) string {
			if v.Type() != cty.String {
				return ""
			}
			d, err := time.ParseDuration(v.AsString())
			if err != nil || d < 0 {
				return fmt.Sprintf("%q is not a duration; write a number with a unit, such as \"500ms\", \"30s\" or \"2m\".", v.AsString())
			}
			return ""
		},
	}
}

// CIDR accepts an IPv4 network prefix such as "10.0.0.0/16".
func CIDR() ValueRule {
	return ValueRule{
		Doc: `IPv4 CIDR block such as "10.0.0.0/16"`,
		Check: func(v cty.Value) string {
			if v.Type() != cty.String {
				return ""
			}
			p, err := netip.ParsePrefix(v.AsString())
			if err != nil || !p.Addr().Is4() {
				return fmt.Sprintf("%q is not an IPv4 CIDR block; write an address and a prefix length, such as \"10.0.0.0/16\".", v.AsString())
			}
			if p.Masked() != p {
				return fmt.Sprintf("%q has host bits set; the network address is %q.", v.AsString(), p.Masked().String())
			}
			return ""
		},
	}
}

// PathPrefix accepts a URL path prefix starting with "/", optionally ending
// in "*".
func PathPrefix() ValueRule {
	return ValueRule{
		Doc: `path prefix starting with "/", optionally ending in "*"`,
		Check: func(v cty.Value) string {
			if v.Type() != cty.String {
				return ""
			}
			s := v.AsString()
			if !strings.HasPrefix(s, "/") {
				return fmt.Sprintf("%q does not start with \"/\"; write a path prefix such as \"/orders/\" or \"/*\".", s)
			}
			if i := strings.Index(s, "*"); i >= 0 && i != len(s)-1 {
				return fmt.Sprintf("%q has a \"*\" before its end; only a trailing \"*\" is allowed, and it means the same as the prefix without it.", s)
			}
			return ""
		},
	}
}

// ShiftSteps accepts traffic-shifting steps: whole percentages from 1 to
// 100, rising, ending at 100.
func ShiftSteps() ValueRule {
	return ValueRule{
		Doc: "rising whole percentages ending at 100",
		Check: func(v cty.Value) string {
			if !v.Type().IsListType() || !v.IsWhollyKnown() {
				return ""
			}
			prev := int64(0)
			var last int64
			for _, e := range v.AsValueSlice() {
				if e.IsNull() {
					return "a step is null; write percentages such as [10, 50, 100]."
				}
				n, acc := e.AsBigFloat().Int64()
				if acc != big.Exact || n < 1 || n > 100 || n <= prev {
					return "steps must be rising whole percentages from 1 to 100, such as [10, 50, 100]."
				}
				prev, last = n, n
			}
			if last != 100 {
				return "the last step must be 100, so that the new target ends with all the traffic."
			}
			return ""
		},
	}
}

// NormalizeRoutePath returns the prefix a route path matches: a trailing "*"
// is dropped, so "/orders/*" and "/orders/" are the same route path.
func NormalizeRoutePath(p string) string {
	return strings.TrimSuffix(p, "*")
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = fmt.Sprintf("%q", s)
	}
	return out
}
