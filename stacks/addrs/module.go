package addrs

// Module is the path of module calls, outermost first, from the root of a
// stack to the module instance a resource is in; the zero Module is the
// root. Modules are comparable, so addresses can be map keys.
type Module struct {
	// text is the path as it appears in an address ("module.a[0].module.b",
	// "" for the root). Every Module is built by Child or parsed, so text
	// is always in canonical form and equal paths have equal text.
	text string
}

// ModuleStep is one module call along a path: the call's name and the key
// of the instance count or for_each made of it.
type ModuleStep struct {
	Name string
	Key  Key
}

// RootModule is the stack itself, outside any module.
var RootModule = Module{}

// IsRoot reports whether m is the root module.
func (m Module) IsRoot() bool { return m.text == "" }

// Child returns the path of the instance key of module call name within m.
func (m Module) Child(name string, key Key) Module {
	step := "module." + name + key.String()
	if m.text == "" {
		return Module{text: step}
	}
	return Module{text: m.text + "." + step}
}

// Steps returns the module calls along m, outermost first; none for the
// root.
func (m Module) Steps() []ModuleStep {
	if m.text == "" {
		return nil
	}
	segs, err := lex(m.text)
	if err != nil {
		panic("addrs: module path " + m.text + " is not canonical: " + err.Error())
	}
	steps := make([]ModuleStep, 0, len(segs)/2)
	for i := 0; i+1 < len(segs); i += 2 {
		steps = append(steps, ModuleStep{Name: segs[i+1].name, Key: segs[i+1].key})
	}
	return steps
}

// String returns the path as it appears in an address
// ("module.web[\"a\"]"), or the empty string for the root.
func (m Module) String() string { return m.text }

// Resource returns the address of the resource block kind.name in m.
func (m Module) Resource(kind, name string) Resource {
	return Resource{Module: m, Kind: kind, Name: name}
}

// Equal reports whether m and o are the same path. It is m == o, for
// comparison libraries that cannot see unexported fields (go-cmp).
func (m Module) Equal(o Module) bool { return m == o }
