package stacks

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"

	"github.com/stagecraft/stagecraft/providers/schema"
)

// staticBody is a resource body split by its kind's schema once, so that
// every instance (count, for_each) evaluates the same expressions without
// parsing the body again.
type staticBody struct {
	attrs    map[string]*hcl.Attribute
	blocks   map[string][]*staticBlock
	missing  hcl.Range // where a missing attribute is reported
	defRange hcl.Range
	// meta holds count, for_each and depends_on at the top of a resource.
	meta      map[string]*hcl.Attribute
	lifecycle *hcl.Block
}

type staticBlock struct {
	body     *staticBody
	defRange hcl.Range
}

var resourceMetaAttrs = []string{"count", "for_each", "depends_on"}

// hclSchema builds the hcl schema of a block. No attribute is marked
// required: a child stage may leave out what its parent sets, so required
// attributes are checked after merging.
func hclSchema(b *schema.Block, top bool) *hcl.BodySchema {
	s := &hcl.BodySchema{}
	for _, a := range b.Attributes {
		s.Attributes = append(s.Attributes, hcl.AttributeSchema{Name: a.Name})
	}
	for _, nb := range b.Blocks {
		s.Blocks = append(s.Blocks, hcl.BlockHeaderSchema{Type: nb.TypeName})
	}
	if top {
		for _, m := range resourceMetaAttrs {
			s.Attributes = append(s.Attributes, hcl.AttributeSchema{Name: m})
		}
		s.Blocks = append(s.Blocks, hcl.BlockHeaderSchema{Type: "lifecycle"})
	}
	return s
}

// splitBody decodes body against the block schema b.
func splitBody(body hcl.Body, b *schema.Block, top bool, defRange hcl.Range) (*staticBody, hcl.Diagnostics) {
	content, diags := body.Content(hclSchema(b, top))
	sb := &staticBody{
		attrs:    map[string]*hcl.Attribute{},
		blocks:   map[string][]*staticBlock{},
		missing:  content.MissingItemRange,
		defRange: defRange,
		meta:     map[string]*hcl.Attribute{},
	}
	for _, a := range sortedAttributes(content.Attributes) {
		name := a.Name
		if top && isMeta(name) {
			sb.meta[name] = a
			continue
		}
		if sa, ok := b.Attribute(name); ok && sa.Computed && !sa.Optional && !sa.Required {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Attribute set by the provider",
				Detail:  fmt.Sprintf("%s is computed by the provider when the resource is created and cannot be set; remove it, and refer to it elsewhere as KIND.NAME.%s.", name, name),
				Subject: a.NameRange.Ptr()})
			continue
		}
		sb.attrs[name] = a
	}
	for _, blk := range content.Blocks {
		if top && blk.Type == "lifecycle" {
			if sb.lifecycle != nil {
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Duplicate lifecycle block",
					Detail: "A resource has one lifecycle block; merge the settings into the first one.", Subject: blk.DefRange.Ptr()})
				continue
			}
			sb.lifecycle = blk
			continue
		}
		nb, _ := b.NestedBlock(blk.Type)
		child, cd := splitBody(blk.Body, &nb.Block, false, blk.DefRange)
		diags = append(diags, cd...)
		sb.blocks[blk.Type] = append(sb.blocks[blk.Type], &staticBlock{body: child, defRange: blk.DefRange})
	}
	return sb, diags
}

func isMeta(name string) bool {
	for _, m := range resourceMetaAttrs {
		if m == name {
			return true
		}
	}
	return false
}

// traversals lists every reference in the body, nested blocks included.
func (sb *staticBody) traversals() []hcl.Traversal {
	var out []hcl.Traversal
	for _, a := range sortedAttributes(sb.attrs) {
		out = append(out, a.Expr.Variables()...)
	}
	for _, a := range sortedAttributes(sb.meta) {
		out = append(out, a.Expr.Variables()...)
	}
	for _, t := range sortedKeys(sb.blocks) {
		for _, b := range sb.blocks[t] {
			out = append(out, b.body.traversals()...)
		}
	}
	return out
}

// refAttrExprs lists the expressions of reference-typed attributes
// (route.target), which may name their target as a string.
func (sb *staticBody) refAttrExprs(b *schema.Block) []hcl.Expression {
	var out []hcl.Expression
	for _, a := range b.Attributes {
		if at, ok := sb.attrs[a.Name]; ok && a.Ref != "" {
			out = append(out, at.Expr)
		}
	}
	for _, nb := range b.Blocks {
		for _, blk := range sb.blocks[nb.TypeName] {
			out = append(out, blk.body.refAttrExprs(&nb.Block)...)
		}
	}
	return out
}
