package supervisor

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
)

// Paths are the files of one environment's supervisor, under
// .stagecraft/local/ENV/.
type Paths struct {
	Dir string
}

func NewPaths(dataDir, env string) Paths {
	return Paths{Dir: filepath.Join(dataDir, "local", env)}
}

// PID file, written by the supervisor when it starts.
func (p Paths) PID() string { return filepath.Join(p.Dir, "supervisor.pid") }

// Lock serialises starting a supervisor between CLI processes.
func (p Paths) Lock() string { return filepath.Join(p.Dir, "supervisor.lock") }

// Log is the supervisor's own log.
func (p Paths) Log() string { return filepath.Join(p.Dir, "logs", "supervisor.log") }

// Logs holds per-instance and per-server logs.
func (p Paths) Logs() string { return filepath.Join(p.Dir, "logs") }

// Data holds cache dumps and cluster data directories; it survives
// supervisor restarts and is removed with the resource.
func (p Paths) Data() string { return filepath.Join(p.Dir, "data") }

// Socket is the unix socket of the API. Socket paths are limited to about
// 100 bytes, so a deep stack directory gets a socket in the temporary
// directory named after a hash of its own.
func (p Paths) Socket() string {
	s := filepath.Join(p.Dir, "supervisor.sock")
	if len(s) < 100 {
		return s
	}
	sum := sha256.Sum256([]byte(p.Dir))
	return filepath.Join(os.TempDir(), "stagecraft-"+hex.EncodeToString(sum[:8])+".sock")
}
