package cluster

import (
	"fmt"
	"os"
	"os/exec"
)

// EtcdMemberArg is the hidden command of the stagecraft binary that runs
// one etcd member, each in its own process: stagecraft __etcd-member FLAGS.
const EtcdMemberArg = "__etcd-member"

// selfCommand runs the current binary with a hidden command. In tests the
// binary is the test binary, whose TestMain dispatches the same commands.
func selfCommand(role string, args ...string) (*exec.Cmd, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("find the stagecraft binary: %w", err)
	}
	return exec.Command(exe, append([]string{role}, args...)...), nil
}
