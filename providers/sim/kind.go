package sim

import (
	"context"
	"fmt"

	"github.com/zclconf/go-cty/cty"

	"github.com/stagecraft/stagecraft/providers"
	"github.com/stagecraft/stagecraft/providers/kinds"
	"github.com/stagecraft/stagecraft/providers/schema"
)

// kind is one resource kind of the simulated cloud. Besides the lifecycle
// operations it implements every optional interface: BatchReader,
// Discoverer and Observer.
type kind struct {
	p      *provider
	name   string
	schema *schema.Schema
	ty     cty.Type
	// prefix starts every id of the kind ("lb" in "lb-000001").
	prefix  string
	compute computeFunc
	// attrNames lists the top-level attribute and block names.
	attrNames []string
}

var (
	_ providers.ResourceKind = (*kind)(nil)
	_ providers.BatchReader  = (*kind)(nil)
	_ providers.Discoverer   = (*kind)(nil)
	_ providers.Observer     = (*kind)(nil)
)

func newKind(p *provider, name string) *kind {
	s, ok := kinds.Schema(name)
	if !ok {
		panic("sim: no schema for kind " + name)
	}
	s = s.ForProvider(Name)
	k := &kind{p: p, name: name, schema: s, ty: s.ImpliedType()}
	for name := range k.ty.AttributeTypes() {
		k.attrNames = append(k.attrNames, name)
	}
	switch name {
	case kinds.Network:
		k.prefix, k.compute = "net", computeNetwork
	case kinds.LoadBalancer:
		k.prefix, k.compute = "lb", computeLoadBalancer
	case kinds.Cache:
		k.prefix, k.compute = "cache", computeCache
	case kinds.Coordinator:
		k.prefix, k.compute = "coord", computeCoordinator
	case kinds.AutoscalingGroup:
		k.prefix, k.compute = "asg", computeAutoscalingGroup
	default:
		panic("sim: no simulation for kind " + name)
	}
	return k
}

// Schema returns the kind's schema without other providers' sub-blocks.
func (k *kind) Schema() *schema.Schema { return k.schema }

// Read returns the resource with r.ID, or exists=false when there is none.
func (k *kind) Read(ctx context.Context, r providers.Ref) (cty.Value, bool, error) {
	var res *resource
	err := k.p.callFor(ctx, opRead, r, func(s *session) error {
		if err := s.failure(r.Address, opRead); err != nil {
			return err
		}
		res, _ = s.cloud.get(k.name, r.ID)
		return nil
	})
	if err != nil || res == nil {
		return cty.NullVal(k.ty), false, err
	}
	return res.value, true, nil
}

// ReadMany reads several resources in one call. A read failure injected
// for one address fails that result only.
func (k *kind) ReadMany(ctx context.Context, refs []providers.Ref) ([]providers.ReadResult, error) {
	if len(refs) == 0 {
		return nil, nil
	}
	ids := make([]string, len(refs))
	for i, r := range refs {
		ids[i] = r.ID
	}
	out := make([]providers.ReadResult, len(refs))
	err := k.p.call(ctx, opRead, fmt.Sprintf("%d %s resources", len(refs), k.name), func(s *session) error {
		found := s.cloud.getMany(k.name, ids)
		for i, r := range refs {
			out[i] = providers.ReadResult{Actual: cty.NullVal(k.ty)}
			if err := s.failure(r.Address, opRead); err != nil {
				out[i].Err = r.Errorf(opRead, "%w", err)
				continue
			}
			if found[i] != nil {
				out[i] = providers.ReadResult{Actual: found[i].value, Exists: true}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Create validates desired, assigns an id and the computed attributes, and
// stores the resource with r's tags.
func (k *kind) Create(ctx context.Context, r providers.Ref, desired cty.Value) (cty.Value, error) {
	desired, err := k.check(desired)
	if err != nil {
		return cty.NullVal(k.ty), r.Errorf(opCreate, "%w", err)
	}
	var actual cty.Value
	err = k.p.callFor(ctx, opCreate, r, func(s *session) error {
		if err := s.failure(r.Address, opCreate); err != nil {
			return err
		}
		seq := s.cloud.nextSeq()
		res := &resource{id: fmt.Sprintf("%s-%06d", k.prefix, seq), kind: k.name, seq: seq, tags: r.Tags()}
		res.value = k.computed(res, r.Address, desired, cty.NullVal(k.ty))
		if err := s.cloud.put(res); err != nil {
			return err
		}
		actual = res.value
		return nil
	})
	if err != nil {
		return cty.NullVal(k.ty), err
	}
	return actual, nil
}

// Update changes the resource with r.ID in place. It refuses a change to a
// force-new attribute, as a cloud API would: the planner must replace.
// prior is not consulted: the cloud's own record is the truth.
func (k *kind) Update(ctx context.Context, r providers.Ref, prior, desired cty.Value) (cty.Value, error) {
	desired, err := k.check(desired)
	if err != nil {
		return cty.NullVal(k.ty), r.Errorf(opUpdate, "%w", err)
	}
	var actual cty.Value
	err = k.p.callFor(ctx, opUpdate, r, func(s *session) error {
		if err := s.failure(r.Address, opUpdate); err != nil {
			return err
		}
		old, ok := s.cloud.get(k.name, r.ID)
		if !ok {
			return fmt.Errorf("sim: there is no %s with id %q", k.name, r.ID)
		}
		if err := k.checkForceNew(old.value, desired); err != nil {
			return err
		}
		res := &resource{id: old.id, kind: k.name, seq: old.seq, tags: r.Tags()}
		res.value = k.computed(res, r.Address, desired, old.value)
		if err := s.cloud.put(res); err != nil {
			return err
		}
		actual = res.value
		return nil
	})
	if err != nil {
		return cty.NullVal(k.ty), err
	}
	return actual, nil
}

// Delete removes the resource with r.ID; one already gone is no error.
func (k *kind) Delete(ctx context.Context, r providers.Ref, prior cty.Value) error {
	return k.p.callFor(ctx, opDelete, r, func(s *session) error {
		if err := s.failure(r.Address, opDelete); err != nil {
			return err
		}
		return s.cloud.remove(k.name, r.ID)
	})
}

// Discover lists the resources of the kind tagged with stack and
// environment, ordered by address.
func (k *kind) Discover(ctx context.Context, stack, environment string) ([]providers.Discovered, error) {
	var found []*resource
	err := k.p.call(ctx, opDiscover, fmt.Sprintf("%s resources of stack %q environment %q", k.name, stack, environment), func(s *session) error {
		found = s.cloud.tagged(k.name, stack, environment)
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := make([]providers.Discovered, len(found))
	for i, res := range found {
		out[i] = providers.Discovered{
			Ref: providers.Ref{
				Address:     res.tags[providers.TagAddress],
				Kind:        k.name,
				ID:          res.id,
				Stack:       stack,
				Environment: environment,
			},
			Actual: res.value,
		}
	}
	return out, nil
}
