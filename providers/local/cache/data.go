package cache

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/gofrs/flock"
)

// cacheData is the generation of data one cache uses (see cache.go for the
// layout).
type cacheData struct {
	// base is env.dataDir(address); dir is base/GEN.
	base string
	gen  string
	dir  string
	// lock holds the flock on dir/lock while the cache runs.
	lock *flock.Flock
	// adopted says the generation was left by an earlier supervisor.
	adopted bool
	// ports are the servers' ports by name; the cache guards it with its
	// mutex.
	ports map[string]int
}

const (
	cacheCurrentFile = "current"
	cacheLockFile    = "lock"
	cachePortsFile   = "ports.json"
	cacheAuthFile    = "auth.conf"
)

// Modes of what a cache keeps on disk: its data and its password are the
// user's alone.
const (
	cacheDirMode  = 0o700
	cacheFileMode = 0o600
)

// claimCacheData takes the generation under base that `current` names when
// no running cache holds it (a supervisor restart), or else starts a new
// one named id (a new cache, or a replacement running next to the cache it
// replaces).
func claimCacheData(base, id string) (*cacheData, error) {
	if err := os.MkdirAll(base, cacheDirMode); err != nil {
		return nil, err
	}
	var candidates []string
	if b, err := os.ReadFile(filepath.Join(base, cacheCurrentFile)); err == nil {
		candidates = append(candidates, strings.TrimSpace(string(b)))
	}
	for _, gen := range candidates {
		if gen == "" || strings.ContainsAny(gen, `/\`) || strings.HasPrefix(gen, ".") {
			continue
		}
		lock, ok := lockCacheGen(filepath.Join(base, gen))
		if !ok {
			continue
		}
		d := &cacheData{base: base, gen: gen, dir: filepath.Join(base, gen), lock: lock, adopted: true, ports: map[string]int{}}
		d.loadPorts()
		if err := d.markCurrent(); err != nil {
			d.release()
			return nil, err
		}
		return d, nil
	}
	dir := filepath.Join(base, id)
	if err := os.MkdirAll(dir, cacheDirMode); err != nil {
		return nil, err
	}
	lock, ok := lockCacheGen(dir)
	if !ok {
		return nil, fmt.Errorf("%s is in use", dir)
	}
	d := &cacheData{base: base, gen: id, dir: dir, lock: lock, ports: map[string]int{}}
	if err := d.markCurrent(); err != nil {
		d.release()
		return nil, err
	}
	return d, nil
}

// cacheGenerations lists the generation directories under base, newest first.
func cacheGenerations(base string) []string {
	entries, err := os.ReadDir(base)
	if err != nil {
		return nil
	}
	type gen struct {
		name string
		mod  int64
	}
	var gens []gen
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue
		}
		gens = append(gens, gen{e.Name(), info.ModTime().UnixNano()})
	}
	sort.Slice(gens, func(i, j int) bool { return gens[i].mod > gens[j].mod })
	out := make([]string, len(gens))
	for i, g := range gens {
		out[i] = g.name
	}
	return out
}

// lockCacheGen takes the flock of a generation directory without waiting. A
// directory that does not exist is not taken.
func lockCacheGen(dir string) (*flock.Flock, bool) {
	if info, err := os.Stat(dir); err != nil || !info.IsDir() {
		return nil, false
	}
	l := flock.New(filepath.Join(dir, cacheLockFile), flock.SetPermissions(cacheFileMode))
	if ok, err := l.TryLock(); err != nil || !ok {
		return nil, false
	}
	return l, true
}

// markCurrent makes this generation the one a re-created cache adopts.
func (d *cacheData) markCurrent() error {
	return replaceFile(filepath.Join(d.base, cacheCurrentFile), []byte(d.gen+"\n"))
}

// nodeDir is the data directory of one server.
func (d *cacheData) nodeDir(name string) string { return filepath.Join(d.dir, name) }

func (d *cacheData) loadPorts() {
	b, err := os.ReadFile(filepath.Join(d.dir, cachePortsFile))
	if err != nil {
		return
	}
	_ = json.Unmarshal(b, &d.ports)
}

// savePorts records the servers' ports, so a restart can reuse them.
func (d *cacheData) savePorts(ports map[string]int) error {
	if d.lock == nil {
		return nil
	}
	b, err := json.MarshalIndent(ports, "", "  ")
	if err != nil {
		return err
	}
	return replaceFile(filepath.Join(d.dir, cachePortsFile), b)
}

// release lets another cache take the generation; its files stay.
func (d *cacheData) release() {
	if d.lock != nil {
		_ = d.lock.Unlock()
		d.lock = nil
	}
}

// remove deletes the generation. Generations no running cache holds go
// too (left by a crash in the middle of a replacement: the address's cache
// is being deleted, so they belong to nobody). When a running cache holds
// one, it becomes current; otherwise the address's directory goes.
func (d *cacheData) remove() error {
	d.release()
	var errs []error
	if err := os.RemoveAll(d.dir); err != nil {
		errs = append(errs, err)
	}
	var live []string
	for _, gen := range cacheGenerations(d.base) {
		dir := filepath.Join(d.base, gen)
		lock, ok := lockCacheGen(dir)
		if !ok {
			live = append(live, gen)
			continue
		}
		err := os.RemoveAll(dir)
		_ = lock.Unlock()
		if err != nil {
			errs = append(errs, err)
		}
	}
	if len(live) == 0 {
		if err := os.RemoveAll(d.base); err != nil {
			errs = append(errs, err)
		}
		return errors.Join(errs...)
	}
	cur, _ := os.ReadFile(filepath.Join(d.base, cacheCurrentFile))
	if !slices.Contains(live, strings.TrimSpace(string(cur))) {
		other := &cacheData{base: d.base, gen: live[0]}
		if err := other.markCurrent(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// addrPort is the port of a host:port address, or 0.
func addrPort(addr string) int {
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		return 0
	}
	n, _ := strconv.Atoi(p)
	return n
}

// replaceFile replaces path with b, so a crash leaves the old file or
// the new one, never half of one.
func replaceFile(path string, b []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), cacheDirMode); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), path)
}
