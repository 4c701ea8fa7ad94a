package local

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
)

// envPaths are the files of one environment's supervisor, under
// .stagecraft/local/ENV/.
type envPaths struct {
	Dir string
}

func newEnvPaths(dataDir, env string) envPaths {
	return envPaths{Dir: filepath.Join(dataDir, "local", env)}
}

// PID file, written by the supervisor when it starts.
func (p envPaths) PID() string { return filepath.Join(p.Dir, "supervisor.pid") }

// Lock serialises starting a supervisor between CLI processes.
func (p envPaths) Lock() string { return filepath.Join(p.Dir, "supervisor.lock") }

// Log is the supervisor's own log.
func (p envPaths) Log() string { return filepath.Join(p.Dir, "logs", "supervisor.log") }

// Logs holds per-instance and per-server logs.
func (p envPaths) Logs() string { return filepath.Join(p.Dir, "logs") }

// Data holds cache dumps and cluster data directories; it survives
// supervisor restarts and is removed with the resource.
func (p envPaths) Data() string { return filepath.Join(p.Dir, "data") }

// Socket is the unix socket of the API. Socket paths are limited to about
// 100 bytes, so a deep stack directory gets a socket in the temporary
// directory named after a hash of its own.
func (p envPaths) Socket() string {
	s := filepath.Join(p.Dir, "supervisor.sock")
	if len(s) < 100 {
		return s
	}
	sum := sha256.Sum256([]byte(p.Dir))
	return filepath.Join(os.TempDir(), "stagecraft-"+hex.EncodeToString(sum[:8])+".sock")
}
