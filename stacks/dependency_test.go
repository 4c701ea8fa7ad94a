package stacks

import "testing"

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
