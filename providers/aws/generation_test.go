package aws

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/stagecraft/stagecraft/providers"
	"github.com/stagecraft/stagecraft/providers/kinds"
	"github.com/stagecraft/stagecraft/providers/providertest"
)

// TestReplacementNeverAdoptsTheCopyItReplaces creates a network and a
// cache, then creates each again as the replacement of the first copy
// with the same settings (a half-made or drifted resource replaced): the
// new copy is another object, a create interrupted and run again finds
// that new copy, and a create that replaces nothing still adopts the
// first one.
func TestReplacementNeverAdoptsTheCopyItReplaces(t *testing.T) {
	t.Parallel()
	p, _ := newTestProvider(t, nil)
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	stack := "shop-" + strings.ToLower(t.Name())
	for _, kind := range []string{kinds.Network, kinds.Cache} {
		t.Run(kind, func(t *testing.T) {
			k, _ := p.Kind(kind)
			attrs := map[string]cty.Value{}
			if kind == kinds.Cache {
				attrs["engine"] = cty.StringVal("redis")
			}
			desired := providertest.Desired(k.Schema(), attrs)
			r := providers.Ref{Address: kind + ".main", Kind: kind, Stack: stack, Environment: "prod"}
			create := func(r providers.Ref) string {
				t.Helper()
				v, err := k.Create(ctx, r, desired)
				if err != nil {
					t.Fatalf("Create %s (replacing %q): %v", r.Address, r.Replaces, err)
				}
				id := v.GetAttr("id").AsString()
				t.Cleanup(func() {
					ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
					defer cancel()
					r.ID = id
					if err := k.Delete(ctx, r, v); err != nil {
						t.Errorf("clean up %s: %v", id, err)
					}
				})
				return id
			}
			first := create(r)
			if again := create(r); again != first {
				t.Fatalf("a second create made %s instead of adopting %s", again, first)
			}
			replacing := r
			replacing.Replaces = first
			second := create(replacing)
			if second == first {
				t.Fatalf("the replacement adopted the copy it replaces, %s", first)
			}
			if again := create(replacing); again != second {
				t.Fatalf("the replacement run again made %s instead of adopting its own copy %s", again, second)
			}
		})
	}
}
