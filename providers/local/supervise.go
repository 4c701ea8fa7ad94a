package local

import (
	"context"

	"github.com/stagecraft/stagecraft/providers/kinds"
	"github.com/stagecraft/stagecraft/providers/local/cache"
	"github.com/stagecraft/stagecraft/providers/local/cluster"
	"github.com/stagecraft/stagecraft/providers/local/group"
	"github.com/stagecraft/stagecraft/providers/local/lb"
	"github.com/stagecraft/stagecraft/providers/local/supervisor"
)

// units builds the unit of each kind the supervisor runs.
var units = map[string]supervisor.NewUnit{
	kinds.Network:          func(_ *supervisor.Env, id, _ string) supervisor.Unit { return newNetwork(id) },
	kinds.LoadBalancer:     lb.New,
	kinds.AutoscalingGroup: group.New,
	kinds.Cache:            cache.New,
	kinds.Coordinator:      cluster.New,
}

// RunSupervisor runs the supervisor of the environment whose files are in
// dir (.stagecraft/local/ENV), listening on socket, with every kind of
// unit, until ctx ends, it has nothing left to run or dir is removed. The
// stagecraft binary runs it through the hidden command SupervisorArg.
func RunSupervisor(ctx context.Context, dir, socket string) error {
	return supervisor.Run(ctx, dir, socket, units)
}
