package lb

import (
	"sort"

	"github.com/stagecraft/stagecraft/providers/kinds"
	"github.com/stagecraft/stagecraft/providers/local/backends"
	"github.com/stagecraft/stagecraft/providers/local/supervisor"
)

// servingGroup finds the group a load balancer route at addr should send
// traffic to: a ready autoscaling group with that address that is not
// retired. During a replacement two groups share the address; the one with
// more serving instances wins, then the lower id, so the choice is stable.
func servingGroup(env *supervisor.Env, addr string) (backends.Source, bool) {
	type candidate struct {
		id  string
		src backends.Source
		n   int
	}
	var cands []candidate
	for _, p := range env.Ready(kinds.AutoscalingGroup) {
		if p.Address != addr {
			continue
		}
		if src, ok := p.Unit.(backends.Source); ok && !src.Retired() {
			cands = append(cands, candidate{id: p.ID, src: src})
		}
	}
	if len(cands) == 0 {
		return nil, false
	}
	for i := range cands {
		cands[i].n = len(cands[i].src.Targets().Serving)
	}
	sort.Slice(cands, func(i, j int) bool {
		if cands[i].n != cands[j].n {
			return cands[i].n > cands[j].n
		}
		return cands[i].id < cands[j].id
	})
	return cands[0].src, true
}
