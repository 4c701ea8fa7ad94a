package apply

import (
	"errors"
	"testing"
)

// TestOpErrorNamesTheAddressOnce checks that an error gets the operation
// and address in front unless the provider's message starts with them.
func TestOpErrorNamesTheAddressOnce(t *testing.T) {
	t.Parallel()
	tests := map[string]struct{ msg, want string }{
		"bare":               {"throttled", "create cache.c: throttled"},
		"address first":      {"cache.c: throttled", "cache.c: throttled"},
		"operation, address": {"create cache.c: throttled", "create cache.c: throttled"},
		"other operation":    {"delete cache.c: busy", "create cache.c: delete cache.c: busy"},
		"other address":      {"create cache.cc: busy", "create cache.c: create cache.cc: busy"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if got := opError("create", "cache.c", errors.New(tt.msg)).Error(); got != tt.want {
				t.Errorf("opError(%q) = %q, want %q", tt.msg, got, tt.want)
			}
		})
	}
}
