package cache

import (
	"testing"

	"github.com/stagecraft/stagecraft/providers/local/internal/localtest"
)

// TestMain lets the test binary run the probes that tests start as another
// user.
func TestMain(m *testing.M) {
	localtest.Main(m, nil)
}
