package stacks

import "testing"

func TestDependencyNames(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		dep, addr string
		want      bool
	}{
		"same address":          {"cache.c", "cache.c", true},
		"counted instance":      {"cache.c", "cache.c[10]", true},
		"for_each instance":     {"cache.c", `cache.c["a"]`, true},
		"key with brackets":     {"cache.c", `cache.c["x[\"1"]`, true},
		"other block, prefix":   {"cache.c", "cache.cc[0]", false},
		"instance, not block":   {"cache.c[1]", "cache.c[10]", false},
		"module resource":       {"module.m.cache.c", "module.m.cache.c[0]", true},
		"module instance":       {"module.m", "module.m[0].cache.c", false},
		"resource in module[0]": {"module.m[0].cache.c", "module.m[0].cache.c[2]", true},
		"empty brackets":        {"cache.c", "cache.c[]", false},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if got := DependencyNames(tt.dep, tt.addr); got != tt.want {
				t.Errorf("DependencyNames(%q, %q) = %v, want %v", tt.dep, tt.addr, got, tt.want)
			}
		})
	}
}

func TestBlockAddress(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		addr, block string
		keyed       bool
	}{
		"no key":        {"cache.c", "cache.c", false},
		"number key":    {"cache.c[3]", "cache.c", true},
		"string key":    {`cache.c["a.b"]`, "cache.c", true},
		"in a module":   {`module.m["x"].cache.c[0]`, `module.m["x"].cache.c`, true},
		"module key":    {`module.m["x"].cache.c`, `module.m["x"].cache.c`, false},
		"not a key":     {"cache.c[a]", "cache.c[a]", false},
		"bad string":    {`cache.c["a]`, `cache.c["a]`, false},
		"escaped quote": {`cache.c["a[\"b"]`, "cache.c", true},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			block, keyed := BlockAddress(tt.addr)
			if block != tt.block || keyed != tt.keyed {
				t.Errorf("BlockAddress(%q) = %q, %v; want %q, %v", tt.addr, block, keyed, tt.block, tt.keyed)
			}
		})
	}
}
