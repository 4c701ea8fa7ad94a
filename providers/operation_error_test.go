package providers

import (
	"errors"
	"fmt"
	"testing"
)

// TestOperationErrorLayout checks each shape a provider's message takes, so
// that what users read stays as the providers wrote it.
func TestOperationErrorLayout(t *testing.T) {
	t.Parallel()
	r := Ref{Address: "cache.sessions"}
	tests := map[string]struct {
		err  error
		want string
	}{
		"operation":            {r.Errorf("create", "the network has no subnets"), "create cache.sessions: the network has no subnets"},
		"operation, attribute": {r.AttrErrorf("update", "nodes", "%d is too many", 9), "update cache.sessions (nodes): 9 is too many"},
		"address alone":        {r.Errorf("", "the supervisor is not running"), "cache.sessions: the supervisor is not running"},
		"attribute alone":      {r.AttrErrorf("", "availability_zones", "too few"), "cache.sessions (availability_zones): too few"},
		"sentence":             {r.Sentencef("update", "%s no longer runs; plan again", r.Address), "cache.sessions no longer runs; plan again"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if got := tt.err.Error(); got != tt.want {
				t.Errorf("Error() = %q, want %q", got, tt.want)
			}
			var oe *OperationError
			if !errors.As(tt.err, &oe) || oe.Address != r.Address {
				t.Errorf("%q is not an OperationError about %s", tt.err, r.Address)
			}
		})
	}
}

// TestOperationErrorKeepsWhatItWraps checks that a transient error stays
// retryable, and a sentinel findable, inside an operation error.
func TestOperationErrorKeepsWhatItWraps(t *testing.T) {
	t.Parallel()
	sentinel := errors.New("not found")
	r := Ref{Address: "network.main"}
	err := r.Errorf("delete", "%w", Retryable(fmt.Errorf("throttled: %w", sentinel)))
	if !IsRetryable(err) {
		t.Errorf("IsRetryable(%q) = false, want true", err)
	}
	if !errors.Is(err, sentinel) {
		t.Errorf("errors.Is(%q, sentinel) = false, want true", err)
	}
	if got, want := err.Error(), "delete network.main: throttled: not found"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}
