package planner

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
)

func TestGraphOrderAndCycles(t *testing.T) {
	t.Parallel()
	g := NewGraph()
	for _, k := range []string{"a", "b", "c", "d"} {
		g.Add(k)
	}
	g.Connect("c", "b")
	g.Connect("b", "a")
	g.Connect("d", "a")
	order, _, ok := g.Order()
	if !ok || strings.Join(order, ",") != "a,b,c,d" {
		t.Fatalf("order %v ok %v, want a,b,c,d", order, ok)
	}
	g.Connect("a", "c")
	if _, cyc, ok := g.Order(); ok || strings.Join(cyc, ",") != "a,b,c,d" {
		t.Fatalf("cycle %v ok %v; every node waiting on the cycle is listed", cyc, ok)
	}
}

func TestGraphWalkFailureSkipsDependents(t *testing.T) {
	t.Parallel()
	g := NewGraph()
	for _, k := range []string{"root", "bad", "child", "grandchild", "other"} {
		g.Add(k)
	}
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
		t.Errorf("results %v", res)
	}
	if _, failed := res["other"]; failed {
		t.Errorf("an independent branch was affected: %v", res["other"])
	}
}

func TestGraphWalkOrderRespected(t *testing.T) {
	t.Parallel()
	g := NewGraph()
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
