package addrs

// Target is what --target and the state commands select: one resource
// instance, a resource block with all its instances, or a module instance
// (or, without a key, a module call with all its instances) with
// everything in it.
type Target struct {
	// addr has an empty Kind for a module target.
	addr Instance
}

// InstanceTarget returns the target that selects exactly i, or every
// instance of i's block when i has no key.
func InstanceTarget(i Instance) Target { return Target{addr: i} }

// Module returns the module a module target names, and false for a target
// that names a resource.
func (t Target) Module() (Module, bool) { return t.addr.Module, t.addr.Kind == "" }

// Instance returns the resource or instance a target names, and false for
// a module target.
func (t Target) Instance() (Instance, bool) { return t.addr, t.addr.Kind != "" }

// Contains reports whether the target selects the resource instance i.
func (t Target) Contains(i Instance) bool {
	if t.addr.Kind != "" {
		return t.addr.Contains(i)
	}
	want := t.addr.Module.Steps()
	have := i.Module.Steps()
	if len(have) < len(want) {
		return false
	}
	last := len(want) - 1
	for j := range last {
		if have[j] != want[j] {
			return false
		}
	}
	return have[last].Name == want[last].Name && (want[last].Key.IsNone() || have[last].Key == want[last].Key)
}

// String returns the target as it was written, in canonical form.
func (t Target) String() string { return t.addr.String() }
