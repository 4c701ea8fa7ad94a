package local

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// respStore is the keyspace of one embedded Redis-protocol node: strings,
// hashes and lists with expiry, a memory limit enforced by eviction, and a
// JSON dump that survives supervisor restarts. A primary and its replicas
// share one store.
type respStore struct {
	// file is the dump; empty keeps nothing.
	file string

	mu        sync.Mutex
	keys      map[string]*respEntry
	volatile  int   // keys with an expiry
	used      int64 // estimated bytes of every key and value
	maxmemory int64
	policy    string
	clock     uint64 // logical time of the last access, for LRU
	dirty     int64  // changes since the last dump
	lastSave  time.Time
	stats     respStats

	stopOnce sync.Once
	stop     chan struct{}
	done     chan struct{}
}

// respStats are the counters INFO reports.
type respStats struct {
	commands, evicted, expired, hits, misses, connections int64
}

// Entry types, as TYPE names them.
const (
	respString = "string"
	respHash   = "hash"
	respList   = "list"
)

// respEntry is one key's value.
type respEntry struct {
	kind string
	str  []byte
	hash map[string][]byte
	list [][]byte
	// expireAt is the expiry in Unix milliseconds; 0 means none.
	expireAt int64
	// access is the store clock at the last access; freq counts accesses
	// (saturating), for the lfu policies.
	access uint64
	freq   uint32
	size   int64
}

// Estimated overheads, in bytes, of a key and of one element. They make
// maxmemory mean roughly what it means to redis-server.
const (
	respKeyOverhead  = 64
	respElemOverhead = 24
	// respSaveEvery is how often a store with changes dumps them, like
	// redis-server's "save 60 1".
	respSaveEvery = 60 * time.Second
	// respSweepEvery is how often expired keys nobody reads are removed.
	respSweepEvery = 200 * time.Millisecond
)

// respPolicies are the eviction policies redis-server knows.
var respPolicies = []string{"noeviction", "allkeys-lru", "allkeys-lfu", "allkeys-random", "volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl"}

// newRESPStore opens a store, loading file when it exists, and starts its
// background work (expiry, periodic dumps).
func newRESPStore(file string, maxmemory int64, policy string) (*respStore, error) {
	st := &respStore{file: file, keys: map[string]*respEntry{}, maxmemory: maxmemory, policy: policy,
		lastSave: time.Now(), stop: make(chan struct{}), done: make(chan struct{})}
	if file != "" {
		if err := st.load(); err != nil {
			return nil, err
		}
	}
	go st.background()
	return st, nil
}

func (st *respStore) background() {
	defer close(st.done)
	sweep := time.NewTicker(respSweepEvery)
	defer sweep.Stop()
	for {
		select {
		case <-st.stop:
			return
		case <-sweep.C:
			st.mu.Lock()
			st.sweepExpired(200)
			due := st.dirty > 0 && st.file != "" && time.Since(st.lastSave) >= respSaveEvery
			st.mu.Unlock()
			if due {
				_ = st.save()
			}
		}
	}
}

// close stops the background work and, with save, dumps the keys.
func (st *respStore) close(save bool) error {
	st.stopOnce.Do(func() { close(st.stop) })
	<-st.done
	if save && st.file != "" {
		return st.save()
	}
	return nil
}

// configure sets the memory limit and policy, evicting at once when the
// limit shrinks below what is used (as CONFIG SET does).
func (st *respStore) configure(maxmemory int64, policy string) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.maxmemory, st.policy = maxmemory, policy
	st.makeRoom()
}

func nowMillis() int64 { return time.Now().UnixMilli() }

// lookup returns a live key, removing it when it has expired. Callers hold
// st.mu.
func (st *respStore) lookup(key string) *respEntry {
	e, ok := st.keys[key]
	if !ok {
		return nil
	}
	if e.expireAt > 0 && nowMillis() >= e.expireAt {
		st.remove(key)
		st.stats.expired++
		return nil
	}
	st.clock++
	e.access = st.clock
	if e.freq < 1<<31 {
		e.freq++
	}
	return e
}

// remove deletes a key and its accounting. Callers hold st.mu.
func (st *respStore) remove(key string) {
	e, ok := st.keys[key]
	if !ok {
		return
	}
	st.used -= e.size
	if e.expireAt > 0 {
		st.volatile--
	}
	delete(st.keys, key)
	st.dirty++
}

// put stores a new entry under key, replacing what was there.
func (st *respStore) put(key string, e *respEntry) {
	st.remove(key)
	st.clock++
	e.access, e.freq = st.clock, 1
	e.size = respKeyOverhead + int64(len(key))
	switch e.kind {
	case respString:
		e.size += int64(len(e.str))
	case respHash:
		for f, v := range e.hash {
			e.size += respElemOverhead + int64(len(f)+len(v))
		}
	case respList:
		for _, v := range e.list {
			e.size += respElemOverhead + int64(len(v))
		}
	}
	if e.expireAt > 0 {
		st.volatile++
	}
	st.keys[key] = e
	st.used += e.size
	st.dirty++
}

// grow accounts for delta bytes added to (or removed from) an entry.
func (st *respStore) grow(e *respEntry, delta int64) {
	e.size += delta
	st.used += delta
	st.dirty++
}

// setExpiry sets or clears (ms = 0) a key's expiry.
func (st *respStore) setExpiry(e *respEntry, ms int64) {
	switch {
	case e.expireAt == 0 && ms > 0:
		st.volatile++
	case e.expireAt > 0 && ms == 0:
		st.volatile--
	}
	e.expireAt = ms
	st.dirty++
}

// sweepExpired removes up to n expired keys. Go's map iteration starts at
// a random place, so successive sweeps cover the keyspace.
func (st *respStore) sweepExpired(n int) {
	if st.volatile == 0 {
		return
	}
	now := nowMillis()
	checked := 0
	for k, e := range st.keys {
		if e.expireAt == 0 {
			continue
		}
		if now >= e.expireAt {
			st.remove(k)
			st.stats.expired++
		}
		if checked++; checked >= n {
			return
		}
	}
}

// makeRoom evicts keys by the policy until the store is within its limit.
// It reports false when it cannot (noeviction, or no key the policy may
// evict). Callers hold st.mu.
func (st *respStore) makeRoom() bool {
	for st.maxmemory > 0 && st.used > st.maxmemory {
		if st.policy == "noeviction" {
			return false
		}
		key, ok := st.victim()
		if !ok {
			return false
		}
		st.remove(key)
		st.stats.evicted++
	}
	return true
}

// victim picks a key to evict the way redis-server does, approximately: it
// samples a few keys and takes the best candidate among them.
func (st *respStore) victim() (string, bool) {
	const samples = 5
	volatileOnly := strings.HasPrefix(st.policy, "volatile-")
	if volatileOnly && st.volatile == 0 {
		return "", false
	}
	best, found := "", false
	var bestEntry *respEntry
	seen := 0
	for k, e := range st.keys {
		if volatileOnly && e.expireAt == 0 {
			continue
		}
		if !found || st.better(e, bestEntry) {
			best, bestEntry, found = k, e, true
		}
		if seen++; seen >= samples {
			break
		}
	}
	return best, found
}

// better reports whether a is a better eviction candidate than b.
func (st *respStore) better(a, b *respEntry) bool {
	switch {
	case strings.HasSuffix(st.policy, "-lru"):
		return a.access < b.access
	case strings.HasSuffix(st.policy, "-lfu"):
		return a.freq < b.freq || (a.freq == b.freq && a.access < b.access)
	case st.policy == "volatile-ttl":
		return a.expireAt < b.expireAt
	}
	return false // random: the first sample
}

// respDump is the file an embedded node keeps its keys in.
type respDump struct {
	Version int           `json:"version"`
	Keys    []respDumpKey `json:"keys"`
}

// respDumpKey is one key in a dump. Keys and values are bytes (base64 in
// JSON), since Redis values need not be text.
type respDumpKey struct {
	Key      []byte   `json:"key"`
	Type     string   `json:"type"`
	String   []byte   `json:"string,omitempty"`
	Fields   [][]byte `json:"fields,omitempty"` // field, value, field, value, ...
	List     [][]byte `json:"list,omitempty"`
	ExpireAt int64    `json:"expire_at_ms,omitempty"`
}

// save writes the keys to the dump file atomically.
func (st *respStore) save() error {
	st.mu.Lock()
	d := respDump{Version: 1, Keys: make([]respDumpKey, 0, len(st.keys))}
	now := nowMillis()
	for k, e := range st.keys {
		if e.expireAt > 0 && now >= e.expireAt {
			continue
		}
		dk := respDumpKey{Key: []byte(k), Type: e.kind, ExpireAt: e.expireAt}
		switch e.kind {
		case respString:
			dk.String = e.str
		case respHash:
			fields := make([]string, 0, len(e.hash))
			for f := range e.hash {
				fields = append(fields, f)
			}
			sort.Strings(fields)
			for _, f := range fields {
				dk.Fields = append(dk.Fields, []byte(f), e.hash[f])
			}
		case respList:
			dk.List = e.list
		}
		d.Keys = append(d.Keys, dk)
	}
	// Marshal under the lock: the values are shared with the live entries.
	b, err := json.Marshal(d)
	dirty := st.dirty
	st.mu.Unlock()
	if err != nil {
		return err
	}
	if err := replaceFile(st.file, b); err != nil {
		return fmt.Errorf("save %s: %w", st.file, err)
	}
	st.mu.Lock()
	st.dirty -= dirty
	st.lastSave = time.Now()
	st.mu.Unlock()
	return nil
}

// load reads the dump file, if there is one.
func (st *respStore) load() error {
	b, err := os.ReadFile(st.file)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	var d respDump
	if err := json.Unmarshal(b, &d); err != nil {
		return fmt.Errorf("read %s: %w (move the file away to start empty)", st.file, err)
	}
	now := nowMillis()
	st.mu.Lock()
	defer st.mu.Unlock()
	for _, dk := range d.Keys {
		if dk.ExpireAt > 0 && now >= dk.ExpireAt {
			continue
		}
		e := &respEntry{kind: dk.Type, expireAt: dk.ExpireAt}
		switch dk.Type {
		case respString:
			e.str = dk.String
			if e.str == nil {
				e.str = []byte{}
			}
		case respHash:
			e.hash = map[string][]byte{}
			for i := 0; i+1 < len(dk.Fields); i += 2 {
				e.hash[string(dk.Fields[i])] = dk.Fields[i+1]
			}
		case respList:
			e.list = dk.List
		default:
			return fmt.Errorf("read %s: key %q has unknown type %q", st.file, dk.Key, dk.Type)
		}
		st.put(string(dk.Key), e)
	}
	st.dirty = 0
	return nil
}

// replaceFile replaces path with b, so a crash leaves the old file or
// the new one, never half of one.
func replaceFile(path string, b []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
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

// parseMemory reads a redis memory setting: bytes, or a number with a unit
// (k, kb, m, mb, g, gb; the b forms are powers of 1024).
func parseMemory(s string) (int64, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	units := []struct {
		suffix string
		mul    int64
	}{{"kb", 1 << 10}, {"mb", 1 << 20}, {"gb", 1 << 30}, {"k", 1000}, {"m", 1000 * 1000}, {"g", 1000 * 1000 * 1000}, {"b", 1}}
	mul := int64(1)
	for _, u := range units {
		if rest, ok := strings.CutSuffix(s, u.suffix); ok {
			s, mul = rest, u.mul
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, false
	}
	return n * mul, true
}

// globMatch matches s against a redis glob pattern: * ? [abc] [^a] [a-z]
// and \ to escape.
func globMatch(pattern, s string) bool {
	px, sx := 0, 0
	// Where to resume after the last *: the pattern just after it, and the
	// next position in s it may absorb.
	starP, starS := -1, 0
	for sx < len(s) {
		if px < len(pattern) {
			switch pattern[px] {
			case '*':
				starP, starS = px, sx
				px++
				continue
			case '?':
				px++
				sx++
				continue
			case '[':
				if end, ok := matchClass(pattern, px, s[sx]); end > 0 {
					if ok {
						px, sx = end, sx+1
						continue
					}
				} else if s[sx] == '[' { // an unterminated class is a literal
					px, sx = px+1, sx+1
					continue
				}
			case '\\':
				if px+1 < len(pattern) && pattern[px+1] == s[sx] {
					px, sx = px+2, sx+1
					continue
				}
			default:
				if pattern[px] == s[sx] {
					px, sx = px+1, sx+1
					continue
				}
			}
		}
		if starP < 0 {
			return false
		}
		starS++
		px, sx = starP+1, starS
	}
	for px < len(pattern) && pattern[px] == '*' {
		px++
	}
	return px == len(pattern)
}

// matchClass matches c against the class starting at pattern[i] ('[') and
// returns the index after the class (0 when it is not terminated).
func matchClass(pattern string, i int, c byte) (int, bool) {
	j := i + 1
	negate := j < len(pattern) && pattern[j] == '^'
	if negate {
		j++
	}
	matched := false
	for ; j < len(pattern) && pattern[j] != ']'; j++ {
		lo := pattern[j]
		if lo == '\\' && j+1 < len(pattern) {
			j++
			lo = pattern[j]
		}
		hi := lo
		if j+2 < len(pattern) && pattern[j+1] == '-' && pattern[j+2] != ']' {
			hi = pattern[j+2]
			j += 2
			if lo > hi {
				lo, hi = hi, lo
			}
		}
		if c >= lo && c <= hi {
			matched = true
		}
	}
	if j >= len(pattern) {
		return 0, false
	}
	return j + 1, matched != negate
}
