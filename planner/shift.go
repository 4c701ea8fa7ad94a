package planner

import (
	"math/big"
	"sort"
	"strings"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/stagecraft/stagecraft/planner/plan"
	"github.com/stagecraft/stagecraft/providers"
	"github.com/stagecraft/stagecraft/providers/schema"
)

// routeTable reads the routes of a routing resource's value (a load
// balancer), by the roles its kind marks: path -> target -> weight, with a
// route alone on its path at 100.
func routeTable(rt *schema.Routing, lb cty.Value) map[string]map[string]int {
	out := map[string]map[string]int{}
	if lb == cty.NilVal || lb.IsNull() || !lb.IsKnown() {
		return out
	}
	lb, _ = lb.UnmarkDeep()
	routes := attr(lb, rt.Block)
	if routes.IsNull() || !routes.IsKnown() {
		return out
	}
	for _, r := range routes.AsValueSlice() {
		p, t, w := attr(r, rt.Path), attr(r, rt.Target), attr(r, rt.Weight)
		if !p.IsKnown() || p.IsNull() || !t.IsKnown() || t.IsNull() {
			continue
		}
		path := schema.NormalizeRoutePath(p.AsString())
		if out[path] == nil {
			out[path] = map[string]int{}
		}
		weight := -1
		if w.IsKnown() && !w.IsNull() {
			n, _ := w.AsBigFloat().Int64()
			weight = int(n)
		}
		out[path][t.AsString()] += weight
	}
	for _, m := range out {
		if len(m) == 1 {
			for t := range m {
				m[t] = 100
			}
		}
	}
	return out
}

// effective is where a table sends requests for path: its own routes, else
// those of the longest prefix that matches it.
func effective(table map[string]map[string]int, path string) map[string]int {
	if m, ok := table[path]; ok {
		return m
	}
	best := ""
	found := false
	for p := range table {
		if strings.HasPrefix(path, p) && (!found || len(p) > len(best)) {
			best, found = p, true
		}
	}
	if !found {
		return nil
	}
	return table[best]
}

func sameWeights(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// detectShift finds the paths whose traffic an update of a routing
// resource (a load balancer, whose roles rt names) moves between targets.
// settings are its plan-only migration settings (stacks.Resource.Settings).
func detectShift(rt *schema.Routing, before, after, settings cty.Value) *plan.Shift {
	old, cur := routeTable(rt, before), routeTable(rt, after)
	paths := map[string]bool{}
	for p := range old {
		paths[p] = true
	}
	for p := range cur {
		paths[p] = true
	}
	var sorted []string
	for p := range paths {
		sorted = append(sorted, p)
	}
	// Longer paths first, so a more specific path moves before the one
	// that covers it.
	sort.Slice(sorted, func(i, j int) bool {
		if len(sorted[i]) != len(sorted[j]) {
			return len(sorted[i]) > len(sorted[j])
		}
		return sorted[i] < sorted[j]
	})
	shift := &plan.Shift{}
	for _, p := range sorted {
		from, to := effective(old, p), effective(cur, p)
		if len(from) == 0 || len(to) == 0 || sameWeights(from, to) {
			continue
		}
		sp := &plan.ShiftPath{Path: p, From: copyWeights(from), To: copyWeights(to)}
		for t, w := range to {
			sp.Start += min(w, from[t])
		}
		applyMigrationSettings(sp, rt, settings, after, p)
		if sp.Start >= 100 || len(sp.PendingSteps()) == 0 {
			continue
		}
		shift.Paths = append(shift.Paths, sp)
	}
	if len(shift.Paths) == 0 {
		return nil
	}
	return shift
}

// withGateSignals records on every path of shift what the gates measure,
// as the provider's kind declares for a load balancer configured as cfg,
// so the plan promises only that.
func withGateSignals(shift *plan.Shift, impl providers.ResourceKind, cfg cty.Value) {
	if shift == nil {
		return
	}
	signals := providers.GateSignals(impl, cfg)
	for _, sp := range shift.Paths {
		sp.Signals = signals
	}
}

func copyWeights(m map[string]int) map[string]int {
	out := make(map[string]int, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// applyMigrationSettings reads a path's steps, bake and error limit: the
// first of its routes with a migration block, over the load balancer's.
func applyMigrationSettings(sp *plan.ShiftPath, rt *schema.Routing, settings, after cty.Value, path string) {
	sp.Steps, sp.Bake, sp.MaxErrorRate = []int{10, 50, 100}, 30*time.Second, 0.01
	if settings == cty.NilVal || settings.IsNull() || !settings.IsKnown() {
		return
	}
	read := func(m cty.Value) {
		if m == cty.NilVal || m.IsNull() || !m.IsKnown() {
			return
		}
		if v := attr(m, "steps"); v.IsWhollyKnown() && !v.IsNull() {
			sp.Steps = nil
			for _, e := range v.AsValueSlice() {
				n, acc := e.AsBigFloat().Int64()
				if acc == big.Exact {
					sp.Steps = append(sp.Steps, int(n))
				}
			}
		}
		if v := attr(m, "bake"); v.IsKnown() && !v.IsNull() {
			if d, err := time.ParseDuration(v.AsString()); err == nil {
				sp.Bake = d
			}
		}
		if v := attr(m, "max_error_rate"); v.IsKnown() && !v.IsNull() {
			sp.MaxErrorRate, _ = v.AsBigFloat().Float64()
		}
	}
	read(attr(settings, "migration"))
	// Route-level settings: the plan-only tree lists routes in the same
	// order as the load balancer's route blocks.
	routes, planRoutes := attr(after, rt.Block), attr(settings, rt.Block)
	if routes.IsNull() || !routes.IsKnown() || planRoutes.IsNull() || !planRoutes.IsKnown() {
		return
	}
	rs, ps := routes.AsValueSlice(), planRoutes.AsValueSlice()
	for i := range rs {
		if i >= len(ps) {
			break
		}
		p := attr(rs[i], rt.Path)
		if p.IsKnown() && !p.IsNull() && schema.NormalizeRoutePath(p.AsString()) == path {
			read(attr(ps[i], "migration"))
			break
		}
	}
}
