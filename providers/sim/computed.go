package sim

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/big"
	"strings"

	"github.com/zclconf/go-cty/cty"
)

// computeFunc sets a kind's computed attributes in attrs, which holds the
// desired configuration. prior is the stored value on update and null on
// create.
type computeFunc func(k *kind, res *resource, address string, attrs map[string]cty.Value, prior cty.Value)

// computed returns the actual value of res: desired with the id and every
// computed attribute filled in. Attributes that depend on the configuration
// are derived from it on every call, so an update recomputes them.
func (k *kind) computed(res *resource, address string, desired, prior cty.Value) cty.Value {
	attrs := make(map[string]cty.Value, len(k.attrNames)+1)
	for _, name := range k.attrNames {
		attrs[name] = desired.GetAttr(name)
	}
	attrs["id"] = cty.StringVal(res.id)
	k.compute(k, res, address, attrs, prior)
	return cty.ObjectVal(attrs)
}

// whole returns attrs[name] as an integer, or the schema's default for the
// attribute when it is null.
func (k *kind) whole(attrs map[string]cty.Value, name string) int64 {
	v := attrs[name]
	if v.IsNull() {
		a, ok := k.schema.Attribute(name)
		if !ok || a.Default == cty.NilVal {
			return 0
		}
		v = a.Default
	}
	n, _ := v.AsBigFloat().Int64()
	return n
}

// str returns attrs[name], or the schema's default when it is null.
func (k *kind) str(attrs map[string]cty.Value, name string) string {
	v := attrs[name]
	if v.IsNull() {
		a, ok := k.schema.Attribute(name)
		if !ok || a.Default == cty.NilVal {
			return ""
		}
		v = a.Default
	}
	return v.AsString()
}

func stringList(ss []string) cty.Value {
	if len(ss) == 0 {
		return cty.ListValEmpty(cty.String)
	}
	vals := make([]cty.Value, len(ss))
	for i, s := range ss {
		vals[i] = cty.StringVal(s)
	}
	return cty.ListVal(vals)
}

// hosts returns "ID-1.DOMAIN:PORT" ... for n members.
func hosts(id, domain string, n int64, port int) cty.Value {
	ss := make([]string, n)
	for i := range ss {
		ss[i] = fmt.Sprintf("%s-%d.%s:%d", id, i+1, domain, port)
	}
	return stringList(ss)
}

// computeNetwork gives one public and one private subnet per availability
// zone.
func computeNetwork(k *kind, res *resource, _ string, attrs map[string]cty.Value, _ cty.Value) {
	zones := k.whole(attrs, "availability_zones")
	var public, private []string
	for i := range zones {
		az := string(rune('a' + i%26))
		public = append(public, fmt.Sprintf("%s-public-%s", res.id, az))
		private = append(private, fmt.Sprintf("%s-private-%s", res.id, az))
	}
	attrs["public_subnet_ids"] = stringList(public)
	attrs["private_subnet_ids"] = stringList(private)
}

// listenerPort is the port the cloud assigns to listener i of the load
// balancer numbered seq when the configuration leaves it out: derived from
// the id, so it is the same on every update.
func listenerPort(seq uint64, i int) int64 {
	return 20000 + int64((seq*8+uint64(i))%40000)
}

// computeLoadBalancer assigns missing listener ports and derives the
// address, URL and DNS name.
func computeLoadBalancer(k *kind, res *resource, address string, attrs map[string]cty.Value, _ cty.Value) {
	listeners := attrs["listener"]
	first := int64(0)
	if !listeners.IsNull() && listeners.LengthInt() > 0 {
		out := make([]cty.Value, 0, listeners.LengthInt())
		for i, l := range listeners.AsValueSlice() {
			la := l.AsValueMap()
			if la["port"].IsNull() {
				la["port"] = cty.NumberIntVal(listenerPort(res.seq, i))
			}
			if i == 0 {
				first, _ = la["port"].AsBigFloat().Int64()
			}
			out = append(out, cty.ObjectVal(la))
		}
		attrs["listener"] = cty.ListVal(out)
	}
	scheme := k.str(attrs, "type")
	attrs["address"] = cty.StringVal(fmt.Sprintf("127.0.0.1:%d", first))
	attrs["url"] = cty.StringVal(fmt.Sprintf("%s://127.0.0.1:%d", scheme, first))
	attrs["dns_name"] = cty.StringVal(fmt.Sprintf("%s-%s.elb.sim.internal", dnsLabel(address), res.id))
}

// computeCache gives every node an endpoint; the first is the primary.
func computeCache(k *kind, res *resource, _ string, attrs map[string]cty.Value, _ cty.Value) {
	port := 6379
	if k.str(attrs, "engine") == "memcached" {
		port = 11211
	}
	eps := hosts(res.id, "cache.sim.internal", k.whole(attrs, "nodes"), port)
	attrs["endpoints"] = eps
	attrs["endpoint"] = eps.Index(cty.NumberIntVal(0))
	attrs["password"] = simPassword(res.id)
}

// computeCoordinator gives every member a client endpoint.
func computeCoordinator(k *kind, res *resource, _ string, attrs map[string]cty.Value, _ cty.Value) {
	port := 2379
	if k.str(attrs, "engine") == "zookeeper" {
		port = 2181
	}
	attrs["endpoints"] = hosts(res.id, "coord.sim.internal", k.whole(attrs, "members"), port)
	attrs["username"] = cty.StringVal("stagecraft")
	attrs["password"] = simPassword(res.id)
}

// simPassword is the password of a simulated cache or coordinator: derived
// from its id, so it stays the same for the resource's life (as a real
// one's generated password does) and runs stay reproducible.
func simPassword(id string) cty.Value {
	sum := sha256.Sum256([]byte("stagecraft-sim-password:" + id))
	return cty.StringVal(hex.EncodeToString(sum[:16]))
}

// computeAutoscalingGroup starts a group without a desired size at min;
// later the scaling policy owns the size, so an update that leaves desired
// out keeps the current one, moved inside the new bounds.
func computeAutoscalingGroup(k *kind, _ *resource, _ string, attrs map[string]cty.Value, prior cty.Value) {
	if !attrs["desired"].IsNull() {
		return
	}
	lo, hi := k.whole(attrs, "min"), k.whole(attrs, "max")
	n := lo
	if !prior.IsNull() {
		if d := prior.GetAttr("desired"); !d.IsNull() {
			if pd, acc := d.AsBigFloat().Int64(); acc == big.Exact {
				n = max(lo, min(pd, hi))
			}
		}
	}
	attrs["desired"] = cty.NumberIntVal(n)
}

// dnsLabel turns an address such as module.web.load_balancer.edge["a"]
// into a DNS label: the resource name and key, lowercased, with every other
// character a hyphen.
func dnsLabel(address string) string {
	name := address
	if i := strings.LastIndex(name, "load_balancer."); i >= 0 {
		name = name[i+len("load_balancer."):]
	}
	var sb strings.Builder
	hyphen := false
	for _, r := range strings.ToLower(name) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			sb.WriteRune(r)
			hyphen = false
		} else if !hyphen && sb.Len() > 0 {
			sb.WriteByte('-')
			hyphen = true
		}
	}
	label := strings.TrimSuffix(sb.String(), "-")
	if len(label) > 32 {
		label = strings.TrimSuffix(label[:32], "-")
	}
	if label == "" {
		label = "lb"
	}
	return label
}
