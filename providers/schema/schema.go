// Package schema is the type system of resource kinds: attributes, nested
// blocks, computed, sensitive and force-new paths, value rules and the
// checks a configuration must pass. It knows no kind by name; the catalog
// of kinds is providers/kinds.
package schema

import (
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// Schema describes one resource kind: its attributes, nested blocks and the
// rules that tie attributes together. The same table drives validation in
// the stack language, the planner's diff (computed and force-new
// attributes) and the generated documentation (docs/kinds.md).
type Schema struct {
	// Kind is the kind's name in stack files ("cache").
	Kind string
	// Description says what the kind is for, in one or two sentences.
	Description string
	// UniqueNames means the provider cannot hold two copies of the resource
	// at once, so a replacement destroys the old one before creating the new
	// one instead of the default create-before-destroy.
	UniqueNames bool
	// DataBearing means deleting or replacing the resource destroys data
	// (cache contents, cluster state); the planner refuses such a change
	// unless the user consents.
	DataBearing bool
	// Routing, when set, means the resource sends traffic to targets by
	// path with weights, and names the block and attributes that play
	// those roles: the planner moves a path's traffic between targets in
	// gated steps (traffic shifting) by reading them.
	Routing *Routing
	// Block holds the attributes and nested blocks.
	Block
	// Rules are checks across several attributes, run on evaluated values.
	Rules []KindRule
}

// Routing names the parts of a kind that route traffic.
type Routing struct {
	// Block is the nested block of routes, a list ("route").
	Block string
	// Path is the route's path prefix, Target the target it sends the
	// path's traffic to, and Weight the share of it in percent.
	Path, Target, Weight string
}

// Block is a set of attributes and nested blocks, at the top of a resource
// or inside a nested block.
type Block struct {
	Attributes []*Attribute
	Blocks     []*NestedBlock
}

// Attribute describes one attribute.
type Attribute struct {
	Name        string
	Description string
	Type        cty.Type
	// Required attributes must be set; Optional ones may be; Computed ones
	// are set by the provider. Optional and Computed together mean "set it,
	// or the provider picks a value".
	Required bool
	Optional bool
	Computed bool
	// Default is used when an optional attribute is not set; cty.NilVal
	// means null.
	Default cty.Value
	// ForceNew means a change to the attribute replaces the resource.
	ForceNew bool
	// Sensitive values are never printed.
	Sensitive bool
	// Ref, when set, makes the attribute a reference to a resource of that
	// kind: written as a reference (autoscaling_group.app) or an address
	// string, stored as the address string.
	Ref string
	// Rules check a single known, non-null value.
	Rules []ValueRule
	// RecomputedBy names, for a computed attribute, the attributes of the
	// same block whose update makes the provider compute it anew (a
	// coordinator's endpoints change with its members). A plan that
	// updates one of them shows the computed attribute as known after
	// apply, so that what refers to it is updated in the same apply.
	RecomputedBy []string
}

// Nesting says how many times a nested block may appear and how it is
// represented in a value.
type Nesting int

const (
	// NestingSingle blocks appear at most once and are an object (null when
	// absent).
	NestingSingle Nesting = iota
	// NestingList blocks may repeat and are a list of objects.
	NestingList
)

// NestedBlock describes a block inside a resource or inside another block.
type NestedBlock struct {
	TypeName    string
	Description string
	Nesting     Nesting
	// MinItems and MaxItems bound how often the block appears (0 MaxItems:
	// no bound). For provider sub-blocks MinItems applies only when that
	// provider runs the resource.
	MinItems int
	MaxItems int
	// Implied single blocks behave as if written empty when absent, so
	// their attribute defaults apply.
	Implied bool
	// Provider, when set, marks a provider-specific sub-block ("local",
	// "aws"); other providers ignore it.
	Provider string
	// PlanOnly blocks configure how the planner carries out changes
	// (traffic shifting); providers never see them and changing them
	// changes no resource.
	PlanOnly bool
	Block
}

// ValueRule checks one attribute value.
type ValueRule struct {
	// Doc describes the rule for the documentation ("one of redis,
	// memcached").
	Doc string
	// Check returns a sentence describing the problem, or "" when the value
	// is fine. It is only called with known, non-null values.
	Check func(v cty.Value) string
}

// KindRule checks several attributes of one resource together.
type KindRule struct {
	Doc string
	// Check is called with the evaluated object (unknown values possible)
	// and returns the problems found.
	Check func(v cty.Value) []Problem
}

// Problem is one rule violation, located by the attribute path it concerns.
type Problem struct {
	Path    cty.Path
	Summary string
	Detail  string
}

// Attribute returns the attribute with the given name.
func (b *Block) Attribute(name string) (*Attribute, bool) {
	for _, a := range b.Attributes {
		if a.Name == name {
			return a, true
		}
	}
	return nil, false
}

// NestedBlock returns the nested block type with the given name.
func (b *Block) NestedBlock(name string) (*NestedBlock, bool) {
	for _, nb := range b.Blocks {
		if nb.TypeName == name {
			return nb, true
		}
	}
	return nil, false
}

// ImpliedType is the object type of a value of this block: one attribute per
// attribute, single nested blocks as objects and repeated ones as lists of
// objects.
func (b *Block) ImpliedType() cty.Type {
	atys := make(map[string]cty.Type, len(b.Attributes)+len(b.Blocks))
	for _, a := range b.Attributes {
		atys[a.Name] = a.Type
	}
	for _, nb := range b.Blocks {
		ety := nb.ImpliedType()
		if nb.Nesting == NestingList {
			atys[nb.TypeName] = cty.List(ety)
		} else {
			atys[nb.TypeName] = ety
		}
	}
	return cty.Object(atys)
}

// ForProvider returns a copy of the schema without the sub-blocks of other
// providers and without plan-only blocks: what a provider named name
// receives and returns.
func (s *Schema) ForProvider(name string) *Schema {
	out := *s
	out.Block = s.Block.forProvider(name, false)
	return &out
}

// ForPlanner is ForProvider keeping the plan-only blocks: what the stack
// language evaluates before SplitPlanOnly separates the two.
func (s *Schema) ForPlanner(name string) *Schema {
	out := *s
	out.Block = s.Block.forProvider(name, true)
	return &out
}

func (b Block) forProvider(name string, planOnly bool) Block {
	out := Block{Attributes: b.Attributes}
	for _, nb := range b.Blocks {
		if nb.Provider != "" && nb.Provider != name {
			continue
		}
		if nb.PlanOnly && !planOnly {
			continue
		}
		c := *nb
		c.Block = nb.Block.forProvider(name, planOnly)
		out.Blocks = append(out.Blocks, &c)
	}
	return out
}

// SplitPlanOnly separates a value of b (which includes its plan-only
// blocks) into what the provider sees (b without them) and the planner's
// settings: an object holding only the plan-only blocks, and the list
// blocks that contain some, element by element. It returns cty.NilVal
// settings when b has no plan-only block.
func SplitPlanOnly(b *Block, v cty.Value) (provider, plan cty.Value) {
	if !b.hasPlanOnly() {
		return v, cty.NilVal
	}
	if v.IsNull() || !v.IsKnown() {
		return v, cty.NilVal
	}
	v, marks := v.Unmark()
	attrs := v.AsValueMap()
	planAttrs := map[string]cty.Value{}
	for _, nb := range b.Blocks {
		cur, ok := attrs[nb.TypeName]
		if !ok {
			continue
		}
		switch {
		case nb.PlanOnly:
			planAttrs[nb.TypeName] = cur
			delete(attrs, nb.TypeName)
		case nb.Block.hasPlanOnly() && nb.Nesting == NestingList:
			cur, lm := cur.Unmark()
			if cur.IsNull() || !cur.IsKnown() {
				continue
			}
			var provElems, planElems []cty.Value
			for _, e := range cur.AsValueSlice() {
				pe, pl := SplitPlanOnly(&nb.Block, e)
				provElems = append(provElems, pe)
				planElems = append(planElems, pl)
			}
			if len(provElems) == 0 {
				elem := nb.Block.withoutPlanOnly()
				attrs[nb.TypeName] = cty.ListValEmpty(elem.ImpliedType()).WithMarks(lm)
				planAttrs[nb.TypeName] = cty.EmptyTupleVal
			} else {
				attrs[nb.TypeName] = cty.ListVal(provElems).WithMarks(lm)
				planAttrs[nb.TypeName] = cty.TupleVal(planElems)
			}
		case nb.Block.hasPlanOnly() && nb.Nesting == NestingSingle:
			pe, pl := SplitPlanOnly(&nb.Block, cur)
			attrs[nb.TypeName] = pe
			planAttrs[nb.TypeName] = pl
		}
	}
	return cty.ObjectVal(attrs).WithMarks(marks), cty.ObjectVal(planAttrs)
}

// withoutPlanOnly is b without its plan-only blocks, at every level.
func (b Block) withoutPlanOnly() *Block {
	out := &Block{Attributes: b.Attributes}
	for _, nb := range b.Blocks {
		if nb.PlanOnly {
			continue
		}
		c := *nb
		c.Block = *nb.Block.withoutPlanOnly()
		out.Blocks = append(out.Blocks, &c)
	}
	return out
}

func (b *Block) hasPlanOnly() bool {
	for _, nb := range b.Blocks {
		if nb.PlanOnly || nb.Block.hasPlanOnly() {
			return true
		}
	}
	return false
}

// IsForceNew reports whether a change at path (an attribute, or anything
// inside one) replaces the resource.
func (s *Schema) IsForceNew(path cty.Path) bool {
	a, ok := s.AttributeAt(path)
	return ok && a.ForceNew
}

// IsComputed reports whether the attribute at path is set by the provider.
func (s *Schema) IsComputed(path cty.Path) bool {
	a, ok := s.AttributeAt(path)
	return ok && a.Computed
}

// IsSensitive reports whether the attribute at path must not be printed.
func (s *Schema) IsSensitive(path cty.Path) bool {
	a, ok := s.AttributeAt(path)
	return ok && a.Sensitive
}

// AttributeAt returns the attribute that path points at or into, stepping
// through nested blocks and skipping list indexes.
func (b *Block) AttributeAt(path cty.Path) (*Attribute, bool) {
	cur := b
	for _, step := range path {
		ga, ok := step.(cty.GetAttrStep)
		if !ok {
			continue
		}
		if a, ok := cur.Attribute(ga.Name); ok {
			return a, true
		}
		nb, ok := cur.NestedBlock(ga.Name)
		if !ok {
			return nil, false
		}
		cur = &nb.Block
	}
	return nil, false
}

// anyComputed reports whether the block or a block nested in it has a
// computed attribute, that is whether WithComputed has anything to fill.
func (b *Block) anyComputed() bool {
	for _, a := range b.Attributes {
		if a.Computed {
			return true
		}
	}
	for _, nb := range b.Blocks {
		if nb.Block.anyComputed() {
			return true
		}
	}
	return false
}

// WithComputed fills the computed attributes of cfg (a configuration value
// of block b) from known, the resource as it exists, or with unknown values
// where known is cty.NilVal or lacks them: what references to a resource
// see, and what a plan shows after a change. Attributes that are optional
// and computed keep the configured value when it is set.
//
// Of known's marks only those of a computed attribute declared Sensitive
// are kept (a generated password, marked where it was read), so that a
// reference to it is sensitive too; the other computed attributes are
// unmarked, and the rest of known is not looked through.
func WithComputed(b *Block, cfg, known cty.Value) cty.Value {
	if cfg.IsNull() || !cfg.IsKnown() || !b.anyComputed() {
		return cfg
	}
	cfg, marks := cfg.Unmark()
	if known != cty.NilVal {
		known, _ = known.Unmark()
		if known.IsNull() || !known.IsKnown() || !known.Type().IsObjectType() {
			known = cty.NilVal
		}
	}
	attrs := cfg.AsValueMap()
	if attrs == nil {
		attrs = map[string]cty.Value{}
	}
	for _, a := range b.Attributes {
		if !a.Computed {
			continue
		}
		cur := attrs[a.Name]
		if cur != cty.NilVal && !cur.IsNull() {
			continue
		}
		v := cty.UnknownVal(a.Type)
		if known != cty.NilVal && known.Type().HasAttribute(a.Name) {
			kv, km := known.GetAttr(a.Name).Unmark()
			if kv = Unmarked(kv); !kv.IsNull() {
				if c, err := convert.Convert(kv, a.Type); err == nil {
					v = c
					if a.Sensitive {
						v = v.WithMarks(km)
					}
				}
			}
		}
		attrs[a.Name] = v
	}
	for _, nb := range b.Blocks {
		cur, ok := attrs[nb.TypeName]
		if !ok || !nb.Block.anyComputed() {
			continue
		}
		kv := cty.NilVal
		if known != cty.NilVal && known.Type().HasAttribute(nb.TypeName) {
			kv, _ = known.GetAttr(nb.TypeName).Unmark()
		}
		switch nb.Nesting {
		case NestingSingle:
			attrs[nb.TypeName] = WithComputed(&nb.Block, cur, kv)
		case NestingList:
			cur, lm := cur.Unmark()
			if cur.IsNull() || !cur.IsKnown() || cur.LengthInt() == 0 {
				continue
			}
			var kelems []cty.Value
			if kv != cty.NilVal && !kv.IsNull() && kv.IsKnown() && kv.LengthInt() == cur.LengthInt() {
				kelems = kv.AsValueSlice()
			}
			elems := cur.AsValueSlice()
			for i := range elems {
				k := cty.NilVal
				if kelems != nil {
					k = kelems[i]
				}
				elems[i] = WithComputed(&nb.Block, elems[i], k)
			}
			attrs[nb.TypeName] = cty.ListVal(elems).WithMarks(lm)
		}
	}
	return cty.ObjectVal(attrs).WithMarks(marks)
}
