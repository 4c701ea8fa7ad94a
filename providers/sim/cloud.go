package sim

import (
	"fmt"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/stagecraft/stagecraft/providers"
	"github.com/zclconf/go-cty/cty"
)

// resource is one simulated resource. Records are never changed once
// stored; an update stores a new record, so readers may keep a pointer.
type resource struct {
	id    string
	kind  string
	seq   uint64
	tags  map[string]string
	value cty.Value
}

// cloud holds the simulated resources, keyed by id, and their journal.
type cloud struct {
	// types is the implied type of every kind, for decoding the journal.
	types map[string]cty.Type
	// counter numbers the ids; it never goes back, so an id is never
	// reused, even after its resource is deleted.
	counter atomic.Uint64

	// mu guards resources and the journal's writes; it is held for a map
	// operation and at most one write of a pre-encoded line.
	mu        sync.Mutex
	resources map[string]*resource
	journal   *journal
}

func newCloud(types map[string]cty.Type) *cloud {
	return &cloud{types: types, resources: make(map[string]*resource)}
}

// nextSeq reserves the next id number.
func (c *cloud) nextSeq() uint64 {
	return c.counter.Add(1)
}

// get returns the resource with id, if it exists and is of kind.
func (c *cloud) get(kind, id string) (*resource, bool) {
	c.mu.Lock()
	r, ok := c.resources[id]
	c.mu.Unlock()
	if !ok || r.kind != kind {
		return nil, false
	}
	return r, true
}

// getMany is get for several ids under one lock.
func (c *cloud) getMany(kind string, ids []string) []*resource {
	out := make([]*resource, len(ids))
	c.mu.Lock()
	for i, id := range ids {
		out[i] = c.resources[id]
	}
	c.mu.Unlock()
	for i, r := range out {
		if r != nil && r.kind != kind {
			out[i] = nil
		}
	}
	return out
}

// put stores r, journalling it first so that memory and file agree when
// the write fails.
func (c *cloud) put(r *resource) error {
	var line []byte
	if c.journal != nil {
		line = encodePut(r)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.journal != nil {
		if err := c.journal.append(line); err != nil {
			return err
		}
	}
	c.resources[r.id] = r
	return nil
}

// remove deletes the resource with id of kind; a missing one is no error.
func (c *cloud) remove(kind, id string) error {
	var line []byte
	if c.journal != nil {
		line = encodeDelete(id)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	r, ok := c.resources[id]
	if !ok || r.kind != kind {
		return nil
	}
	if c.journal != nil {
		if err := c.journal.append(line); err != nil {
			return err
		}
	}
	delete(c.resources, id)
	return nil
}

// tagged lists the resources of kind carrying the stack and environment
// tags, ordered by address and then id.
func (c *cloud) tagged(kind, stackName, environment string) []*resource {
	var out []*resource
	c.mu.Lock()
	for _, r := range c.resources {
		if r.kind == kind && r.tags[providers.TagStack] == stackName && r.tags[providers.TagEnvironment] == environment {
			out = append(out, r)
		}
	}
	c.mu.Unlock()
	sort.Slice(out, func(i, j int) bool {
		if a, b := out[i].tags[providers.TagAddress], out[j].tags[providers.TagAddress]; a != b {
			return a < b
		}
		return out[i].seq < out[j].seq
	})
	return out
}

// open loads the journal at path and keeps it open for appending.
func (c *cloud) open(path string) error {
	j, state, err := openJournal(path, c.types)
	if err != nil {
		return err
	}
	c.resources = state.resources
	c.counter.Store(state.counter)
	c.journal = j
	return nil
}

func (c *cloud) close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.journal == nil {
		return nil
	}
	j := c.journal
	c.journal = nil
	if err := j.close(); err != nil {
		return fmt.Errorf("close %s: %w", j.path, err)
	}
	return nil
}
