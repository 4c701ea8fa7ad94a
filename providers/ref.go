package providers

// Tag keys every provider attaches to what it creates, so that nothing it
// made is ever lost track of, even when the state is.
const (
	TagStack       = "stagecraft:stack"
	TagEnvironment = "stagecraft:environment"
	TagAddress     = "stagecraft:address"
)

// Ref identifies one resource instance to a provider.
type Ref struct {
	// Address is the resource's address in the stack, such as
	// "cache.sessions" or `module.web.autoscaling_group.app["a"]`.
	Address string
	// Kind is the resource kind ("cache").
	Kind string
	// ID is the provider's identifier; empty before the resource exists.
	ID string
	// Stack and Environment name the owner, for tagging.
	Stack       string
	Environment string
	// Replaces is, for the create of a replacement's new copy, the ID of
	// the copy being replaced. A create that takes over what an
	// interrupted create left must never take this one: the old copy is
	// deleted once the new one exists.
	Replaces string
}

// Tags returns the tags a provider attaches to the resource.
func (r Ref) Tags() map[string]string {
	return map[string]string{
		TagStack:       r.Stack,
		TagEnvironment: r.Environment,
		TagAddress:     r.Address,
	}
}
