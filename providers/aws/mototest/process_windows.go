package mototest

import (
	"os"
	"os/exec"
)

// isolate leaves cmd as it is: Windows has no process groups to signal,
// so Stop ends the server process itself.
func isolate(*exec.Cmd) {}

// terminate ends the process pid. Windows cannot ask a process to stop,
// so the request and the force are the same kill.
func terminate(pid int, _ bool) {
	if p, err := os.FindProcess(pid); err == nil {
		_ = p.Kill()
	}
}
