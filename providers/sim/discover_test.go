package sim

import (
	"fmt"
	"sync"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/stagecraft/stagecraft/providers"
	"github.com/stagecraft/stagecraft/providers/kinds"
	"github.com/stagecraft/stagecraft/providers/providertest"
)

func desiredOf(t testing.TB, p *provider, kindName string, attrs map[string]cty.Value) cty.Value {
	t.Helper()
	return providertest.Desired(mustKind(t, p, kindName).schema, attrs)
}

func TestDiscover(t *testing.T) {
	t.Parallel()
	p := newTestProvider(t, nil)
	ctx := t.Context()
	groups := mustKind(t, p, kinds.AutoscalingGroup)
	owned := func(stack, env, name string) providers.Ref {
		return providers.Ref{Address: "autoscaling_group." + name, Kind: kinds.AutoscalingGroup, Stack: stack, Environment: env}
	}
	web := mustCreate(t, groups, owned("shop", "dev", "web"), groupConfig(t, p, 1, 2))
	app := mustCreate(t, groups, owned("shop", "dev", "app"), groupConfig(t, p, 1, 2))
	mustCreate(t, groups, owned("shop", "prod", "app"), groupConfig(t, p, 1, 2))
	mustCreate(t, groups, owned("blog", "dev", "app"), groupConfig(t, p, 1, 2))
	mustCreate(t, mustKind(t, p, kinds.Cache), ref(kinds.Cache, "sessions"), cacheConfig(t, p, nil))

	found, err := groups.Discover(ctx, "shop", "dev")
	if err != nil {
		t.Fatal(err)
	}
	var refs []providers.Ref
	for _, f := range found {
		refs = append(refs, f.Ref)
		if f.Actual.GetAttr("id").AsString() != f.Ref.ID {
			t.Errorf("discovered %s with the value of %s", f.Ref.ID, f.Actual.GetAttr("id").AsString())
		}
	}
	if want := []providers.Ref{app, web}; fmt.Sprint(refs) != fmt.Sprint(want) {
		t.Errorf("Discover(shop, dev) = %v, want %v (this stack and environment, this kind, by address)", refs, want)
	}

	if err := groups.Delete(ctx, app, cty.NilVal); err != nil {
		t.Fatal(err)
	}
	found, err = groups.Discover(ctx, "shop", "dev")
	if err != nil || len(found) != 1 || found[0].Ref != web {
		t.Errorf("after deleting %s, Discover finds %v (err %v), want only %v", app.Address, found, err, web)
	}
}

// TestConcurrentCreates is what a parallel apply does; run it with -race.
func TestConcurrentCreates(t *testing.T) {
	t.Parallel()
	const workers, each = 100, 10
	path := journalPath(t)
	p := newTestProvider(t, map[string]cty.Value{"path": cty.StringVal(path)})
	kinds := kinds.Names()
	configs := map[string]cty.Value{}
	for name, fx := range fixtures(p) {
		configs[name] = fx.Desired
	}

	var wg sync.WaitGroup
	ids := make([][]string, workers)
	errs := make(chan error, workers*each)
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				kindName := kinds[(w+i)%len(kinds)]
				r := providers.Ref{Address: fmt.Sprintf("%s.w%d_%d", kindName, w, i), Kind: kindName, Stack: "shop", Environment: "dev"}
				k, _ := p.Kind(kindName)
				actual, err := k.Create(t.Context(), r, configs[kindName])
				if err != nil {
					errs <- err
					continue
				}
				ids[w] = append(ids[w], actual.GetAttr("id").AsString())
				if _, _, err := k.Read(t.Context(), providers.Ref{Address: r.Address, ID: ids[w][len(ids[w])-1]}); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	seen := map[string]bool{}
	for _, list := range ids {
		for _, id := range list {
			if seen[id] {
				t.Errorf("id %s handed out twice", id)
			}
			seen[id] = true
		}
	}
	if len(seen) != workers*each {
		t.Errorf("%d resources created, want %d", len(seen), workers*each)
	}

	// Everything reached the journal.
	again := newTestProvider(t, map[string]cty.Value{"path": cty.StringVal(path)})
	total := 0
	for _, name := range kinds {
		found, err := mustKind(t, again, name).Discover(t.Context(), "shop", "dev")
		if err != nil {
			t.Fatal(err)
		}
		total += len(found)
	}
	if total != workers*each {
		t.Errorf("a second instance discovers %d resources, want %d", total, workers*each)
	}
}
