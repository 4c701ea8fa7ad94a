package dag

import "container/heap"

// readyQueue holds the nodes whose dependencies are done, lowest rank
// first: a binary heap, so taking or adding one costs O(log n) however
// many are ready (a sorted list merged on every step made a graph of n
// nodes with wide layers cost O(n²)).
type readyQueue[K comparable] struct {
	nodes []*node[K]
}

func (q *readyQueue[K]) Len() int           { return len(q.nodes) }
func (q *readyQueue[K]) Less(i, j int) bool { return q.nodes[i].rank < q.nodes[j].rank }
func (q *readyQueue[K]) Swap(i, j int)      { q.nodes[i], q.nodes[j] = q.nodes[j], q.nodes[i] }

// Push and Pop are heap.Interface's; use push and pop.
func (q *readyQueue[K]) Push(x any) { q.nodes = append(q.nodes, x.(*node[K])) }

// Pop is heap.Interface's; use pop.
func (q *readyQueue[K]) Pop() any {
	n := q.nodes[len(q.nodes)-1]
	q.nodes[len(q.nodes)-1] = nil
	q.nodes = q.nodes[:len(q.nodes)-1]
	return n
}

func (q *readyQueue[K]) push(n *node[K]) { heap.Push(q, n) }
func (q *readyQueue[K]) pop() *node[K]   { return heap.Pop(q).(*node[K]) }
