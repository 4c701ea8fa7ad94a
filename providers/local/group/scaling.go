package group

import (
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/stagecraft/stagecraft/providers/local/supervisor"
)

// Target tracking, as AWS does it: the group's size follows one figure
// (requests per second per instance, from the load balancers' counters, or
// average CPU use, from /proc) so that it stays near its target, between
// min and max, with at most one change per cooldown. It only runs when the
// configuration leaves desired out; a configured desired pins the size.

// scaleRateWindow is how far back the request rate looks; a few seconds smooth
// out bursts without reacting late.
const scaleRateWindow = 3 * time.Second

// ProcClockTicks is the kernel's USER_HZ, the unit of /proc/PID/stat times; it
// is 100 on every Linux the local provider runs on.
const ProcClockTicks = 100

// scale runs the scaling policy once. It reads the figures without the
// group's lock (load balancers and /proc), then changes desired under it.
func (g *group) scale(now time.Time) {
	g.mu.Lock()
	sc := g.spec.scaling
	pinned := g.spec.desired >= 0
	var healthy []*groupInstance
	for _, inst := range g.sortedLocked() {
		if inst.state == stHealthy {
			healthy = append(healthy, inst)
		}
	}
	g.mu.Unlock()
	if sc == nil || pinned || g.stoppingNow() {
		g.samples = nil
		return
	}
	proposed, figure, ok := 0, "", false
	switch {
	case sc.targetRPS > 0:
		rate, known := g.requestRate(now)
		if !known {
			return
		}
		proposed, ok = int(math.Ceil(rate/sc.targetRPS)), true
		figure = fmt.Sprintf("%.1f requests/s for a target of %g per instance", rate, sc.targetRPS)
	case sc.targetCPU > 0:
		avg, known := cpuAverage(now, healthy)
		if !known {
			return
		}
		proposed, ok = int(math.Ceil(float64(len(healthy))*avg/sc.targetCPU)), true
		figure = fmt.Sprintf("%.0f%% CPU on %d instances for a target of %g%%", avg, len(healthy), sc.targetCPU)
	}
	if !ok {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	proposed = max(g.spec.min, min(proposed, g.spec.max))
	if g.stopping || proposed == g.desired || now.Sub(g.lastScale) < sc.cooldown {
		return
	}
	g.logf("scaling from %d to %d instances: %s", g.desired, proposed, figure)
	g.desired = proposed
	g.lastScale = now
	g.noteChangeLocked()
}

func (g *group) stoppingNow() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.stopping
}

// requestRate is the rate of requests the load balancers sent to the group
// over the last scaleRateWindow; known is false until there are two samples.
func (g *group) requestRate(now time.Time) (rate float64, known bool) {
	total, _ := g.traffic()
	if n := len(g.samples); n > 0 && total < g.samples[n-1].requests {
		// A load balancer went away with its counts: start over.
		g.samples = nil
	}
	g.samples = append(g.samples, trafficSample{at: now, requests: total})
	for len(g.samples) > 2 && now.Sub(g.samples[1].at) >= scaleRateWindow {
		g.samples = g.samples[1:]
	}
	if len(g.samples) < 2 {
		return 0, false
	}
	first, last := g.samples[0], g.samples[len(g.samples)-1]
	dt := last.at.Sub(first.at).Seconds()
	if dt <= 0 {
		return 0, false
	}
	return float64(last.requests-first.requests) / dt, true
}

// cpuAverage is the average CPU use in percent of one core across the
// instances since the last call; known is false until an instance has two
// samples.
func cpuAverage(now time.Time, insts []*groupInstance) (avg float64, known bool) {
	sum, n := 0.0, 0
	for _, inst := range insts {
		ticks, err := ProcCPUTicks(inst.p.PID())
		if err != nil {
			continue
		}
		if !inst.cpuAt.IsZero() && ticks >= inst.cpuTicks {
			if dt := now.Sub(inst.cpuAt).Seconds(); dt > 0 {
				sum += float64(ticks-inst.cpuTicks) / ProcClockTicks / dt * 100
				n++
			}
		}
		inst.cpuTicks, inst.cpuAt = ticks, now
	}
	if n == 0 {
		return 0, false
	}
	return sum / float64(n), true
}

// ProcCPUTicks reads the CPU time of a process and of its children it waited
// for (utime+stime+cutime+cstime from /proc/PID/stat), in clock ticks.
func ProcCPUTicks(pid int) (uint64, error) {
	f, err := supervisor.ProcStat(pid)
	if err != nil {
		return 0, err
	}
	// f[0] is field 3 (state); utime..cstime are fields 14..17.
	if len(f) < 15 {
		return 0, fmt.Errorf("unexpected /proc/%d/stat", pid)
	}
	var total uint64
	for _, k := range f[11:15] {
		v, err := strconv.ParseUint(k, 10, 64)
		if err != nil {
			return 0, err
		}
		total += v
	}
	return total, nil
}
