package lb

import (
	"fmt"

	"github.com/zclconf/go-cty/cty"

	"github.com/stagecraft/stagecraft/providers/kinds"
	"github.com/stagecraft/stagecraft/providers/local/supervisor"
	"github.com/stagecraft/stagecraft/providers/schema"
)

// lbSpec is a load balancer's configuration, decoded and checked.
type lbSpec struct {
	tcp bool
	// ports holds one port per listener; 0 lets the provider pick.
	ports  []int
	routes []routeSpec
}

// routeSpec is one route block.
type routeSpec struct {
	prefix string // normalised: "/orders/*" is "/orders/"
	target string // a group's address
	weight int    // 100 when left out
}

func decodeLoadBalancer(cfg cty.Value) (lbSpec, error) {
	if err := supervisor.ConfigProblems(kinds.LoadBalancer, cfg); err != nil {
		return lbSpec{}, err
	}
	s := lbSpec{tcp: supervisor.StrAttr(cfg, "type", "http") == "tcp"}
	var probs []string
	seen := map[int]int{}
	for i, l := range cfg.GetAttr("listener").AsValueSlice() {
		port := supervisor.IntAttr(l, "port", 0)
		if j, dup := seen[port]; dup && port != 0 {
			probs = append(probs, fmt.Sprintf("listener[%d].port: port %d is already taken by listener[%d]; give every listener its own port", i, port, j))
		}
		seen[port] = i
		s.ports = append(s.ports, port)
	}
	for _, r := range cfg.GetAttr("route").AsValueSlice() {
		s.routes = append(s.routes, routeSpec{
			prefix: schema.NormalizeRoutePath(supervisor.StrAttr(r, "path", "/")),
			target: supervisor.StrAttr(r, "target", ""),
			weight: supervisor.IntAttr(r, "weight", 100),
		})
	}
	return s, supervisor.InvalidConfig(probs)
}
