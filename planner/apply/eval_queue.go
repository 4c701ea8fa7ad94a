package apply

import (
	"fmt"
	"slices"
	"sync"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/stagecraft/stagecraft/stacks"
	"github.com/stagecraft/stagecraft/stacks/addrs"
)

// evalQueue re-evaluates the stack during apply, when a resource's
// configuration refers to attributes that exist only now that its
// dependencies are done. Two things keep a large apply from evaluating the
// stack once per resource:
//   - requests that arrive while an evaluation runs are served together by
//     the next one;
//   - an evaluation answers for every resource, so a later request is
//     served from the latest evaluation as long as none of the resource's
//     dependencies changed since it ran (a layer of a hundred resources
//     waiting on the same layer before it costs one evaluation, not a
//     hundred).
type evalQueue struct {
	eval Evaluator

	mu    sync.Mutex
	known map[addrs.Instance]cty.Value
	// gen counts the changes to known; changedAt is the generation of the
	// last change of each address.
	gen       uint64
	changedAt map[addrs.Instance]uint64
	// lastSet is the latest evaluation without errors, lastGen the
	// generation of the values it saw. Requests are answered from it as
	// long as they can be (cachedLocked), and the next evaluation takes
	// over its unchanged blocks (stacks.Reuse).
	lastSet *stacks.DesiredSet
	lastGen uint64
	// answers is false while lastSet is the evaluation before the walk,
	// which requests are not answered from: only an evaluation of the
	// queue's own does.
	answers bool
	waiting []evalRequest
	busy    bool
}

type evalRequest struct {
	addr addrs.Instance
	out  chan evalResult
}

type evalResult struct {
	res *stacks.Resource
	err error
}

func newEvalQueue(eval Evaluator, known map[addrs.Instance]cty.Value) *evalQueue {
	return &evalQueue{eval: eval, known: known, changedAt: map[addrs.Instance]uint64{}}
}

// set records the actual value of a resource that now exists.
func (q *evalQueue) set(addr addrs.Instance, v cty.Value) {
	q.mu.Lock()
	q.known[addr] = v
	q.changedLocked(addr)
	q.mu.Unlock()
}

// remove forgets a resource that no longer exists.
func (q *evalQueue) remove(addr addrs.Instance) {
	q.mu.Lock()
	delete(q.known, addr)
	q.changedLocked(addr)
	q.mu.Unlock()
}

// changedLocked notes a change of the resource at addr, which is also a
// change of its block for those that depend on the block as a whole.
func (q *evalQueue) changedLocked(addr addrs.Instance) {
	q.gen++
	q.changedAt[addr] = q.gen
	if !addr.Key.IsNone() {
		q.changedAt[addr.Block()] = q.gen
	}
}

// cachedLocked returns the latest evaluation's resource at addr when none
// of its dependencies changed since that evaluation read them.
func (q *evalQueue) cachedLocked(addr addrs.Instance) (*stacks.Resource, bool) {
	if !q.answers {
		return nil, false
	}
	r, ok := lookup(q.lastSet, addr)
	if !ok {
		return nil, false
	}
	for _, d := range r.DependsOn {
		if q.changedAt[d] > q.lastGen {
			return nil, false
		}
	}
	return r, true
}

// snapshotLocked copies what is known now for an evaluation, with its
// generation and what the latest evaluation found for the blocks whose
// instances did not change since.
func (q *evalQueue) snapshotLocked() (map[addrs.Instance]cty.Value, uint64, *stacks.Reuse) {
	snapshot := copyKnown(q.known)
	var reuse *stacks.Reuse
	if q.lastSet != nil {
		changed := map[addrs.Instance]bool{}
		for addr, g := range q.changedAt {
			if g > q.lastGen {
				changed[addr] = true
			}
		}
		reuse = &stacks.Reuse{Previous: q.lastSet, Changed: func(addr addrs.Instance) bool { return changed[addr] }}
	}
	return snapshot, q.gen, reuse
}

// final evaluates the stack once more with everything the apply made,
// for the outputs. It runs after the walk, when no request is waiting.
func (q *evalQueue) final() (*stacks.DesiredSet, hcl.Diagnostics) {
	q.mu.Lock()
	snapshot, _, reuse := q.snapshotLocked()
	q.mu.Unlock()
	return q.eval(snapshot, reuse)
}

// resource evaluates the stack with everything known so far and returns
// the desired resource at addr. The caller asks only once the resource's
// dependencies are done.
func (q *evalQueue) resource(addr addrs.Instance) (*stacks.Resource, error) {
	q.mu.Lock()
	if r, ok := q.cachedLocked(addr); ok {
		q.mu.Unlock()
		return r, nil
	}
	out := make(chan evalResult, 1)
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
		snapshot, gen, reuse := q.snapshotLocked()
		q.mu.Unlock()
		ds, diags := q.eval(snapshot, reuse)
		q.mu.Lock()
		if !diags.HasErrors() {
			q.lastSet, q.lastGen, q.answers = ds, gen, true
		}
		for _, req := range batch {
			switch r, ok := lookup(ds, req.addr); {
			case diags.HasErrors():
				req.out <- evalResult{err: &DiagnosticsError{Diags: diags}}
			case !ok:
				req.out <- evalResult{err: fmt.Errorf("%s is no longer in the stack; run plan again", req.addr)}
			default:
				req.out <- evalResult{res: r}
			}
		}
		// Requests that came in meanwhile may be answered already.
		keep := q.waiting[:0]
		for _, req := range q.waiting {
			if r, ok := q.cachedLocked(req.addr); ok {
				req.out <- evalResult{res: r}
				continue
			}
			keep = append(keep, req)
		}
		q.waiting = keep
	}
	q.busy = false
	q.mu.Unlock()
	r := <-out
	return r.res, r.err
}

// lookup finds the resource at addr in an evaluation's resources, which
// are sorted by address, without a map of them: a map keyed by address
// for every evaluation of a large stack costs more memory than the search
// costs time.
func lookup(ds *stacks.DesiredSet, addr addrs.Instance) (*stacks.Resource, bool) {
	if ds == nil {
		return nil, false
	}
	i, ok := slices.BinarySearchFunc(ds.Resources, addr, func(r *stacks.Resource, a addrs.Instance) int {
		return addrs.Compare(r.Address, a)
	})
	if !ok {
		return nil, false
	}
	return ds.Resources[i], true
}
