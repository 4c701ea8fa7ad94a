package dag

import (
	"context"
	"fmt"
	"testing"
)

// layered builds n nodes in 10 layers, each node waiting for one barrier
// per layer, the shape of an apply of counted blocks that refer to the
// block before.
func layered(n int) *Graph[int] {
	g := New(func(a, b int) int { return a - b })
	per := n / 10
	for i := range n + 10 {
		g.Add(i)
	}
	for l := range 10 {
		barrier := n + l
		for i := l * per; i < (l+1)*per; i++ {
			g.Connect(barrier, i)
			if l > 0 {
				g.Connect(i, n+l-1)
			}
		}
	}
	return g
}

// chains builds n nodes in 10 layers, each waiting for its counterpart in
// the layer before: resources that refer to one instance each.
func chains(n int) *Graph[int] {
	g := New(func(a, b int) int { return a - b })
	per := n / 10
	for i := range n {
		g.Add(i)
		if i >= per {
			g.Connect(i, i-per)
		}
	}
	return g
}

// BenchmarkOrder and BenchmarkWalk grow linearly with the nodes: the
// ready nodes are a heap, not a list merged at every step.
func BenchmarkOrder(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprint("shape=layered/n=", n), func(b *testing.B) {
			g := layered(n)
			for b.Loop() {
				if _, err := g.Order(); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprint("shape=chains/n=", n), func(b *testing.B) {
			g := chains(n)
			for b.Loop() {
				if _, err := g.Order(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkWalk(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprint("shape=chains/n=", n), func(b *testing.B) {
			g := chains(n)
			for b.Loop() {
				if res := g.Walk(context.Background(), 10, func(context.Context, int) error { return nil }); len(res) > 0 {
					b.Fatal(res)
				}
			}
		})
	}
}
