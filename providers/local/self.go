package local

import (
	"fmt"
	"os"
	"os/exec"
)

// Hidden commands of the stagecraft binary that the local provider runs:
// the supervisor, and one etcd member per process.
const (
	// SupervisorArg runs a supervisor: stagecraft __supervise --dir DIR.
	SupervisorArg = supervisorArg
	// EtcdMemberArg runs an etcd member: stagecraft __etcd-member FLAGS.
	EtcdMemberArg = "__etcd-member"
)

// selfCommand runs the current binary with a hidden command. In tests the
// binary is the test binary, whose TestMain dispatches the same commands.
func selfCommand(role string, args ...string) (*exec.Cmd, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("find the stagecraft binary: %w", err)
	}
	return exec.Command(exe, append([]string{role}, args...)...), nil
}
