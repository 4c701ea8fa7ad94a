package addrs

// Resource is the address of a resource block: the module it is in, its
// kind and its name ("module.web.cache.sessions"). One block has one
// instance, or one per count index or for_each key.
type Resource struct {
	Module Module
	// Kind is the resource kind, the block type ("cache").
	Kind string
	// Name is the block label ("sessions").
	Name string
}

// Instance returns the address of the block's instance with key k.
func (r Resource) Instance(k Key) Instance {
	return Instance{Resource: r, Key: k}
}

// String returns the address as stack files write it.
func (r Resource) String() string {
	if r.Kind == "" {
		return r.Module.text
	}
	if r.Module.text == "" {
		return r.Kind + "." + r.Name
	}
	return r.Module.text + "." + r.Kind + "." + r.Name
}

// MarshalText writes the address's text form, so that JSON holds it as a
// string.
func (r Resource) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// UnmarshalText parses a resource address written by MarshalText; an
// address with an instance key is an error.
func (r *Resource) UnmarshalText(text []byte) error {
	i, err := Parse(string(text))
	if err != nil {
		return err
	}
	if !i.Key.IsNone() {
		return &ParseError{Input: string(text), Reason: "names an instance, not a resource block; leave out " + i.Key.String()}
	}
	*r = i.Resource
	return nil
}

// Equal reports whether r and o are the same address. It is r == o, for
// comparison libraries that cannot see unexported fields (go-cmp).
func (r Resource) Equal(o Resource) bool { return r == o }
