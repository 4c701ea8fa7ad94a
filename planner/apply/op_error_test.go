package apply

import (
	"errors"
	"testing"

	"github.com/stagecraft/stagecraft/providers"
	"github.com/stagecraft/stagecraft/stacks/addrs"
)

// TestOpErrorNamesTheAddressOnce checks that a provider's error gets the
// operation and address in front unless it is an operation error that says
// as much already; the text of an error is never read to decide.
func TestOpErrorNamesTheAddressOnce(t *testing.T) {
	t.Parallel()
	c := providers.Ref{Address: "cache.c"}
	tests := map[string]struct {
		err  error
		want string
	}{
		"plain":                         {errors.New("throttled"), "create cache.c: throttled"},
		"plain naming the address":      {errors.New("cache.c: throttled"), "create cache.c: cache.c: throttled"},
		"plain naming operation, too":   {errors.New("create cache.c: throttled"), "create cache.c: create cache.c: throttled"},
		"typed, same operation":         {c.Errorf("create", "throttled"), "create cache.c: throttled"},
		"typed, same operation wrapped": {c.Errorf("create", "%w", providers.Retryable(errors.New("throttled"))), "create cache.c: throttled"},
		"typed, no operation":           {c.Errorf("", "throttled"), "cache.c: throttled"},
		"typed, attribute":              {c.AttrErrorf("create", "nodes", "too many"), "create cache.c (nodes): too many"},
		"typed sentence":                {c.Sentencef("update", "%s no longer runs", c.Address), "cache.c no longer runs"},
		"typed, other operation":        {c.Errorf("read", "busy"), "create cache.c: read cache.c: busy"},
		"typed, other address":          {providers.Ref{Address: "cache.cc"}.Errorf("create", "busy"), "create cache.c: create cache.cc: busy"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got := opError(OpCreate, addrs.MustParse("cache.c"), tt.err)
			if got.Error() != tt.want {
				t.Errorf("opError(%q) = %q, want %q", tt.err, got, tt.want)
			}
			if !errors.Is(got, tt.err) {
				t.Errorf("opError(%q) does not wrap the provider's error", tt.err)
			}
		})
	}
}
