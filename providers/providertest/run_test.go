package providertest_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/stagecraft/stagecraft/providers"
	"github.com/stagecraft/stagecraft/providers/kinds"
	"github.com/stagecraft/stagecraft/providers/providertest"
	"github.com/stagecraft/stagecraft/providers/schema"
	"github.com/stagecraft/stagecraft/providers/sim"
)

// The suite is tested by running it against a correct provider (sim)
// and against copies of it with one thing broken, each in a child test
// process (a failing suite fails its test, which cannot be observed from
// inside), checking that the child fails with the message a provider
// author needs.

// cacheFixture is a correct fixture for sim's cache kind.
func cacheFixture(t *testing.T) providertest.Fixture {
	s := schemaFor(t, kinds.Cache, "sim")
	str, num := cty.StringVal, cty.NumberIntVal
	type attrs = map[string]cty.Value
	return providertest.Fixture{
		Desired:  providertest.Desired(s, attrs{"engine": str("redis"), "nodes": num(2)}),
		Updated:  providertest.Desired(s, attrs{"engine": str("redis"), "nodes": num(3)}),
		Replaced: providertest.Desired(s, attrs{"engine": str("memcached")}),
		Invalid:  providertest.Desired(s, attrs{"engine": str("mysql")}),
	}
}

// breakage is one way a provider or a fixture can be wrong.
type breakage struct {
	// kind wraps the cache kind; nil keeps it.
	kind func(k providers.ResourceKind) providers.ResourceKind
	// fixture changes the fixture; nil keeps it.
	fixture func(f *providertest.Fixture, s *schema.Schema)
	// want is a piece of the failure message.
	want string
}

var breakages = map[string]breakage{
	"read drops configuration": {
		kind: func(k providers.ResourceKind) providers.ResourceKind {
			return &cacheKind{ResourceKind: k, read: func(v cty.Value) cty.Value { return setAttr(v, "memory_mb", cty.NumberIntVal(1)) }}
		},
		want: "memory_mb: got 1, want 64",
	},
	"read is unstable": {
		kind: func(k providers.ResourceKind) providers.ResourceKind {
			n := 0
			return &cacheKind{ResourceKind: k, read: func(v cty.Value) cty.Value {
				if n++; n == 1 {
					return v // the first Read agrees with Create
				}
				return setAttr(v, "endpoint", cty.StringVal(strings.Repeat("x", n)))
			}}
		},
		want: "a second Read differs from the first, so every plan would show changes",
	},
	"update replaces": {
		kind: func(k providers.ResourceKind) providers.ResourceKind {
			return &cacheKind{ResourceKind: k, update: func(ctx context.Context, r providers.Ref, prior, desired cty.Value) (cty.Value, error) {
				if err := k.Delete(ctx, r, prior); err != nil {
					return cty.NilVal, err
				}
				return k.Create(ctx, r, desired)
			}}
		},
		want: "Update changed the id",
	},
	"deleting twice fails": {
		kind: func(k providers.ResourceKind) providers.ResourceKind {
			return &cacheKind{ResourceKind: k, delete: func(ctx context.Context, r providers.Ref, prior cty.Value) error {
				if _, exists, _ := k.Read(ctx, r); !exists {
					return errors.New("no such cache")
				}
				return k.Delete(ctx, r, prior)
			}}
		},
		want: "deleting something already gone is not an error",
	},
	"invalid accepted": {
		kind: func(k providers.ResourceKind) providers.ResourceKind {
			return &cacheKind{ResourceKind: k, create: func(ctx context.Context, r providers.Ref, desired cty.Value) (cty.Value, error) {
				return k.Create(ctx, r, setAttr(desired, "engine", cty.StringVal("redis")))
			}}
		},
		want: "Create accepted the Invalid fixture",
	},
	"error without the address": {
		kind: func(k providers.ResourceKind) providers.ResourceKind {
			return &cacheKind{ResourceKind: k, create: func(ctx context.Context, r providers.Ref, desired cty.Value) (cty.Value, error) {
				v, err := k.Create(ctx, r, desired)
				if err != nil {
					return v, errors.New("bad engine")
				}
				return v, nil
			}}
		},
		want: `Create rejected the Invalid fixture with "bad engine", which does not name the address cache.conformance_invalid`,
	},
	"replacement fixture changes nothing force-new": {
		fixture: func(f *providertest.Fixture, s *schema.Schema) {
			f.Replaced = providertest.Desired(s, map[string]cty.Value{"engine": cty.StringVal("redis"), "memory_mb": cty.NumberIntVal(128)})
		},
		want: "the fixture's Replaced value changes memory_mb, nodes compared with Desired, none of which forces a replacement; change one of engine, network",
	},
	"update fixture forces a replacement": {
		fixture: func(f *providertest.Fixture, s *schema.Schema) {
			f.Updated = providertest.Desired(s, map[string]cty.Value{"engine": cty.StringVal("memcached")})
		},
		want: "the fixture's Updated value changes engine, which forces a replacement",
	},
	"fixture sets a computed attribute": {
		fixture: func(f *providertest.Fixture, s *schema.Schema) {
			f.Desired = setAttr(f.Desired, "id", cty.StringVal("cache-1"))
		},
		want: "the fixture's Desired value sets computed attributes (id)",
	},
}

// cacheKind overrides some operations of a kind. It hides the optional
// interfaces, which the suite then skips.
type cacheKind struct {
	providers.ResourceKind
	read   func(cty.Value) cty.Value
	create func(context.Context, providers.Ref, cty.Value) (cty.Value, error)
	update func(context.Context, providers.Ref, cty.Value, cty.Value) (cty.Value, error)
	delete func(context.Context, providers.Ref, cty.Value) error
}

func (k *cacheKind) Read(ctx context.Context, r providers.Ref) (cty.Value, bool, error) {
	v, exists, err := k.ResourceKind.Read(ctx, r)
	if k.read != nil && exists {
		v = k.read(v)
	}
	return v, exists, err
}

func (k *cacheKind) Create(ctx context.Context, r providers.Ref, desired cty.Value) (cty.Value, error) {
	if k.create != nil {
		return k.create(ctx, r, desired)
	}
	return k.ResourceKind.Create(ctx, r, desired)
}

func (k *cacheKind) Update(ctx context.Context, r providers.Ref, prior, desired cty.Value) (cty.Value, error) {
	if k.update != nil {
		return k.update(ctx, r, prior, desired)
	}
	return k.ResourceKind.Update(ctx, r, prior, desired)
}

func (k *cacheKind) Delete(ctx context.Context, r providers.Ref, prior cty.Value) error {
	if k.delete != nil {
		return k.delete(ctx, r, prior)
	}
	return k.ResourceKind.Delete(ctx, r, prior)
}

// brokenProvider is sim with its cache kind wrapped.
type brokenProvider struct {
	providers.Provider
	wrap func(providers.ResourceKind) providers.ResourceKind
}

func (p *brokenProvider) Kind(name string) (providers.ResourceKind, bool) {
	k, ok := p.Provider.Kind(name)
	if ok && name == kinds.Cache && p.wrap != nil {
		k = p.wrap(k)
	}
	return k, ok
}

func setAttr(v cty.Value, name string, x cty.Value) cty.Value {
	m := v.AsValueMap()
	m[name] = x
	return cty.ObjectVal(m)
}

// TestBrokenProvider is the child process of TestRunCatchesBreakage.
func TestBrokenProvider(t *testing.T) {
	name := os.Getenv("PROVIDERTEST_BREAKAGE")
	if name == "" {
		t.Skip("run by TestRunCatchesBreakage in a child process")
	}
	b, ok := breakages[name]
	if !ok {
		t.Fatalf("no breakage %q", name)
	}
	fx := cacheFixture(t)
	if b.fixture != nil {
		b.fixture(&fx, schemaFor(t, kinds.Cache, "sim"))
	}
	providertest.Run(t, &brokenProvider{Provider: sim.New(), wrap: b.kind}, providertest.Config{
		Fixtures: map[string]providertest.Fixture{kinds.Cache: fx},
	})
}

func TestRunCatchesBreakage(t *testing.T) {
	t.Parallel()
	if os.Getenv("PROVIDERTEST_BREAKAGE") != "" {
		t.Skip("in the child process")
	}
	names := make([]string, 0, len(breakages))
	for name := range breakages {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		b := breakages[name]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestBrokenProvider$", "-test.v")
			cmd.Env = append(os.Environ(), "PROVIDERTEST_BREAKAGE="+name)
			out, err := cmd.CombinedOutput()
			var exit *exec.ExitError
			if !errors.As(err, &exit) {
				t.Fatalf("the suite passed a provider whose %s (err %v):\n%s", name, err, out)
			}
			if !strings.Contains(string(out), b.want) {
				t.Errorf("the suite failed without saying %q:\n%s", b.want, out)
			}
		})
	}
}

// TestRunPassesSim is the control: the wrapper itself breaks nothing, and a
// kind without a fixture is skipped by name.
func TestRunPassesSim(t *testing.T) {
	t.Parallel()
	p := &brokenProvider{Provider: sim.New(), wrap: func(k providers.ResourceKind) providers.ResourceKind {
		return &cacheKind{ResourceKind: k}
	}}
	providertest.Run(t, p, providertest.Config{
		Fixtures: map[string]providertest.Fixture{kinds.Cache: cacheFixture(t)},
	})
}
