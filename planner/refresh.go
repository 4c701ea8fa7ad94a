package planner

import (
	"context"
	"fmt"
	"runtime"
	"sort"
	"sync"

	"github.com/zclconf/go-cty/cty"

	"github.com/stagecraft/stagecraft/planner/apply"
	"github.com/stagecraft/stagecraft/providers"
	"github.com/stagecraft/stagecraft/providers/schema"
	"github.com/stagecraft/stagecraft/state"
)

// refreshed is what refresh found for one resource in state.
type refreshed struct {
	res    *state.Resource
	schema *schema.Schema
	// prior is the value last applied (from state); actual what exists
	// now (cty.NilVal when gone).
	prior  cty.Value
	actual cty.Value
	gone   bool
	// incomplete is what the provider says the resource lacks (see
	// providers.ReadResult).
	incomplete string
}

// refresh reads every resource in resources through the provider, batched
// per kind where the provider can, with bounded parallelism, and returns
// what it found in the same order. With read false it trusts the state
// instead.
// decodeAll decodes the state's resources on every core: decoding their
// JSON is most of a large no-op plan's work.
func (p *Planner) decodeAll(resources []*state.Resource) ([]*refreshed, error) {
	out := make([]*refreshed, len(resources))
	errs := make([]error, len(resources))
	workers := min(runtime.GOMAXPROCS(0), max(1, len(resources)/64))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(resources); i += workers {
				r := resources[i]
				schema, prior, err := p.executor().DecodeResource(r)
				if err != nil {
					errs[i] = err
					continue
				}
				out[i] = &refreshed{res: r, schema: schema, prior: prior, actual: prior}
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (p *Planner) refresh(ctx context.Context, resources []*state.Resource, read bool) ([]*refreshed, error) {
	out, err := p.decodeAll(resources)
	if err != nil {
		return nil, err
	}
	byKind := map[string][]*refreshed{}
	for _, rf := range out {
		byKind[rf.res.Kind] = append(byKind[rf.res.Kind], rf)
	}
	if !read {
		return out, nil
	}
	kinds := make([]string, 0, len(byKind))
	for k := range byKind {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	sem := make(chan struct{}, p.executor().Concurrency())
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	fail := func(err error) {
		mu.Lock()
		if firstErr == nil {
			firstErr = err
		}
		mu.Unlock()
	}
	for _, kind := range kinds {
		rfs := byKind[kind]
		impl, err := p.executor().Kind(kind)
		if err != nil {
			return nil, err
		}
		if br, ok := impl.(providers.BatchReader); ok {
			const batch = 500
			for start := 0; start < len(rfs); start += batch {
				chunk := rfs[start:min(start+batch, len(rfs))]
				wg.Add(1)
				sem <- struct{}{}
				go func() {
					defer wg.Done()
					defer func() { <-sem }()
					refs := make([]providers.Ref, len(chunk))
					for i, rf := range chunk {
						refs[i] = p.executor().Ref(rf.res.Address, rf.res.Kind, rf.res.ID)
					}
					res, err := br.ReadMany(ctx, refs)
					if err == nil && len(res) != len(chunk) {
						err = fmt.Errorf("provider returned %d results for %d resources", len(res), len(chunk))
					}
					if err != nil {
						fail(fmt.Errorf("refresh %s resources: %w", kind, err))
						return
					}
					for i, rf := range chunk {
						if res[i].Err != nil {
							fail(fmt.Errorf("refresh %s: %w", rf.res.Address, res[i].Err))
							continue
						}
						rf.setActual(res[i].Actual, res[i].Exists)
						rf.incomplete = res[i].Incomplete
					}
				}()
			}
			continue
		}
		for _, rf := range rfs {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				v, exists, err := impl.Read(ctx, p.executor().Ref(rf.res.Address, rf.res.Kind, rf.res.ID))
				if err != nil {
					fail(fmt.Errorf("refresh %s: %w", rf.res.Address, err))
					return
				}
				rf.setActual(v, exists)
			}()
		}
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	return out, nil
}

func (rf *refreshed) setActual(v cty.Value, exists bool) {
	if !exists {
		rf.gone, rf.actual = true, cty.NilVal
		return
	}
	rf.actual = apply.MarkSensitive(v, rf.res.SensitivePaths)
}
