package plan

import (
	"fmt"
	"sort"
	"strings"
	"time"
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
	// Signals are what the gate after each step measures, as the
	// provider declares it can ("health", "5xx"); empty when it measures
	// nothing and the traffic moves without gates. Nil (a plan saved
	// before plans named them) means both.
	Signals []string
}

// Measures reports whether the gate measures signal.
func (s *ShiftPath) Measures(signal string) bool {
	if s.Signals == nil {
		return true
	}
	for _, sig := range s.Signals {
		if sig == signal {
			return true
		}
	}
	return false
}

// Gate describes the gate after each step, naming exactly what it
// measures: "gate: healthy, 5xx < 1% for 30s each".
func (s *ShiftPath) Gate() string {
	var checks []string
	if s.Measures("health") {
		checks = append(checks, "healthy")
	}
	if s.Measures("5xx") {
		checks = append(checks, "5xx < "+Percent(s.MaxErrorRate))
	}
	if len(checks) == 0 {
		return "no gate: the provider measures neither health nor errors"
	}
	return fmt.Sprintf("gate: %s for %s each", strings.Join(checks, ", "), s.Bake)
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
	return fmt.Sprintf("shift %s to %s: %s -> %s (%s)",
		s.Path, strings.Join(s.Receivers(), " and "), from, strings.Join(steps, " -> "), s.Gate())
}

// Percent renders a share (0.01) as people read it: "1%", "0.5%".
func Percent(f float64) string {
	return strings.TrimSuffix(strings.TrimSuffix(fmt.Sprintf("%.2f", f*100), "0"), ".0") + "%"
}
