package stacks

import (
	"github.com/hashicorp/hcl/v2"
)

// overrideBody merges a child stage's block over the inherited one, the way
// Terraform merges override files: an attribute set in the child wins, and
// a nested block type written in the child replaces all of the parent's
// blocks of that type. Anything else is inherited unchanged.
type overrideBody struct {
	base, over hcl.Body
}

// mergeOver returns over merged onto base.
func mergeOver(base, over hcl.Body) hcl.Body {
	return &overrideBody{base: base, over: over}
}

func (b *overrideBody) Content(schema *hcl.BodySchema) (*hcl.BodyContent, hcl.Diagnostics) {
	baseC, diags := b.base.Content(schema)
	overC, od := b.over.Content(schema)
	diags = append(diags, od...)
	return mergeContent(schema, baseC, overC), diags
}

func (b *overrideBody) PartialContent(schema *hcl.BodySchema) (*hcl.BodyContent, hcl.Body, hcl.Diagnostics) {
	baseC, baseRest, diags := b.base.PartialContent(schema)
	overC, overRest, od := b.over.PartialContent(schema)
	diags = append(diags, od...)
	return mergeContent(schema, baseC, overC), mergeOver(baseRest, overRest), diags
}

func (b *overrideBody) JustAttributes() (hcl.Attributes, hcl.Diagnostics) {
	baseA, diags := b.base.JustAttributes()
	overA, od := b.over.JustAttributes()
	diags = append(diags, od...)
	out := hcl.Attributes{}
	for n, a := range baseA {
		out[n] = a
	}
	for n, a := range overA {
		out[n] = a
	}
	return out, diags
}

func (b *overrideBody) MissingItemRange() hcl.Range {
	return b.over.MissingItemRange()
}

func mergeContent(schema *hcl.BodySchema, base, over *hcl.BodyContent) *hcl.BodyContent {
	out := &hcl.BodyContent{
		Attributes:       hcl.Attributes{},
		MissingItemRange: over.MissingItemRange,
	}
	for n, a := range base.Attributes {
		out.Attributes[n] = a
	}
	for n, a := range over.Attributes {
		out.Attributes[n] = a
	}
	overTypes := map[string]bool{}
	for _, blk := range over.Blocks {
		overTypes[blk.Type] = true
	}
	for _, hs := range schema.Blocks {
		src := base.Blocks
		if overTypes[hs.Type] {
			src = over.Blocks
		}
		for _, blk := range src {
			if blk.Type == hs.Type {
				out.Blocks = append(out.Blocks, blk)
			}
		}
	}
	return out
}
