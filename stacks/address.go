package stacks

import (
	"fmt"
	"math/big"

	"github.com/zclconf/go-cty/cty"

	"github.com/stagecraft/stagecraft/stacks/addrs"
)

// ParseTarget parses an address as users write it on the command line
// (--target, state rm, import): a resource instance, a resource block or a
// module. Beyond addrs.ParseTarget, it checks that the kind exists.
func ParseTarget(s string) (addrs.Target, error) {
	t, err := addrs.ParseTarget(s)
	if err != nil {
		return addrs.Target{}, err
	}
	if a, ok := t.Instance(); ok && !isKind(a.Kind) {
		return addrs.Target{}, fmt.Errorf("%q is not an address: %q is not a resource kind (use one of network, load_balancer, cache, coordinator, autoscaling_group) or \"module\"", s, a.Kind)
	}
	return t, nil
}

// instanceKey turns the key count or for_each gives an instance
// (cty.NilVal for none) into an address key. It reports false for a value
// no instance can have as its key, such as a fraction or an unknown.
func instanceKey(k cty.Value) (addrs.Key, bool) {
	if k == cty.NilVal {
		return addrs.NoKey, true
	}
	if k.IsNull() || !k.IsKnown() || k.IsMarked() {
		return addrs.Key{}, false
	}
	switch k.Type() {
	case cty.Number:
		i, acc := k.AsBigFloat().Int64()
		if acc != big.Exact || i < 0 || int64(int(i)) != i {
			return addrs.Key{}, false
		}
		return addrs.IntKey(int(i)), true
	case cty.String:
		return addrs.StringKey(k.AsString()), true
	}
	return addrs.Key{}, false
}

// keyValue is the value of an address key as count.index or each.key sees
// it: the inverse of instanceKey.
func keyValue(k addrs.Key) cty.Value {
	if n, ok := k.Int(); ok {
		return cty.NumberIntVal(int64(n))
	}
	if s, ok := k.Str(); ok {
		return cty.StringVal(s)
	}
	return cty.NilVal
}
