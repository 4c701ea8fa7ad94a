package aws

// Names and tags of what the network, load_balancer and autoscaling_group
// kinds create. Load balancers and target groups are where AWS is
// strictest (32 characters, letters, digits and hyphens), so the rules live
// next to them; groups and networks use the same ones.

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"github.com/stagecraft/stagecraft/providers"
	"github.com/stagecraft/stagecraft/providers/kinds"
)

// Tags besides the stagecraft:stack/environment/address tags that every
// resource carries.
const (
	// tagToken holds a fingerprint of the resource's owner, address and
	// force-new settings. A create looks for a resource with its own token
	// first, so a crash between create and the state write does not make a
	// second one, while a replacement (which always changes a force-new
	// setting) does not adopt the resource it replaces.
	tagToken = "stagecraft:token"
	// tagNetwork is the address of the network a resource was placed in.
	tagNetwork = "stagecraft:network"
	// tagTarget, on a target group, is the address of the group it
	// forwards to; tagLoadBalancer the name of the load balancer it
	// belongs to.
	tagTarget       = "stagecraft:target"
	tagLoadBalancer = "stagecraft:load-balancer"
	// tagRole tells a load balancer's own security group (role
	// "listeners") from the network's tier groups.
	tagRole = "stagecraft:role"
)

// resourceToken fingerprints a resource: its owner, its address and the
// force-new settings given in salt, as 8 hex digits.
func resourceToken(r providers.Ref, salt ...string) string {
	h := sha256.New()
	for _, s := range append([]string{r.Stack, r.Environment, r.Address}, salt...) {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:8]
}

// shortName makes the readable part of a name from an address: the kind
// and "module." prefixes dropped, anything but letters and digits turned
// into single hyphens, at most max characters.
func shortName(address string, max int) string {
	parts := strings.Split(address, ".")
	var keep []string
	for i := 0; i < len(parts); i++ {
		switch parts[i] {
		case "module", kinds.Network, kinds.LoadBalancer, kinds.AutoscalingGroup, kinds.Cache, kinds.Coordinator:
			continue
		}
		keep = append(keep, parts[i])
	}
	var sb strings.Builder
	hyphen := false
	for _, c := range strings.ToLower(strings.Join(keep, "-")) {
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' {
			sb.WriteRune(c)
			hyphen = false
			continue
		}
		if !hyphen && sb.Len() > 0 {
			sb.WriteByte('-')
			hyphen = true
		}
	}
	s := sb.String()
	if len(s) > max {
		s = s[:max]
	}
	s = strings.Trim(s, "-")
	if s == "" {
		s = "r"
	}
	return s
}

// resourceName is "sc-" + token + "-" + the short name, within max
// characters (32 for load balancers and target groups).
func resourceName(token, address string, max int) string {
	return "sc-" + token + "-" + shortName(address, max-len("sc-")-len(token)-1)
}

// hashToken fingerprints any strings, as 8 hex digits.
func hashToken(parts ...string) string {
	h := sha256.New()
	for _, s := range parts {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:8]
}

// ownerTagsMatch reports whether tags carry r's owner and address.
func ownerTagsMatch(tags map[string]string, r providers.Ref) bool {
	return tags[providers.TagStack] == r.Stack && tags[providers.TagEnvironment] == r.Environment && tags[providers.TagAddress] == r.Address
}
