package local

import (
	"context"

	"github.com/zclconf/go-cty/cty"

	"github.com/stagecraft/stagecraft/providers"
)

// network is accepted and does nothing: everything on this machine shares
// the loopback interface.
type network struct {
	id  string
	cfg cty.Value
}

func newNetwork(id string) *network { return &network{id: id} }

func (n *network) Apply(_ context.Context, cfg cty.Value) (cty.Value, error) {
	m := cfg.AsValueMap()
	m["id"] = cty.StringVal(n.id)
	m["public_subnet_ids"] = cty.ListValEmpty(cty.String)
	m["private_subnet_ids"] = cty.ListValEmpty(cty.String)
	n.cfg = cty.ObjectVal(m)
	return n.cfg, nil
}

func (n *network) Current() cty.Value { return n.cfg }

func (n *network) Observe(context.Context) providers.Observation {
	return providers.Observation{Healthy: true, Detail: "the local network is the loopback interface"}
}

func (n *network) Stop(context.Context) error { return nil }
func (n *network) Halt(context.Context) error { return nil }
