package planner

import (
	"fmt"
	"math/big"
	"sort"
	"strings"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/stagecraft/stagecraft/providers/schema"
)

// Shift moves the traffic of a load balancer's paths from old targets to
// new ones in steps, each followed by a gate. The planner makes one when an
// update changes where an existing load balancer sends a path.
type Shift struct {
	Paths []*ShiftPath
}

// ShiftPath is one path's move.
type ShiftPath struct {
	// Path is the route path prefix ("/orders/"; "/" for everything).
	Path string
	// From and To are the target weights (percent, by group address)
	// before and after.
	From map[string]int
	To   map[string]int
	// Start is the share of the traffic already where it goes (after an
	// interrupted or halted shift); steps at or below it are skipped.
	Start int
	// Steps are the shares of To after each step, rising to 100.
	Steps []int
	// Bake is how long each step is watched; MaxErrorRate the share of
	// the new targets' requests that may fail (5xx) meanwhile.
	Bake         time.Duration
	MaxErrorRate float64
}

// Receivers are the targets that gain traffic: the ones the gate watches.
func (s *ShiftPath) Receivers() []string {
	var out []string
	for t, w := range s.To {
		if w > s.From[t] {
			out = append(out, t)
		}
	}
	sort.Strings(out)
	return out
}

// PendingSteps are the steps still to do.
func (s *ShiftPath) PendingSteps() []int {
	var out []int
	for _, st := range s.Steps {
		if st > s.Start {
			out = append(out, st)
		}
	}
	return out
}

// Weights are the target weights at a step: share percent of To, the rest
// of From, as whole percentages that sum to 100.
func (s *ShiftPath) Weights(share int) map[string]int {
	type part struct {
		t    string
		v    float64
		frac float64
	}
	raw := map[string]float64{}
	for t, w := range s.To {
		raw[t] += float64(share) * float64(w) / 100
	}
	for t, w := range s.From {
		raw[t] += float64(100-share) * float64(w) / 100
	}
	var parts []part
	total := 0
	for t, v := range raw {
		whole := int(v)
		parts = append(parts, part{t: t, v: float64(whole), frac: v - float64(whole)})
		total += whole
	}
	// Largest remainders get the points rounding lost.
	sort.Slice(parts, func(i, j int) bool {
		if parts[i].frac != parts[j].frac {
			return parts[i].frac > parts[j].frac
		}
		return parts[i].t < parts[j].t
	})
	for i := 0; total < 100 && i < len(parts); i++ {
		parts[i].v++
		total++
	}
	out := map[string]int{}
	for _, p := range parts {
		if p.v > 0 {
			out[p.t] = int(p.v)
		}
	}
	return out
}

// Describe renders the shift of one path for people.
func (s *ShiftPath) Describe() string {
	var steps []string
	for _, st := range s.PendingSteps() {
		steps = append(steps, fmt.Sprintf("%d%%", st))
	}
	from := fmt.Sprintf("%d%%", s.Start)
	return fmt.Sprintf("shift %s to %s: %s -> %s (gate: healthy, 5xx < %s for %s each)",
		s.Path, strings.Join(s.Receivers(), " and "), from, strings.Join(steps, " -> "), percent(s.MaxErrorRate), s.Bake)
}

func percent(f float64) string {
	return strings.TrimSuffix(strings.TrimSuffix(fmt.Sprintf("%.2f", f*100), "0"), ".0") + "%"
}

// routeTable reads a load balancer value's routes: path -> target ->
// weight, with a route alone on its path at 100.
func routeTable(lb cty.Value) map[string]map[string]int {
	out := map[string]map[string]int{}
	if lb == cty.NilVal || lb.IsNull() || !lb.IsKnown() {
		return out
	}
	lb, _ = lb.UnmarkDeep()
	routes := attr(lb, "route")
	if routes.IsNull() || !routes.IsKnown() {
		return out
	}
	for _, r := range routes.AsValueSlice() {
		p, t, w := attr(r, "path"), attr(r, "target"), attr(r, "weight")
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

// detectShift finds the paths whose traffic an update of a load balancer
// moves between targets. settings are the load balancer's plan-only
// migration settings (stacks.Resource.Settings).
func detectShift(before, after, settings cty.Value) *Shift {
	old, cur := routeTable(before), routeTable(after)
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
	shift := &Shift{}
	for _, p := range sorted {
		from, to := effective(old, p), effective(cur, p)
		if len(from) == 0 || len(to) == 0 || sameWeights(from, to) {
			continue
		}
		sp := &ShiftPath{Path: p, From: copyWeights(from), To: copyWeights(to)}
		for t, w := range to {
			sp.Start += min(w, from[t])
		}
		applyMigrationSettings(sp, settings, after, p)
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

func copyWeights(m map[string]int) map[string]int {
	out := make(map[string]int, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// applyMigrationSettings reads a path's steps, bake and error limit: the
// first of its routes with a migration block, over the load balancer's.
func applyMigrationSettings(sp *ShiftPath, settings, after cty.Value, path string) {
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
	routes, planRoutes := attr(after, "route"), attr(settings, "route")
	if routes.IsNull() || !routes.IsKnown() || planRoutes.IsNull() || !planRoutes.IsKnown() {
		return
	}
	rs, ps := routes.AsValueSlice(), planRoutes.AsValueSlice()
	for i := range rs {
		if i >= len(ps) {
			break
		}
		p := attr(rs[i], "path")
		if p.IsKnown() && !p.IsNull() && schema.NormalizeRoutePath(p.AsString()) == path {
			read(attr(ps[i], "migration"))
			break
		}
	}
}

// withRoutes returns a load balancer configuration whose routes for the
// shifted path carry the given weights, and whose other routes are those of
// cfg.
func withRoutes(cfg cty.Value, path string, weights map[string]int) cty.Value {
	cfg, _ = cfg.UnmarkDeep()
	m := cfg.AsValueMap()
	routes := m["route"]
	ety := routes.Type().ElementType()
	var out []cty.Value
	if routes.IsKnown() && !routes.IsNull() {
		for _, r := range routes.AsValueSlice() {
			p := attr(r, "path")
			if p.IsKnown() && !p.IsNull() && schema.NormalizeRoutePath(p.AsString()) == path {
				continue
			}
			out = append(out, r)
		}
	}
	var targets []string
	for t := range weights {
		targets = append(targets, t)
	}
	sort.Strings(targets)
	for _, t := range targets {
		attrs := map[string]cty.Value{}
		for name, aty := range ety.AttributeTypes() {
			attrs[name] = cty.NullVal(aty)
		}
		attrs["path"] = cty.StringVal(path)
		attrs["target"] = cty.StringVal(t)
		attrs["weight"] = cty.NumberIntVal(int64(weights[t]))
		out = append(out, cty.ObjectVal(attrs))
	}
	if len(out) == 0 {
		m["route"] = cty.ListValEmpty(ety)
	} else {
		m["route"] = cty.ListVal(out)
	}
	return cty.ObjectVal(m)
}
