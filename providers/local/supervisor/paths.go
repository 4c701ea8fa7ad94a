package supervisor

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Paths are the files of one environment's supervisor, under
// .stagecraft/local/ENV/ (the private directory: 0700, owned by the user).
type Paths struct {
	Dir string
}

// NewPaths returns the paths of environment env under the data directory
// dataDir (.stagecraft).
func NewPaths(dataDir, env string) Paths {
	return Paths{Dir: filepath.Join(dataDir, "local", env)}
}

// PID file, written by the supervisor when it starts.
func (p Paths) PID() string { return filepath.Join(p.Dir, "supervisor.pid") }

// Lock serialises starting a supervisor between CLI processes.
func (p Paths) Lock() string { return filepath.Join(p.Dir, "supervisor.lock") }

// RunLock is held (flock) by the running supervisor for its whole life,
// so a second one for the same directory refuses to start.
func (p Paths) RunLock() string { return filepath.Join(p.Dir, "supervisor.running") }

// SocketRecord names the socket the running supervisor listens on, so a
// CLI started with another environment (another XDG_RUNTIME_DIR) finds it.
func (p Paths) SocketRecord() string { return filepath.Join(p.Dir, "supervisor.socket") }

// Procs is the registry of the process groups the supervisor's children
// run in, one file per group with the leader's start time, so the next
// supervisor finds what a killed one left running.
func (p Paths) Procs() string { return filepath.Join(p.Dir, "procs") }

// Log is the supervisor's own log.
func (p Paths) Log() string { return filepath.Join(p.Dir, "logs", "supervisor.log") }

// Logs holds per-instance and per-server logs.
func (p Paths) Logs() string { return filepath.Join(p.Dir, "logs") }

// Data holds cache dumps and cluster data directories; it survives
// supervisor restarts and is removed with the resource.
func (p Paths) Data() string { return filepath.Join(p.Dir, "data") }

// Prepare makes the private directory and its logs directory, for this
// user only: .stagecraft/local, ENV and ENV/logs become 0700 (also when an
// older version made them open to others).
func (p Paths) Prepare() error {
	for _, dir := range []string{filepath.Dir(p.Dir), p.Dir, p.Logs()} {
		if err := MakePrivateDir(dir); err != nil {
			return err
		}
	}
	return nil
}

// maxSocketPath keeps socket paths inside the system's limit (104 bytes on
// macOS, 108 on Linux, counting the final NUL).
const maxSocketPath = 100

// ChooseSocket picks where a new supervisor listens, always inside a
// directory that only this user can enter: $XDG_RUNTIME_DIR/stagecraft
// when XDG_RUNTIME_DIR is a private directory of this user; else the
// private directory itself when the path is short enough for a socket;
// else a per-user directory in the temporary directory
// (stagecraft-UID), which must be this user's, 0700 and not a symlink.
// Sockets outside the private directory are named after a hash of it.
func ChooseSocket(p Paths, getenv func(string) string) (string, error) {
	abs, err := filepath.Abs(p.Dir)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256([]byte(abs))
	name := hex.EncodeToString(sum[:8]) + ".sock"
	if xdg := getenv("XDG_RUNTIME_DIR"); filepath.IsAbs(xdg) && ownPrivateDir(xdg) == nil {
		dir := filepath.Join(xdg, "stagecraft")
		if s := filepath.Join(dir, name); len(s) < maxSocketPath {
			if err := MakeRuntimeDir(dir); err != nil {
				return "", err
			}
			return s, nil
		}
	}
	if s := filepath.Join(abs, "supervisor.sock"); len(s) < maxSocketPath {
		return s, nil
	}
	dir := filepath.Join(os.TempDir(), "stagecraft-"+strconv.Itoa(os.Getuid()))
	s := filepath.Join(dir, name)
	if len(s) >= maxSocketPath {
		return "", fmt.Errorf("no socket path for the local supervisor fits in %d bytes (%s is too long); set XDG_RUNTIME_DIR or TMPDIR to a shorter directory of yours", maxSocketPath, dir)
	}
	if err := MakeRuntimeDir(dir); err != nil {
		return "", err
	}
	return s, nil
}

// RecordedSocket is the socket the running supervisor wrote down, or ""
// when there is none or it does not lie in a private directory of this
// user.
func RecordedSocket(p Paths) string {
	b, err := os.ReadFile(p.SocketRecord())
	if err != nil {
		return ""
	}
	s := strings.TrimSpace(string(b))
	if !filepath.IsAbs(s) || ownPrivateDir(filepath.Dir(s)) != nil {
		return ""
	}
	return s
}

// MakePrivateDir creates dir (and its parents) for this user's files
// only: the directory must be this user's and not a symlink, and loses any
// access for others that an older version gave it.
func MakePrivateDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	info, err := os.Lstat(dir)
	if err != nil {
		return err
	}
	if err := checkOwnDir(dir, info); err != nil {
		return err
	}
	if info.Mode().Perm() != 0o700 {
		return os.Chmod(dir, 0o700)
	}
	return nil
}

// MakeRuntimeDir creates dir in a directory others can write to (the
// temporary directory), or checks the one that is there: it must be a
// directory, not a symlink, owned by this user and of mode 0700, or it is
// refused, since another user may have made it to receive the socket.
func MakeRuntimeDir(dir string) error {
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	return ownPrivateDir(dir)
}

// ownPrivateDir checks that dir is a directory of this user that no one
// else can enter.
func ownPrivateDir(dir string) error {
	info, err := os.Lstat(dir)
	if err != nil {
		return err
	}
	if err := checkOwnDir(dir, info); err != nil {
		return err
	}
	if perm := info.Mode().Perm(); perm&0o077 != 0 {
		return fmt.Errorf("%s has mode %04o, so other users can enter it; remove it (or chmod 700 it if it is yours) and run the command again", dir, perm)
	}
	return nil
}

// checkOwnDir refuses a path that is a symlink, not a directory, or owned
// by another user.
func checkOwnDir(dir string, info os.FileInfo) error {
	if info.Mode()&os.ModeSymlink != 0 {
		return fmt.Errorf("%s is a symlink; the local provider keeps its files in a real directory of yours, so remove it and run the command again", dir)
	}
	if !info.IsDir() {
		return fmt.Errorf("%s is not a directory; remove it and run the command again", dir)
	}
	if uid, ok := ownerOf(info); ok && uid != os.Getuid() {
		return fmt.Errorf("%s belongs to uid %d, not to you (uid %d); remove it and run the command again", dir, uid, os.Getuid())
	}
	return nil
}
