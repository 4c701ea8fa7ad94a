package planner

import (
	"fmt"
	"sync"

	"github.com/zclconf/go-cty/cty"

	"github.com/stagecraft/stagecraft/stacks"
)

// evalQueue re-evaluates the stack during apply, when a resource's
// configuration refers to attributes that exist only now that its
// dependencies are done. Requests that arrive while an evaluation runs are
// served together by the next one, so a large apply evaluates the stack
// about once per wave of dependencies, not once per resource.
type evalQueue struct {
	eval Evaluator

	mu      sync.Mutex
	known   map[string]cty.Value
	waiting []evalRequest
	busy    bool
}

type evalRequest struct {
	addr string
	out  chan evalResult
}

type evalResult struct {
	res *stacks.Resource
	err error
}

func newEvalQueue(eval Evaluator, known map[string]cty.Value) *evalQueue {
	return &evalQueue{eval: eval, known: known}
}

// set records the actual value of a resource that now exists.
func (q *evalQueue) set(addr string, v cty.Value) {
	q.mu.Lock()
	q.known[addr] = v
	q.mu.Unlock()
}

// remove forgets a resource that no longer exists.
func (q *evalQueue) remove(addr string) {
	q.mu.Lock()
	delete(q.known, addr)
	q.mu.Unlock()
}

// resource evaluates the stack with everything known so far and returns
// the desired resource at addr.
func (q *evalQueue) resource(addr string) (*stacks.Resource, error) {
	out := make(chan evalResult, 1)
	q.mu.Lock()
	q.waiting = append(q.waiting, evalRequest{addr: addr, out: out})
	if q.busy {
		q.mu.Unlock()
		r := <-out
		return r.res, r.err
	}
	q.busy = true
	for len(q.waiting) > 0 {
		batch := q.waiting
		q.waiting = nil
		snapshot := make(map[string]cty.Value, len(q.known))
		for k, v := range q.known {
			snapshot[k] = v
		}
		q.mu.Unlock()
		ds, diags := q.eval(snapshot)
		byAddr := map[string]*stacks.Resource{}
		if ds != nil {
			for _, r := range ds.Resources {
				byAddr[r.Address] = r
			}
		}
		for _, req := range batch {
			switch r, ok := byAddr[req.addr]; {
			case diags.HasErrors():
				req.out <- evalResult{err: &DiagnosticsError{Diags: diags}}
			case !ok:
				req.out <- evalResult{err: fmt.Errorf("%s is no longer in the stack; run plan again", req.addr)}
			default:
				req.out <- evalResult{res: r}
			}
		}
		q.mu.Lock()
	}
	q.busy = false
	q.mu.Unlock()
	r := <-out
	return r.res, r.err
}
