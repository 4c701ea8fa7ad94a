package local

import (
	"fmt"
	"math"
	"net"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// The commands of the embedded Redis-protocol server, each called with its
// store locked (see respSession.run). Replies follow redis-server's word
// for word where clients depend on them.

func cmdPing(s *respSession, _ *respStore, a [][]byte) {
	switch len(a) {
	case 1:
		s.w.simple("PONG")
	case 2:
		s.w.bulk(a[1])
	default:
		s.w.err("ERR wrong number of arguments for 'ping' command")
	}
}

func cmdSelect(s *respSession, _ *respStore, a [][]byte) {
	n, err := strconv.Atoi(string(a[1]))
	switch {
	case err != nil:
		s.w.err(errNotInt)
	case n != 0:
		s.w.err("ERR DB index is out of range")
	default:
		s.w.simple("OK")
	}
}

func cmdClient(s *respSession, _ *respStore, a [][]byte) {
	switch strings.ToLower(string(a[1])) {
	case "setname":
		if len(a) != 3 {
			s.w.err("ERR wrong number of arguments for 'client|setname' command")
			return
		}
		s.name = string(a[2])
		s.w.simple("OK")
	case "getname":
		if s.name == "" {
			s.w.null()
			return
		}
		s.w.bulkString(s.name)
	case "id":
		s.w.int(s.id)
	case "setinfo":
		s.w.simple("OK")
	default:
		s.w.err(fmt.Sprintf("ERR unknown subcommand '%s'. Try CLIENT HELP.", a[1]))
	}
}

func cmdCommand(s *respSession, _ *respStore, a [][]byte) {
	if len(a) > 1 && strings.EqualFold(string(a[1]), "count") {
		s.w.int(int64(len(respCommands)))
		return
	}
	// Clients ask for command tables to route cluster traffic; a single
	// node needs none, and an empty table is a valid answer.
	s.w.array(0)
}

func cmdHello(s *respSession, _ *respStore, a [][]byte) {
	if len(a) > 1 && string(a[1]) != "2" {
		s.w.err("NOPROTO unsupported protocol version")
		return
	}
	role := "master"
	if s.srv.primary != "" {
		role = "replica"
	}
	s.w.array(14)
	for _, kv := range [][2]string{{"server", "redis"}, {"version", respVersion}} {
		s.w.bulkString(kv[0])
		s.w.bulkString(kv[1])
	}
	s.w.bulkString("proto")
	s.w.int(2)
	s.w.bulkString("id")
	s.w.int(s.id)
	for _, kv := range [][2]string{{"mode", "standalone"}, {"role", role}} {
		s.w.bulkString(kv[0])
		s.w.bulkString(kv[1])
	}
	s.w.bulkString("modules")
	s.w.array(0)
}

func cmdAuth(s *respSession, _ *respStore, _ [][]byte) {
	s.w.err("ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?")
}

func cmdInfo(s *respSession, st *respStore, a [][]byte) {
	want := map[string]bool{}
	for _, sec := range a[1:] {
		want[strings.ToLower(string(sec))] = true
	}
	all := len(want) == 0 || want["all"] || want["everything"] || want["default"]
	var b strings.Builder
	section := func(name string, lines ...string) {
		if !all && !want[strings.ToLower(name)] {
			return
		}
		if b.Len() > 0 {
			b.WriteString("\r\n")
		}
		b.WriteString("# " + name + "\r\n")
		for _, l := range lines {
			b.WriteString(l + "\r\n")
		}
	}
	srv := s.srv
	section("Server",
		"redis_version:"+respVersion,
		"redis_mode:standalone",
		"stagecraft_embedded:1",
		"process_id:"+strconv.Itoa(os.Getpid()),
		"tcp_port:"+strconv.Itoa(srv.port()),
		"uptime_in_seconds:"+strconv.FormatInt(int64(time.Since(srv.started).Seconds()), 10))
	srv.mu.Lock()
	clients := len(srv.conns)
	srv.mu.Unlock()
	section("Clients", "connected_clients:"+strconv.Itoa(clients))
	section("Memory",
		"used_memory:"+strconv.FormatInt(st.used, 10),
		"used_memory_human:"+respHumanBytes(st.used),
		"maxmemory:"+strconv.FormatInt(st.maxmemory, 10),
		"maxmemory_human:"+respHumanBytes(st.maxmemory),
		"maxmemory_policy:"+st.policy)
	section("Persistence",
		"rdb_changes_since_last_save:"+strconv.FormatInt(st.dirty, 10),
		"rdb_last_save_time:"+strconv.FormatInt(st.lastSave.Unix(), 10))
	section("Stats",
		"total_connections_received:"+strconv.FormatInt(st.stats.connections, 10),
		"total_commands_processed:"+strconv.FormatInt(st.stats.commands, 10),
		"expired_keys:"+strconv.FormatInt(st.stats.expired, 10),
		"evicted_keys:"+strconv.FormatInt(st.stats.evicted, 10),
		"keyspace_hits:"+strconv.FormatInt(st.stats.hits, 10),
		"keyspace_misses:"+strconv.FormatInt(st.stats.misses, 10))
	if srv.primary != "" {
		host, port, _ := net.SplitHostPort(srv.primary)
		section("Replication", "role:slave", "master_host:"+host, "master_port:"+port, "master_link_status:up")
	} else {
		section("Replication", "role:master")
	}
	var ks []string
	if len(st.keys) > 0 {
		ks = append(ks, fmt.Sprintf("db0:keys=%d,expires=%d,avg_ttl=0", len(st.keys), st.volatile))
	}
	section("Keyspace", ks...)
	s.w.bulkString(b.String())
}

func respHumanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.2fG", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.2fM", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.2fK", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%dB", n)
}

// respConfig lists the settings CONFIG GET reports.
func respConfig(s *respSession, st *respStore) [][2]string {
	return [][2]string{
		{"maxmemory", strconv.FormatInt(st.maxmemory, 10)},
		{"maxmemory-policy", st.policy},
		{"databases", "1"},
		{"appendonly", "no"},
		{"save", "60 1"},
		{"bind", "127.0.0.1"},
		{"port", strconv.Itoa(s.srv.port())},
	}
}

func cmdConfig(s *respSession, st *respStore, a [][]byte) {
	switch strings.ToLower(string(a[1])) {
	case "get":
		if len(a) < 3 {
			s.w.err("ERR wrong number of arguments for 'config|get' command")
			return
		}
		var out [][2]string
		for _, kv := range respConfig(s, st) {
			for _, p := range a[2:] {
				if globMatch(strings.ToLower(string(p)), kv[0]) {
					out = append(out, kv)
					break
				}
			}
		}
		s.w.array(2 * len(out))
		for _, kv := range out {
			s.w.bulkString(kv[0])
			s.w.bulkString(kv[1])
		}
	case "set":
		if len(a) < 4 || len(a)%2 != 0 {
			s.w.err("ERR wrong number of arguments for 'config|set' command")
			return
		}
		maxmemory, policy := st.maxmemory, st.policy
		for i := 2; i+1 < len(a); i += 2 {
			name, val := strings.ToLower(string(a[i])), string(a[i+1])
			switch name {
			case "maxmemory":
				n, ok := parseMemory(val)
				if !ok {
					s.w.err(fmt.Sprintf("ERR CONFIG SET failed (possibly related to argument '%s') - argument must be a memory value", name))
					return
				}
				maxmemory = n
			case "maxmemory-policy":
				val = strings.ToLower(val)
				if !slices.Contains(respPolicies, val) {
					s.w.err(fmt.Sprintf("ERR CONFIG SET failed (possibly related to argument '%s') - argument(s) must be one of the following: %s", name, strings.Join(respPolicies, ", ")))
					return
				}
				policy = val
			default:
				s.w.err(fmt.Sprintf("ERR Unknown option or number of arguments for CONFIG SET - '%s'", a[i]))
				return
			}
		}
		st.maxmemory, st.policy = maxmemory, policy
		st.makeRoom()
		s.w.simple("OK")
	case "resetstat":
		st.stats = respStats{}
		s.w.simple("OK")
	case "rewrite":
		s.w.simple("OK") // the settings live in the stack, not a file
	default:
		s.w.err(fmt.Sprintf("ERR unknown subcommand '%s'. Try CONFIG HELP.", a[1]))
	}
}

func cmdType(s *respSession, st *respStore, a [][]byte) {
	e := st.lookup(string(a[1]))
	if e == nil {
		s.w.simple("none")
		return
	}
	s.w.simple(e.kind)
}

func cmdSave(s *respSession, st *respStore, a [][]byte) {
	if st.file == "" {
		s.w.err("ERR this embedded server keeps no dump")
		return
	}
	// save takes the lock itself; release it around the write.
	st.mu.Unlock()
	err := st.save()
	st.mu.Lock()
	if err != nil {
		s.w.err("ERR " + err.Error())
		return
	}
	if strings.EqualFold(string(a[0]), "bgsave") {
		s.w.simple("Background saving started")
		return
	}
	s.w.simple("OK")
}

// stringAt returns the string value of key: found false when there is
// none, or ok false (after replying WRONGTYPE) when key holds another type.
func stringAt(s *respSession, st *respStore, key string) (val []byte, found, ok bool) {
	e := st.lookup(key)
	if e == nil {
		st.stats.misses++
		return nil, false, true
	}
	if e.kind != respString {
		s.w.err(errWrongType)
		return nil, true, false
	}
	st.stats.hits++
	return e.str, true, true
}

func cmdGet(s *respSession, st *respStore, a [][]byte) {
	v, found, ok := stringAt(s, st, string(a[1]))
	switch {
	case !ok:
	case !found:
		s.w.null()
	default:
		s.w.bulk(v)
	}
}

// cmdSet implements SET key value [NX|XX] [GET] [EX s|PX ms|EXAT t|PXAT t|KEEPTTL].
func cmdSet(s *respSession, st *respStore, a [][]byte) {
	key := string(a[1])
	var nx, xx, get, keepTTL bool
	var expireAt int64
	expirySet := false
	for i := 3; i < len(a); i++ {
		opt := strings.ToLower(string(a[i]))
		switch opt {
		case "nx":
			nx = true
		case "xx":
			xx = true
		case "get":
			get = true
		case "keepttl":
			keepTTL = true
		case "ex", "px", "exat", "pxat":
			if expirySet || i+1 >= len(a) {
				s.w.err(errSyntax)
				return
			}
			i++
			n, err := strconv.ParseInt(string(a[i]), 10, 64)
			if err != nil {
				s.w.err(errNotInt)
				return
			}
			if n <= 0 {
				s.w.err("ERR invalid expire time in 'set' command")
				return
			}
			switch opt {
			case "ex":
				expireAt = nowMillis() + n*1000
			case "px":
				expireAt = nowMillis() + n
			case "exat":
				expireAt = n * 1000
			case "pxat":
				expireAt = n
			}
			expirySet = true
		default:
			s.w.err(errSyntax)
			return
		}
	}
	if (nx && xx) || (keepTTL && expirySet) {
		s.w.err(errSyntax)
		return
	}
	old := st.lookup(key)
	if get && old != nil && old.kind != respString {
		s.w.err(errWrongType)
		return
	}
	reply := func(done bool) {
		switch {
		case get && old != nil:
			s.w.bulk(old.str)
		case get, !done:
			s.w.null()
		default:
			s.w.simple("OK")
		}
	}
	if (nx && old != nil) || (xx && old == nil) {
		reply(false)
		return
	}
	if keepTTL && old != nil {
		expireAt = old.expireAt
	}
	st.put(key, &respEntry{kind: respString, str: a[2], expireAt: expireAt})
	reply(true)
}

func cmdSetNX(s *respSession, st *respStore, a [][]byte) {
	if st.lookup(string(a[1])) != nil {
		s.w.int(0)
		return
	}
	st.put(string(a[1]), &respEntry{kind: respString, str: a[2]})
	s.w.int(1)
}

// cmdSetEX implements SETEX key seconds value and PSETEX key ms value.
func cmdSetEX(s *respSession, st *respStore, a [][]byte) {
	n, err := strconv.ParseInt(string(a[2]), 10, 64)
	if err != nil {
		s.w.err(errNotInt)
		return
	}
	if n <= 0 {
		s.w.err(fmt.Sprintf("ERR invalid expire time in '%s' command", strings.ToLower(string(a[0]))))
		return
	}
	if strings.EqualFold(string(a[0]), "setex") {
		n *= 1000
	}
	st.put(string(a[1]), &respEntry{kind: respString, str: a[3], expireAt: nowMillis() + n})
	s.w.simple("OK")
}

func cmdMGet(s *respSession, st *respStore, a [][]byte) {
	s.w.array(len(a) - 1)
	for _, k := range a[1:] {
		e := st.lookup(string(k))
		if e == nil || e.kind != respString {
			st.stats.misses++
			s.w.null()
			continue
		}
		st.stats.hits++
		s.w.bulk(e.str)
	}
}

func cmdMSet(s *respSession, st *respStore, a [][]byte) {
	if len(a)%2 != 1 {
		s.w.err("ERR wrong number of arguments for 'mset' command")
		return
	}
	for i := 1; i+1 < len(a); i += 2 {
		st.put(string(a[i]), &respEntry{kind: respString, str: a[i+1]})
	}
	s.w.simple("OK")
}

func cmdDel(s *respSession, st *respStore, a [][]byte) {
	var n int64
	for _, k := range a[1:] {
		if st.lookup(string(k)) != nil {
			st.remove(string(k))
			n++
		}
	}
	s.w.int(n)
}

func cmdExists(s *respSession, st *respStore, a [][]byte) {
	var n int64
	for _, k := range a[1:] {
		if st.lookup(string(k)) != nil {
			n++
		}
	}
	s.w.int(n)
}

// cmdIncr implements INCR, DECR, INCRBY and DECRBY.
func cmdIncr(s *respSession, st *respStore, a [][]byte) {
	name := strings.ToLower(string(a[0]))
	by := int64(1)
	if len(a) == 3 {
		n, err := strconv.ParseInt(string(a[2]), 10, 64)
		if err != nil {
			s.w.err(errNotInt)
			return
		}
		by = n
	}
	if strings.HasPrefix(name, "decr") {
		if by == math.MinInt64 {
			s.w.err("ERR decrement would overflow")
			return
		}
		by = -by
	}
	key := string(a[1])
	cur, found, ok := stringAt(s, st, key)
	if !ok {
		return
	}
	var n int64
	if found {
		v, err := strconv.ParseInt(string(cur), 10, 64)
		if err != nil {
			s.w.err(errNotInt)
			return
		}
		n = v
	}
	if (by > 0 && n > math.MaxInt64-by) || (by < 0 && n < math.MinInt64-by) {
		s.w.err("ERR increment or decrement would overflow")
		return
	}
	n += by
	var expireAt int64
	if e := st.keys[key]; e != nil {
		expireAt = e.expireAt // INCR keeps the key's expiry
	}
	st.put(key, &respEntry{kind: respString, str: []byte(strconv.FormatInt(n, 10)), expireAt: expireAt})
	s.w.int(n)
}

// cmdExpire implements EXPIRE key seconds and PEXPIRE key ms (the NX/XX/GT/LT
// options included).
func cmdExpire(s *respSession, st *respStore, a [][]byte) {
	n, err := strconv.ParseInt(string(a[2]), 10, 64)
	if err != nil {
		s.w.err(errNotInt)
		return
	}
	var nx, xx, gt, lt bool
	for _, o := range a[3:] {
		switch strings.ToLower(string(o)) {
		case "nx":
			nx = true
		case "xx":
			xx = true
		case "gt":
			gt = true
		case "lt":
			lt = true
		default:
			s.w.err("ERR Unsupported option " + string(o))
			return
		}
	}
	e := st.lookup(string(a[1]))
	if e == nil {
		s.w.int(0)
		return
	}
	if strings.EqualFold(string(a[0]), "expire") {
		if n > math.MaxInt64/1000 || n < math.MinInt64/1000 {
			s.w.err("ERR invalid expire time in 'expire' command")
			return
		}
		n *= 1000
	}
	at := nowMillis() + n
	cur := e.expireAt
	if (nx && cur != 0) || (xx && cur == 0) || (gt && (cur == 0 || at <= cur)) || (lt && cur != 0 && at >= cur) {
		s.w.int(0)
		return
	}
	if n <= 0 {
		st.remove(string(a[1]))
		s.w.int(1)
		return
	}
	st.setExpiry(e, at)
	s.w.int(1)
}

func cmdPersist(s *respSession, st *respStore, a [][]byte) {
	e := st.lookup(string(a[1]))
	if e == nil || e.expireAt == 0 {
		s.w.int(0)
		return
	}
	st.setExpiry(e, 0)
	s.w.int(1)
}

// cmdTTL implements TTL (seconds, rounded) and PTTL.
func cmdTTL(s *respSession, st *respStore, a [][]byte) {
	e := st.lookup(string(a[1]))
	switch {
	case e == nil:
		s.w.int(-2)
	case e.expireAt == 0:
		s.w.int(-1)
	default:
		ms := max(e.expireAt-nowMillis(), 0)
		if strings.EqualFold(string(a[0]), "ttl") {
			s.w.int((ms + 500) / 1000)
			return
		}
		s.w.int(ms)
	}
}

func cmdKeys(s *respSession, st *respStore, a [][]byte) {
	pattern := string(a[1])
	var out []string
	now := nowMillis()
	for k, e := range st.keys {
		if e.expireAt > 0 && now >= e.expireAt {
			continue
		}
		if globMatch(pattern, k) {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	s.w.array(len(out))
	for _, k := range out {
		s.w.bulkString(k)
	}
}

func cmdFlush(s *respSession, st *respStore, a [][]byte) {
	for _, o := range a[1:] {
		if o := strings.ToLower(string(o)); o != "async" && o != "sync" {
			s.w.err(errSyntax)
			return
		}
	}
	st.keys = map[string]*respEntry{}
	st.used, st.volatile = 0, 0
	st.dirty++
	s.w.simple("OK")
}

// container returns the entry of key if it has the given kind: nil with ok
// when there is none, ok false (after replying WRONGTYPE) when it holds
// another kind.
func container(s *respSession, st *respStore, key, kind string) (*respEntry, bool) {
	e := st.lookup(key)
	if e == nil {
		return nil, true
	}
	if e.kind != kind {
		s.w.err(errWrongType)
		return nil, false
	}
	return e, true
}

func cmdHSet(s *respSession, st *respStore, a [][]byte) {
	if len(a)%2 != 0 {
		s.w.err(fmt.Sprintf("ERR wrong number of arguments for '%s' command", strings.ToLower(string(a[0]))))
		return
	}
	key := string(a[1])
	e, ok := container(s, st, key, respHash)
	if !ok {
		return
	}
	if e == nil {
		e = &respEntry{kind: respHash, hash: map[string][]byte{}}
		st.put(key, e)
	}
	var added int64
	for i := 2; i+1 < len(a); i += 2 {
		f, v := string(a[i]), a[i+1]
		delta := int64(len(v))
		if old, ok := e.hash[f]; ok {
			delta -= int64(len(old))
		} else {
			delta += respElemOverhead + int64(len(f))
			added++
		}
		e.hash[f] = v
		st.grow(e, delta)
	}
	if strings.EqualFold(string(a[0]), "hmset") {
		s.w.simple("OK")
		return
	}
	s.w.int(added)
}

func cmdHGet(s *respSession, st *respStore, a [][]byte) {
	e, ok := container(s, st, string(a[1]), respHash)
	if !ok {
		return
	}
	if e == nil {
		st.stats.misses++
		s.w.null()
		return
	}
	v, found := e.hash[string(a[2])]
	if !found {
		st.stats.misses++
		s.w.null()
		return
	}
	st.stats.hits++
	s.w.bulk(v)
}

func cmdHGetAll(s *respSession, st *respStore, a [][]byte) {
	e, ok := container(s, st, string(a[1]), respHash)
	if !ok {
		return
	}
	if e == nil {
		s.w.array(0)
		return
	}
	fields := make([]string, 0, len(e.hash))
	for f := range e.hash {
		fields = append(fields, f)
	}
	sort.Strings(fields)
	s.w.array(2 * len(fields))
	for _, f := range fields {
		s.w.bulkString(f)
		s.w.bulk(e.hash[f])
	}
}

func cmdHDel(s *respSession, st *respStore, a [][]byte) {
	key := string(a[1])
	e, ok := container(s, st, key, respHash)
	if !ok {
		return
	}
	if e == nil {
		s.w.int(0)
		return
	}
	var n int64
	for _, f := range a[2:] {
		if v, found := e.hash[string(f)]; found {
			delete(e.hash, string(f))
			st.grow(e, -(respElemOverhead + int64(len(f)+len(v))))
			n++
		}
	}
	if len(e.hash) == 0 {
		st.remove(key)
	}
	s.w.int(n)
}

func cmdHLen(s *respSession, st *respStore, a [][]byte) {
	e, ok := container(s, st, string(a[1]), respHash)
	if !ok {
		return
	}
	if e == nil {
		s.w.int(0)
		return
	}
	s.w.int(int64(len(e.hash)))
}

func cmdHExists(s *respSession, st *respStore, a [][]byte) {
	e, ok := container(s, st, string(a[1]), respHash)
	if !ok {
		return
	}
	if e == nil {
		s.w.int(0)
		return
	}
	if _, found := e.hash[string(a[2])]; found {
		s.w.int(1)
		return
	}
	s.w.int(0)
}

// cmdPush implements LPUSH and RPUSH.
func cmdPush(s *respSession, st *respStore, a [][]byte) {
	key := string(a[1])
	e, ok := container(s, st, key, respList)
	if !ok {
		return
	}
	if e == nil {
		e = &respEntry{kind: respList}
		st.put(key, e)
	}
	left := strings.EqualFold(string(a[0]), "lpush")
	for _, v := range a[2:] {
		if left {
			e.list = append([][]byte{v}, e.list...)
		} else {
			e.list = append(e.list, v)
		}
		st.grow(e, respElemOverhead+int64(len(v)))
	}
	s.w.int(int64(len(e.list)))
}

// cmdPop implements LPOP and RPOP, with an optional count.
func cmdPop(s *respSession, st *respStore, a [][]byte) {
	if len(a) > 3 {
		s.w.err(fmt.Sprintf("ERR wrong number of arguments for '%s' command", strings.ToLower(string(a[0]))))
		return
	}
	count, withCount := 1, len(a) == 3
	if withCount {
		n, err := strconv.Atoi(string(a[2]))
		if err != nil || n < 0 {
			s.w.err("ERR value is out of range, must be positive")
			return
		}
		count = n
	}
	key := string(a[1])
	e, ok := container(s, st, key, respList)
	if !ok {
		return
	}
	if e == nil {
		if withCount {
			s.w.nullArray()
		} else {
			s.w.null()
		}
		return
	}
	count = min(count, len(e.list))
	var out [][]byte
	if strings.EqualFold(string(a[0]), "lpop") {
		out = append(out, e.list[:count]...)
		e.list = e.list[count:]
	} else {
		for i := 0; i < count; i++ {
			out = append(out, e.list[len(e.list)-1-i])
		}
		e.list = e.list[:len(e.list)-count]
	}
	for _, v := range out {
		st.grow(e, -(respElemOverhead + int64(len(v))))
	}
	if len(e.list) == 0 {
		st.remove(key)
	}
	if !withCount {
		s.w.bulk(out[0])
		return
	}
	s.w.array(len(out))
	for _, v := range out {
		s.w.bulk(v)
	}
}

func cmdLRange(s *respSession, st *respStore, a [][]byte) {
	start, err1 := strconv.Atoi(string(a[2]))
	stop, err2 := strconv.Atoi(string(a[3]))
	if err1 != nil || err2 != nil {
		s.w.err(errNotInt)
		return
	}
	e, ok := container(s, st, string(a[1]), respList)
	if !ok {
		return
	}
	if e == nil {
		s.w.array(0)
		return
	}
	n := len(e.list)
	if start < 0 {
		start = max(n+start, 0)
	}
	if stop < 0 {
		stop = n + stop
	}
	stop = min(stop, n-1)
	if start > stop || start >= n {
		s.w.array(0)
		return
	}
	s.w.array(stop - start + 1)
	for _, v := range e.list[start : stop+1] {
		s.w.bulk(v)
	}
}

func cmdLLen(s *respSession, st *respStore, a [][]byte) {
	e, ok := container(s, st, string(a[1]), respList)
	if !ok {
		return
	}
	if e == nil {
		s.w.int(0)
		return
	}
	s.w.int(int64(len(e.list)))
}
