package stacks

import (
	"fmt"
	"math/big"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// Address is a parsed resource or module address such as
// `module.web["a"].autoscaling_group.app[0]` or "module.web".
type Address struct {
	// Modules is the module path, outermost first.
	Modules []AddressStep
	// Kind and Name are empty for an address that names a module.
	Kind string
	Name string
	// Key is cty.NilVal when the address has no instance key.
	Key cty.Value
}

// AddressStep is one module call along an address.
type AddressStep struct {
	Name string
	Key  cty.Value
}

// ParseAddress parses an address as users write it on the command line
// (--target, state rm, import).
func ParseAddress(s string) (Address, error) {
	tr, diags := hclsyntax.ParseTraversalAbs([]byte(s), "", hcl.InitialPos)
	if diags.HasErrors() {
		return Address{}, fmt.Errorf("%q is not an address; write KIND.NAME (cache.sessions), KIND.NAME[KEY] or module.NAME", s)
	}
	var a Address
	i := 0
	name := func() (string, bool) {
		switch st := tr[i].(type) {
		case hcl.TraverseRoot:
			return st.Name, true
		case hcl.TraverseAttr:
			return st.Name, true
		}
		return "", false
	}
	key := func() cty.Value {
		if i < len(tr) {
			if ix, ok := tr[i].(hcl.TraverseIndex); ok {
				i++
				return ix.Key
			}
		}
		return cty.NilVal
	}
	for i < len(tr) {
		first, ok := name()
		if !ok {
			break
		}
		i++
		if first == "module" {
			if i >= len(tr) {
				return Address{}, fmt.Errorf("%q ends after \"module\"; write module.NAME", s)
			}
			n, ok := name()
			if !ok {
				return Address{}, fmt.Errorf("%q is not an address; write module.NAME", s)
			}
			i++
			a.Modules = append(a.Modules, AddressStep{Name: n, Key: key()})
			continue
		}
		if !isKind(first) {
			return Address{}, fmt.Errorf("%q is not an address: %q is not a resource kind (use one of network, load_balancer, cache, coordinator, autoscaling_group) or \"module\"", s, first)
		}
		if i >= len(tr) {
			return Address{}, fmt.Errorf("%q has no resource name; write %s.NAME", s, first)
		}
		n, ok := name()
		if !ok {
			return Address{}, fmt.Errorf("%q is not an address; write %s.NAME", s, first)
		}
		i++
		a.Kind, a.Name = first, n
		a.Key = key()
		if i != len(tr) {
			return Address{}, fmt.Errorf("%q continues after the resource; an address ends with KIND.NAME or KIND.NAME[KEY]", s)
		}
		return a, nil
	}
	if len(a.Modules) == 0 || i != len(tr) {
		return Address{}, fmt.Errorf("%q is not an address; write KIND.NAME (cache.sessions), KIND.NAME[KEY] or module.NAME", s)
	}
	return a, nil
}

// String renders the address in its canonical form.
func (a Address) String() string {
	var b strings.Builder
	for _, m := range a.Modules {
		b.WriteString("module." + m.Name + instanceKeyString(m.Key) + ".")
	}
	if a.Kind == "" {
		return strings.TrimSuffix(b.String(), ".")
	}
	b.WriteString(a.Kind + "." + a.Name + instanceKeyString(a.Key))
	return b.String()
}

// Contains reports whether the resource instance at addr is a or lies
// within it: cache.sessions contains cache.sessions[0], module.web contains
// everything the module creates.
func (a Address) Contains(addr string) bool {
	s := a.String()
	if addr == s {
		return true
	}
	if a.Kind == "" {
		return strings.HasPrefix(addr, s+".") || (a.Modules[len(a.Modules)-1].Key == cty.NilVal && strings.HasPrefix(addr, s+"["))
	}
	return a.Key == cty.NilVal && strings.HasPrefix(addr, s+"[")
}

// instanceKeyString renders an instance key as it appears in an address:
// [0] or ["name"], or "" for none.
func instanceKeyString(k cty.Value) string {
	if k == cty.NilVal || k.IsNull() || !k.IsKnown() {
		return ""
	}
	switch k.Type() {
	case cty.Number:
		bf := k.AsBigFloat()
		if i, acc := bf.Int64(); acc == big.Exact {
			return "[" + strconv.FormatInt(i, 10) + "]"
		}
		return "[" + bf.Text('f', -1) + "]"
	case cty.String:
		return "[" + strconv.Quote(k.AsString()) + "]"
	}
	return ""
}

// CompareAddresses orders addresses for people: as strings, except that
// runs of digits compare as numbers, so cache.c[2] comes before cache.c[10].
func CompareAddresses(a, b string) int {
	for a != "" && b != "" {
		if isDigit(a[0]) && isDigit(b[0]) {
			da, db := digitRun(a), digitRun(b)
			na, nb := strings.TrimLeft(a[:da], "0"), strings.TrimLeft(b[:db], "0")
			if len(na) != len(nb) {
				return len(na) - len(nb)
			}
			if c := strings.Compare(na, nb); c != 0 {
				return c
			}
			a, b = a[da:], b[db:]
			continue
		}
		if a[0] != b[0] {
			return int(a[0]) - int(b[0])
		}
		a, b = a[1:], b[1:]
	}
	return len(a) - len(b)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func digitRun(s string) int {
	i := 0
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	return i
}
