package lb

import (
	"math"
	"sync"
	"sync/atomic"
	"time"
)

// lbStats are a load balancer's counters: in total, per target (instance)
// and per group (what scaling reads). Everything is atomic: requests update
// them without a lock.
type lbStats struct {
	requests  atomic.Int64
	errors5xx atomic.Int64
	targets   sync.Map // instance id -> *targetStats
	groups    sync.Map // group address -> *groupStats
}

// targetStats are one instance's figures.
type targetStats struct {
	requests  atomic.Int64
	errors5xx atomic.Int64
	latency   latencyHistogram
}

// groupStats count what was routed to a group, whichever instance took it.
type groupStats struct {
	requests  atomic.Int64
	errors5xx atomic.Int64
}

func (s *lbStats) target(id string) *targetStats {
	if t, ok := s.targets.Load(id); ok {
		return t.(*targetStats)
	}
	t, _ := s.targets.LoadOrStore(id, &targetStats{})
	return t.(*targetStats)
}

func (s *lbStats) group(addr string) *groupStats {
	if g, ok := s.groups.Load(addr); ok {
		return g.(*groupStats)
	}
	g, _ := s.groups.LoadOrStore(addr, &groupStats{})
	return g.(*groupStats)
}

// prune forgets the targets not in keep (instances that are gone).
func (s *lbStats) prune(keep map[string]bool) {
	s.targets.Range(func(k, _ any) bool {
		if !keep[k.(string)] {
			s.targets.Delete(k)
		}
		return true
	})
}

// record counts one finished request of a target.
func (t *targetStats) record(status int, d time.Duration) {
	t.requests.Add(1)
	if status >= 500 {
		t.errors5xx.Add(1)
	}
	t.latency.observe(d)
}

// latencyHistogram counts latencies in buckets whose bounds grow by
// histGrowth from histFirst, so p50 and p99 are known within a few percent
// from microseconds to minutes, in fixed memory.
type latencyHistogram struct {
	counts [histBuckets]atomic.Int64
}

const (
	histBuckets = 96
	histFirst   = 100 * time.Microsecond
	histGrowth  = 1.2
)

// histBound is the upper bound of bucket i (the last takes anything
// longer).
func histBound(i int) time.Duration {
	return time.Duration(float64(histFirst) * math.Pow(histGrowth, float64(i)))
}

func (h *latencyHistogram) observe(d time.Duration) {
	i := 0
	if d > histFirst {
		i = int(math.Ceil(math.Log(float64(d)/float64(histFirst)) / math.Log(histGrowth)))
	}
	h.counts[min(max(i, 0), histBuckets-1)].Add(1)
}

// quantile estimates the q-quantile in seconds, interpolating within the
// bucket it falls in; 0 without observations.
func (h *latencyHistogram) quantile(q float64) float64 {
	var counts [histBuckets]int64
	var total int64
	for i := range counts {
		counts[i] = h.counts[i].Load()
		total += counts[i]
	}
	if total == 0 {
		return 0
	}
	rank := q * float64(total)
	var cum int64
	for i, c := range counts {
		if c == 0 {
			continue
		}
		if float64(cum+c) >= rank {
			lo := time.Duration(0)
			if i > 0 {
				lo = histBound(i - 1)
			}
			hi := histBound(i)
			frac := (rank - float64(cum)) / float64(c)
			return (lo + time.Duration(frac*float64(hi-lo))).Seconds()
		}
		cum += c
	}
	return histBound(histBuckets - 1).Seconds()
}
