package planner

// Benchmarks of the planner at scale, for the targets in bench/RESULTS.md.
// They run the whole path a user's plan and apply take: the stack
// language's evaluation, the sim provider (in memory, latency 0 unless a
// benchmark says otherwise) and the local state backend in a temporary
// directory, which fsyncs its journal. Run them with
//
//	go test ./planner -run '^$' -bench . -benchtime 3x -count 5
//
// Wall-clock targets are checked here and written down in bench/, never
// asserted in unit tests: the machines are shared and noisy.

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"testing/fstest"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/stagecraft/stagecraft/bench/shape"
	"github.com/stagecraft/stagecraft/planner/apply"
	"github.com/stagecraft/stagecraft/planner/plan"
	"github.com/stagecraft/stagecraft/providers"
	"github.com/stagecraft/stagecraft/stacks"
	"github.com/stagecraft/stagecraft/stacks/addrs"
	"github.com/stagecraft/stagecraft/state"
)

// benchStack is the benchmark shape (bench/shape) with n resources in
// layers layers.
func benchStack(n, layers int) map[string]string {
	files, err := shape.Stack(n, layers, "test")
	if err != nil {
		panic("benchStack: " + err.Error())
	}
	return files
}

// loadBenchStack loads generated files the way the harness does.
func loadBenchStack(tb testing.TB, files map[string]string) *stacks.Stack {
	tb.Helper()
	fsys := fstest.MapFS{}
	for name, src := range files {
		fsys[name] = &fstest.MapFile{Data: []byte(src)}
	}
	st, diags := stacks.LoadFS(fsys, ".")
	if diags.HasErrors() {
		tb.Fatalf("load: %s", diags.Error())
	}
	return st
}

// benchEnv is one environment of a benchmark: a stack, a fresh sim cloud
// and a local backend, with counters of what the planner asked of them.
type benchEnv struct {
	stack       *stacks.Stack
	provider    providers.Provider
	backend     *countingBackend
	parallelism int
	// evals counts evaluations of the stack (plan and apply together).
	evals atomic.Int64
}

func newBenchEnv(tb testing.TB, st *stacks.Stack, simCfg map[string]cty.Value, dir string) *benchEnv {
	tb.Helper()
	return &benchEnv{stack: st, provider: configuredSim(tb, simCfg), backend: &countingBackend{Backend: state.NewLocal(dir, "test")}}
}

func (e *benchEnv) planner() *Planner {
	return &Planner{
		Provider: e.provider, ProviderName: "sim", Stack: e.stack.Name, Environment: "test",
		Parallelism: e.parallelism,
		Evaluate: func(known map[addrs.Instance]cty.Value, reuse *stacks.Reuse) (*stacks.DesiredSet, hcl.Diagnostics) {
			e.evals.Add(1)
			return e.stack.Evaluate(stacks.Request{Environment: "test", Stage: "s", Known: known, Reuse: reuse})
		},
	}
}

// plan reads the state as the CLI does and plans against it.
func (e *benchEnv) plan(ctx context.Context) (*plan.Plan, *state.State, error) {
	rec, err := e.backend.Recover(ctx)
	if err != nil {
		return nil, nil, err
	}
	var opts PlanOptions
	if rec != nil {
		opts.State, opts.Intents = rec.State, rec.PendingIntents
	}
	p, err := e.planner().Plan(ctx, opts)
	return p, opts.State, err
}

// planApply is one `stagecraft apply`: recover, plan, apply. It returns
// the time spent planning and applying.
func (e *benchEnv) planApply(ctx context.Context) (planTime, applyTime time.Duration, err error) {
	start := time.Now()
	p, st, err := e.plan(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("plan: %w", err)
	}
	planTime = time.Since(start)
	start = time.Now()
	if _, err := e.planner().Apply(ctx, p, apply.Options{Backend: e.backend, State: st}); err != nil {
		return 0, 0, fmt.Errorf("apply: %w", err)
	}
	return planTime, time.Since(start), nil
}

// countingBackend counts state writes and journal batches: every batch is
// one write and one fsync, every state write a file fsync and a directory
// fsync.
type countingBackend struct {
	state.Backend
	writes, batches, entries atomic.Int64
}

func (c *countingBackend) Write(ctx context.Context, s *state.State) error {
	c.writes.Add(1)
	return c.Backend.Write(ctx, s)
}

func (c *countingBackend) Journal(ctx context.Context) (state.Journal, error) {
	j, err := c.Backend.Journal(ctx)
	if err != nil {
		return nil, err
	}
	return &countingJournal{Journal: j, c: c}, nil
}

type countingJournal struct {
	state.Journal
	c *countingBackend
}

func (j *countingJournal) Append(ctx context.Context, e state.JournalEntry) error {
	j.c.batches.Add(1)
	j.c.entries.Add(1)
	return j.Journal.Append(ctx, e)
}

func (j *countingJournal) AppendBatch(ctx context.Context, es []state.JournalEntry) error {
	j.c.batches.Add(1)
	j.c.entries.Add(int64(len(es)))
	return j.Journal.AppendBatch(ctx, es)
}

// peakMemory samples the Go heap while a function runs and reads the
// process's resident high-water mark after it.
type peakMemory struct {
	stop chan struct{}
	done chan struct{}
	// heapInuse is the peak of the heap spans in use (HeapInuse), mapped
	// the peak of the memory the runtime holds from the OS and has not
	// released (Sys minus HeapReleased).
	heapInuse, mapped uint64
	rssReset          bool
}

// startPeakMemory collects garbage, returns freed memory to the OS, resets
// the kernel's resident high-water mark (Linux: /proc/self/clear_refs) and
// starts sampling every millisecond.
func startPeakMemory() *peakMemory {
	runtime.GC()
	debug.FreeOSMemory()
	m := &peakMemory{stop: make(chan struct{}), done: make(chan struct{})}
	m.rssReset = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
	samples := []metrics.Sample{
		{Name: "/memory/classes/heap/objects:bytes"},
		{Name: "/memory/classes/heap/unused:bytes"},
		{Name: "/memory/classes/total:bytes"},
		{Name: "/memory/classes/heap/released:bytes"},
	}
	read := func() {
		metrics.Read(samples)
		heap := samples[0].Value.Uint64() + samples[1].Value.Uint64()
		mapped := samples[2].Value.Uint64() - samples[3].Value.Uint64()
		m.heapInuse = max(m.heapInuse, heap)
		m.mapped = max(m.mapped, mapped)
	}
	go func() {
		defer close(m.done)
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			read()
			select {
			case <-m.stop:
				read()
				return
			case <-t.C:
			}
		}
	}()
	return m
}

// finish stops sampling and returns the peaks in MiB (2^20 bytes): Go heap in use, Go
// memory mapped, and the process's resident high-water mark (VmHWM, and
// getrusage's ru_maxrss).
func (m *peakMemory) finish() (heapMB, mappedMB, hwmMB, maxrssMB float64) {
	close(m.stop)
	<-m.done
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err == nil {
		maxrssMB = float64(ru.Maxrss) / 1024 // kilobytes on Linux
	}
	return float64(m.heapInuse) / (1 << 20), float64(m.mapped) / (1 << 20), vmHWM() / 1024, maxrssMB
}

// vmHWM reads the resident high-water mark in kB from /proc/self/status.
func vmHWM() float64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				kb, _ := strconv.ParseFloat(f[0], 64)
				return kb
			}
		}
	}
	return 0
}

// BenchmarkPlanApply measures one `stagecraft apply` of n new resources
// from an empty state: recover, plan, apply (parallelism 10), with the
// journal fsynced and the state written. layers10 chains ten blocks, each
// referring to the previous one's computed ids. Besides ns/op it reports
// plan and apply time, stack evaluations, journal batches (one fsync
// each) and entries, and the peak memory.
func BenchmarkPlanApply(b *testing.B) {
	for _, bc := range []struct {
		n, layers int
	}{
		{1000, 1}, {1000, 10}, {5000, 1}, {5000, 10},
	} {
		name := fmt.Sprintf("independent-%d", bc.n)
		if bc.layers > 1 {
			name = fmt.Sprintf("layers%d-%d", bc.layers, bc.n)
		}
		b.Run(name, func(b *testing.B) {
			st := loadBenchStack(b, benchStack(bc.n, bc.layers))
			dir := b.TempDir()
			ctx := context.Background()
			var planT, applyT time.Duration
			var evals, batches, entries int64
			var heap, mapped, hwm, maxrss float64
			i := 0
			for b.Loop() {
				b.StopTimer()
				i++
				e := newBenchEnv(b, st, nil, filepath.Join(dir, strconv.Itoa(i)))
				// Every size starts from a collected heap returned to the
				// OS, as a new process does, so that sizes compare.
				mem := startPeakMemory()
				b.StartTimer()
				pt, at, err := e.planApply(ctx)
				if err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				h, m, w, r := mem.finish()
				heap, mapped, hwm, maxrss = max(heap, h), max(mapped, m), max(hwm, w), max(maxrss, r)
				planT += pt
				applyT += at
				evals += e.evals.Load()
				batches += e.backend.batches.Load()
				entries += e.backend.entries.Load()
				b.StartTimer()
			}
			n := float64(b.N)
			b.ReportMetric(float64(planT.Milliseconds())/n, "plan-ms")
			b.ReportMetric(float64(applyT.Milliseconds())/n, "apply-ms")
			b.ReportMetric(float64(evals)/n, "evals/op")
			b.ReportMetric(float64(batches)/n, "fsyncs/op")
			b.ReportMetric(float64(entries)/n, "entries/op")
			b.ReportMetric(heap, "peak-heap-MiB")
			b.ReportMetric(mapped, "peak-mapped-MiB")
			b.ReportMetric(hwm, "peak-rss-MiB")
			b.ReportMetric(maxrss, "maxrss-MiB")
		})
	}
}

// BenchmarkNoopPlan5000 measures `stagecraft plan` against 5,000 applied
// resources that have not changed: read and replay the state, refresh
// every resource through the sim provider's BatchReader, evaluate and
// diff. Every change must be a no-op.
func BenchmarkNoopPlan5000(b *testing.B) {
	for _, layers := range []int{1, 10} {
		name := "independent"
		if layers > 1 {
			name = fmt.Sprintf("layers%d", layers)
		}
		b.Run(name, func(b *testing.B) {
			st := loadBenchStack(b, benchStack(5000, layers))
			e := newBenchEnv(b, st, nil, b.TempDir())
			ctx := context.Background()
			if _, _, err := e.planApply(ctx); err != nil {
				b.Fatal(err)
			}
			e.evals.Store(0)
			mem := startPeakMemory()
			for b.Loop() {
				p, _, err := e.plan(ctx)
				if err != nil {
					b.Fatal(err)
				}
				if p.HasChanges() {
					b.Fatalf("plan against what was just applied has changes:\n%s", actions(p))
				}
			}
			heap, _, _, _ := mem.finish()
			b.ReportMetric(float64(e.evals.Load())/float64(b.N), "evals/op")
			b.ReportMetric(heap, "peak-heap-MiB")
		})
	}
}

// BenchmarkLatencyCriticalPath applies ten dependent layers with the sim
// provider's latency at 100 ms and parallelism above the layer width, so
// that only the dependencies bound the apply. A create is one provider
// call, so the critical path is 10 layers x 100 ms x 1 call = 1 s; the
// x-critical-path metric is the apply's wall time over that (target: at
// most 1.2). ns/op includes the plan, which makes no provider call here.
func BenchmarkLatencyCriticalPath(b *testing.B) {
	const (
		layers  = 10
		latency = 100 * time.Millisecond
	)
	for _, bc := range []struct {
		width, parallelism int
	}{
		{5, 10}, {50, 64},
	} {
		b.Run(fmt.Sprintf("layers%dx%d-p%d", layers, bc.width, bc.parallelism), func(b *testing.B) {
			st := loadBenchStack(b, benchStack(layers*bc.width, layers))
			dir := b.TempDir()
			ctx := context.Background()
			critical := layers * latency
			var applyT time.Duration
			var evals, batches int64
			i := 0
			for b.Loop() {
				b.StopTimer()
				i++
				e := newBenchEnv(b, st, map[string]cty.Value{"latency": cty.StringVal(latency.String())}, filepath.Join(dir, strconv.Itoa(i)))
				e.parallelism = bc.parallelism
				b.StartTimer()
				_, at, err := e.planApply(ctx)
				if err != nil {
					b.Fatal(err)
				}
				applyT += at
				evals += e.evals.Load()
				batches += e.backend.batches.Load()
			}
			n := float64(b.N)
			b.ReportMetric(float64(applyT.Milliseconds())/n, "apply-ms")
			b.ReportMetric(applyT.Seconds()/n/critical.Seconds(), "x-critical-path")
			b.ReportMetric(float64(evals)/n, "evals/op")
			b.ReportMetric(float64(batches)/n, "fsyncs/op")
		})
	}
}
