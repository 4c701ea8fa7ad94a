package addrs

// Instance is the address of one resource instance: its block's address and
// its key (`cache.c[0]`, `autoscaling_group.svc["orders"]`). The instance
// of a block without count or for_each has NoKey, and its address reads as
// the block's. Instances are comparable, so they can be map keys; the zero
// Instance is no address and prints as the empty string.
//
// An Instance with NoKey also serves as the address of a whole block where
// a block stands for all its instances, as in dependencies (see Contains).
type Instance struct {
	Resource
	Key Key
}

// Block returns the address of the instance's block: the instance without
// its key.
func (i Instance) Block() Instance { return Instance{Resource: i.Resource} }

// IsZero reports whether i is the zero Instance, which names nothing.
func (i Instance) IsZero() bool { return i == Instance{} }

// Contains reports whether the address i names the instance o: i is o, or
// i is a block's address (no key) and o one of that block's instances.
// Dependencies on blocks with count or for_each use the block's address
// this way, standing for every instance of it.
func (i Instance) Contains(o Instance) bool {
	return i == o || (i.Key.IsNone() && i.Resource == o.Resource)
}

// String returns the address as stack files write it: the block's
// address followed by the key, if any.
func (i Instance) String() string {
	if i.Key.IsNone() {
		return i.Resource.String()
	}
	var buf [128]byte
	return string(i.appendText(buf[:0]))
}

// MarshalText writes the address's text form, so that JSON holds it as a
// string.
func (i Instance) MarshalText() ([]byte, error) { return []byte(i.String()), nil }

// UnmarshalText parses an address written by MarshalText. The empty
// text is the zero Instance, as MarshalText writes it.
func (i *Instance) UnmarshalText(text []byte) error {
	if len(text) == 0 {
		*i = Instance{}
		return nil
	}
	a, err := Parse(string(text))
	if err != nil {
		return err
	}
	*i = a
	return nil
}

// appendText appends the text form of i to b without allocating when b
// has room.
func (i Instance) appendText(b []byte) []byte {
	if i.Module.text != "" {
		b = append(b, i.Module.text...)
		if i.Kind != "" {
			b = append(b, '.')
		}
	}
	if i.Kind != "" {
		b = append(b, i.Kind...)
		b = append(b, '.')
		b = append(b, i.Name...)
	}
	return i.Key.appendText(b)
}

// Strings returns the text forms of addresses, for files and messages that
// hold them as text; nil stays nil.
func Strings(as []Instance) []string {
	if as == nil {
		return nil
	}
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.String()
	}
	return out
}

// Equal reports whether i and o are the same address. It is i == o, for
// comparison libraries that cannot see unexported fields (go-cmp).
func (i Instance) Equal(o Instance) bool { return i == o }
