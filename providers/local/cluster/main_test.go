package cluster

import (
	"testing"

	"github.com/stagecraft/stagecraft/providers/local/internal/localtest"
)

// TestMain lets the test binary stand in for the stagecraft binary: the
// etcd members the tests start re-execute it with the hidden command.
func TestMain(m *testing.M) {
	localtest.Main(m, map[string]localtest.Command{EtcdMemberArg: RunEtcdMember})
}
