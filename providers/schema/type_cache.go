package schema

import "github.com/zclconf/go-cty/cty"

// TypeCache remembers the implied types of schema blocks. A cty object
// type is a map of its attribute types; values built with one shared type
// hold it once, where ImpliedType called per value makes (and keeps) a
// copy each. A TypeCache is not safe for concurrent use.
type TypeCache map[*Block]cty.Type

// Implied returns b.ImpliedType(), computed once per cache.
func (c TypeCache) Implied(b *Block) cty.Type {
	if ty, ok := c[b]; ok {
		return ty
	}
	ty := b.ImpliedType()
	c[b] = ty
	return ty
}
