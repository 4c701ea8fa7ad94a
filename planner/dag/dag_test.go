package dag

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func newGraph(keys ...string) *Graph[string] {
	g := New(strings.Compare)
	for _, k := range keys {
		g.Add(k)
	}
	return g
}

func TestOrderAndCycles(t *testing.T) {
	t.Parallel()
	g := newGraph("a", "b", "c", "d")
	g.Connect("c", "b")
	g.Connect("b", "a")
	g.Connect("d", "a")
	order, err := g.Order()
	if err != nil || strings.Join(order, ",") != "a,b,c,d" {
		t.Fatalf("order %v err %v, want a,b,c,d", order, err)
	}
	g.Connect("a", "c")
	_, err = g.Order()
	var cyc *CycleError[string]
	if !errors.As(err, &cyc) || strings.Join(cyc.Nodes, ",") != "a,b,c,d" {
		t.Fatalf("Order = %v, want a cycle listing a,b,c,d (every node waiting on the cycle)", err)
	}
}

func TestOrderBreaksTiesByCompare(t *testing.T) {
	t.Parallel()
	g := New(func(a, b int) int { return b - a }) // highest first
	for i := range 5 {
		g.Add(i)
	}
	g.Connect(4, 0)
	order, err := g.Order()
	if err != nil {
		t.Fatal(err)
	}
	want := []int{3, 2, 1, 0, 4}
	for i := range want {
		if order[i] != want[i] {
			t.Fatalf("order %v, want %v", order, want)
		}
	}
}

func TestWalkFailureSkipsDependents(t *testing.T) {
	t.Parallel()
	g := newGraph("root", "bad", "child", "grandchild", "other")
	g.Connect("bad", "root")
	g.Connect("child", "bad")
	g.Connect("grandchild", "child")
	g.Connect("other", "root")
	var mu sync.Mutex
	var ran []string
	res := g.Walk(context.Background(), 3, func(_ context.Context, k string) error {
		mu.Lock()
		ran = append(ran, k)
		mu.Unlock()
		if k == "bad" {
			return errors.New("boom")
		}
		return nil
	})
	if len(ran) != 3 {
		t.Errorf("ran %v, want root, bad and other", ran)
	}
	if res["bad"] == nil || !errors.Is(res["child"], ErrSkipped) || !errors.Is(res["grandchild"], ErrSkipped) {
		t.Errorf("results %v, want bad failed and child and grandchild skipped", res)
	}
	if _, failed := res["other"]; failed {
		t.Errorf("an independent branch was affected: %v", res["other"])
	}
}

func TestWalkOrderRespected(t *testing.T) {
	t.Parallel()
	g := New(strings.Compare)
	const n = 200
	keys := make([]string, n)
	for i := range keys {
		keys[i] = string(rune('A'+i%26)) + strings.Repeat("x", i/26)
		g.Add(keys[i])
		if i > 0 {
			g.Connect(keys[i], keys[(i-1)/2])
		}
	}
	var mu sync.Mutex
	doneAt := map[string]int{}
	step := 0
	res := g.Walk(context.Background(), 8, func(_ context.Context, k string) error {
		mu.Lock()
		defer mu.Unlock()
		step++
		doneAt[k] = step
		return nil
	})
	if len(res) != 0 {
		t.Fatalf("errors %v", res)
	}
	for i := 1; i < n; i++ {
		if doneAt[keys[i]] <= doneAt[keys[(i-1)/2]] {
			t.Fatalf("%s ran before its dependency %s", keys[i], keys[(i-1)/2])
		}
	}
}

// TestWalkParallelismBound: independent nodes run at the same time, never
// more than parallelism at once.
func TestWalkParallelismBound(t *testing.T) {
	t.Parallel()
	g := New(func(a, b int) int { return a - b })
	for i := range 40 {
		g.Add(i)
	}
	var now, peak atomic.Int32
	res := g.Walk(context.Background(), 4, func(_ context.Context, _ int) error {
		n := now.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(2 * time.Millisecond)
		now.Add(-1)
		return nil
	})
	if len(res) != 0 {
		t.Fatalf("errors %v", res)
	}
	if p := peak.Load(); p > 4 || p < 2 {
		t.Errorf("at most %d nodes ran at once, want between 2 and the bound 4", p)
	}
}

// TestWalkCancel: once the context is cancelled no node starts; the one
// in flight finishes, and the rest are reported as not started.
func TestWalkCancel(t *testing.T) {
	t.Parallel()
	g := newGraph("a", "b", "c")
	g.Connect("b", "a")
	g.Connect("c", "b")
	ctx, cancel := context.WithCancel(context.Background())
	var ran []string
	res := g.Walk(ctx, 2, func(_ context.Context, k string) error {
		ran = append(ran, k)
		cancel()
		return nil
	})
	if strings.Join(ran, ",") != "a" {
		t.Errorf("ran %v, want only a", ran)
	}
	if _, failed := res["a"]; failed || !errors.Is(res["b"], ErrNotStarted) || !errors.Is(res["c"], ErrNotStarted) {
		t.Errorf("results %v, want a done and b and c not started", res)
	}
}
