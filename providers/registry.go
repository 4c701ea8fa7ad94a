package providers

import "sort"

// Factory builds a fresh, unconfigured provider.
type Factory func() Provider

// Registry maps provider names to factories. It is built in main and passed
// down, so tests can register their own providers.
type Registry struct {
	factories map[string]Factory
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{factories: map[string]Factory{}}
}

// Register adds a provider under name, replacing any earlier one.
func (r *Registry) Register(name string, f Factory) {
	r.factories[name] = f
}

// New builds the provider registered under name.
func (r *Registry) New(name string) (Provider, bool) {
	f, ok := r.factories[name]
	if !ok {
		return nil, false
	}
	return f(), true
}

// Names lists the registered provider names in order.
func (r *Registry) Names() []string {
	names := make([]string, 0, len(r.factories))
	for n := range r.factories {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
