package local

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// newTestRESP starts an embedded server on a loopback port with its dump
// in a temporary directory, closed (without saving) at the end.
func newTestRESP(t *testing.T, maxmemory int64, policy string) (*respServer, *respStore, *redis.Client) {
	t.Helper()
	st, err := newRESPStore(filepath.Join(t.TempDir(), embeddedDump), maxmemory, policy)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := newRESPServer("127.0.0.1:0", st, "")
	if err != nil {
		t.Fatal(err)
	}
	rc := redis.NewClient(&redis.Options{Addr: srv.addr(), MaxRetries: -1})
	t.Cleanup(func() {
		rc.Close()
		srv.close()
		_ = st.close(false)
	})
	return srv, st, rc
}

func cacheTestContext(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), d)
	t.Cleanup(cancel)
	return ctx
}

// TestRESPServerCommands drives the embedded server with go-redis, the
// client most Go applications use, so the handshake (HELLO 3 refused,
// RESP2 fallback) and replies are what such a client expects.
func TestRESPServerCommands(t *testing.T) {
	t.Parallel()
	ctx := cacheTestContext(t, 20*time.Second)
	_, _, rc := newTestRESP(t, 0, "noeviction")

	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(rc.Set(ctx, "greeting", "hello", 0).Err())
	if got := rc.Get(ctx, "greeting").Val(); got != "hello" {
		t.Errorf("GET greeting = %q, want hello", got)
	}
	if err := rc.Get(ctx, "missing").Err(); err != redis.Nil {
		t.Errorf("GET missing: err %v, want redis.Nil", err)
	}
	if ok := rc.SetNX(ctx, "greeting", "again", 0).Val(); ok {
		t.Error("SET NX on an existing key succeeded")
	}
	if ok := rc.SetXX(ctx, "nobody", "x", 0).Val(); ok {
		t.Error("SET XX on a missing key succeeded")
	}
	if got := rc.SetArgs(ctx, "greeting", "bye", redis.SetArgs{Get: true}).Val(); got != "hello" {
		t.Errorf("SET GET returned %q, want the old value hello", got)
	}
	if n := rc.Incr(ctx, "counter").Val(); n != 1 {
		t.Errorf("INCR of a new key = %d, want 1", n)
	}
	if n := rc.IncrBy(ctx, "counter", 41).Val(); n != 42 {
		t.Errorf("INCRBY 41 = %d, want 42", n)
	}
	if n := rc.Decr(ctx, "counter").Val(); n != 41 {
		t.Errorf("DECR = %d, want 41", n)
	}
	if err := rc.Incr(ctx, "greeting").Err(); err == nil || !strings.Contains(err.Error(), "not an integer") {
		t.Errorf("INCR of a non-number: %v, want the 'not an integer' error", err)
	}
	must(rc.Expire(ctx, "counter", 100*time.Second).Err())
	if ttl := rc.TTL(ctx, "counter").Val(); ttl < 99*time.Second || ttl > 100*time.Second {
		t.Errorf("TTL after EXPIRE 100 = %s", ttl)
	}
	if ttl := rc.TTL(ctx, "greeting").Val(); ttl != -1 {
		t.Errorf("TTL of a key without expiry = %v, want -1", ttl)
	}
	must(rc.Set(ctx, "brief", "x", 50*time.Millisecond).Err())
	time.Sleep(120 * time.Millisecond)
	if n := rc.Exists(ctx, "brief").Val(); n != 0 {
		t.Error("a key set with PX 50 still exists after 120 ms")
	}
	must(rc.MSet(ctx, "a", "1", "b", "2").Err())
	if got := rc.MGet(ctx, "a", "nope", "b").Val(); fmt.Sprint(got) != "[1 <nil> 2]" {
		t.Errorf("MGET = %v", got)
	}
	if got := rc.Keys(ctx, "[ab]").Val(); fmt.Sprint(got) != "[a b]" {
		t.Errorf("KEYS [ab] = %v", got)
	}
	must(rc.HSet(ctx, "user:1", "name", "ada", "lang", "go").Err())
	if got := rc.HGetAll(ctx, "user:1").Val(); got["name"] != "ada" || got["lang"] != "go" || len(got) != 2 {
		t.Errorf("HGETALL = %v", got)
	}
	if n := rc.HDel(ctx, "user:1", "lang", "none").Val(); n != 1 {
		t.Errorf("HDEL removed %d fields, want 1", n)
	}
	if err := rc.Get(ctx, "user:1").Err(); err == nil || !strings.HasPrefix(err.Error(), "WRONGTYPE") {
		t.Errorf("GET of a hash: %v, want WRONGTYPE", err)
	}
	must(rc.RPush(ctx, "queue", "b", "c").Err())
	must(rc.LPush(ctx, "queue", "a").Err())
	if got := rc.LRange(ctx, "queue", 0, -1).Val(); fmt.Sprint(got) != "[a b c]" {
		t.Errorf("LRANGE 0 -1 = %v", got)
	}
	if got := rc.LPop(ctx, "queue").Val(); got != "a" {
		t.Errorf("LPOP = %q", got)
	}
	if got := rc.RPop(ctx, "queue").Val(); got != "c" {
		t.Errorf("RPOP = %q", got)
	}
	if n := rc.Del(ctx, "queue", "a", "nope").Val(); n != 2 {
		t.Errorf("DEL removed %d keys, want 2", n)
	}
	must(rc.Do(ctx, "CLIENT", "SETNAME", "tester").Err())
	must(rc.Do(ctx, "SELECT", "0").Err())
	if err := rc.Do(ctx, "SELECT", "1").Err(); err == nil {
		t.Error("SELECT 1 succeeded; the embedded server has one database")
	}
	if got := rc.Echo(ctx, "hi").Val(); got != "hi" {
		t.Errorf("ECHO = %q", got)
	}
	if err := rc.Do(ctx, "NOSUCH").Err(); err == nil || !strings.Contains(err.Error(), "unknown command") {
		t.Errorf("an unknown command: %v", err)
	}
	must(rc.FlushAll(ctx).Err())
	if n := rc.DBSize(ctx).Val(); n != 0 {
		t.Errorf("DBSIZE after FLUSHALL = %d", n)
	}
}

// TestRESPServerMaxmemory checks the memory limit: an evicting policy keeps
// the store within it; noeviction refuses writes with redis's OOM error;
// CONFIG SET changes both.
func TestRESPServerMaxmemory(t *testing.T) {
	t.Parallel()
	ctx := cacheTestContext(t, 20*time.Second)
	_, st, rc := newTestRESP(t, 1<<20, "allkeys-lru")
	value := strings.Repeat("v", 1000)
	for i := 0; i < 3000; i++ { // about 3 MB into 1 MB
		if err := rc.Set(ctx, fmt.Sprintf("key:%d", i), value, 0).Err(); err != nil {
			t.Fatalf("SET %d under allkeys-lru: %v", i, err)
		}
	}
	st.mu.Lock()
	used, keys, evicted := st.used, len(st.keys), st.stats.evicted
	st.mu.Unlock()
	if used > 1<<20+2000 {
		t.Errorf("used %d bytes with maxmemory 1 MiB under allkeys-lru", used)
	}
	if evicted == 0 || keys >= 3000 {
		t.Errorf("%d keys kept and %d evicted; the limit was not enforced", keys, evicted)
	}
	if got := rc.Get(ctx, "key:2999").Val(); got != value {
		t.Error("the most recently written key was evicted")
	}
	if got := rc.ConfigGet(ctx, "maxmemory*").Val(); got["maxmemory"] != "1048576" || got["maxmemory-policy"] != "allkeys-lru" {
		t.Errorf("CONFIG GET maxmemory* = %v", got)
	}
	if err := rc.ConfigSet(ctx, "maxmemory-policy", "noeviction").Err(); err != nil {
		t.Fatal(err)
	}
	var oom error
	for i := 0; i < 3000 && oom == nil; i++ {
		oom = rc.Set(ctx, fmt.Sprintf("more:%d", i), value, 0).Err()
	}
	if oom == nil || !strings.HasPrefix(oom.Error(), "OOM ") {
		t.Errorf("writing past maxmemory under noeviction: %v, want the OOM error", oom)
	}
	if err := rc.Get(ctx, "key:2999").Err(); err != nil {
		t.Errorf("reads must still work when full: %v", err)
	}
	if err := rc.ConfigSet(ctx, "maxmemory-policy", "lru").Err(); err == nil {
		t.Error("CONFIG SET maxmemory-policy lru succeeded; it is not a policy")
	}
	if err := rc.ConfigSet(ctx, "maxmemory", "64mb").Err(); err != nil {
		t.Fatal(err)
	}
	if err := rc.Set(ctx, "fits", "now", 0).Err(); err != nil {
		t.Errorf("SET after raising maxmemory: %v", err)
	}
	if info := rc.Info(ctx, "memory").Val(); !strings.Contains(info, "maxmemory:67108864") {
		t.Errorf("INFO memory does not show the new limit:\n%s", info)
	}
}

// TestRESPServerVolatilePolicy checks that a volatile policy evicts only
// keys with an expiry and refuses writes when there are none.
func TestRESPServerVolatilePolicy(t *testing.T) {
	t.Parallel()
	ctx := cacheTestContext(t, 20*time.Second)
	_, _, rc := newTestRESP(t, 100<<10, "volatile-ttl")
	value := strings.Repeat("v", 1000)
	for i := 0; i < 50; i++ {
		if err := rc.Set(ctx, fmt.Sprintf("keep:%d", i), value, 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 200; i++ {
		if err := rc.Set(ctx, fmt.Sprintf("temp:%d", i), value, time.Hour).Err(); err != nil {
			t.Fatalf("SET temp:%d: %v", i, err)
		}
	}
	if n := len(rc.Keys(ctx, "keep:*").Val()); n != 50 {
		t.Errorf("%d of 50 keys without expiry are left; volatile-ttl may only evict keys with one", n)
	}
	var oom error
	for i := 0; i < 500 && oom == nil; i++ {
		oom = rc.Set(ctx, fmt.Sprintf("more:%d", i), value, 0).Err()
	}
	if oom == nil || !strings.HasPrefix(oom.Error(), "OOM ") {
		t.Errorf("with no volatile key left to evict, SET: %v, want the OOM error", oom)
	}
}

// TestRESPStorePersistence checks that a dump brings back every type,
// binary values and expiries, and drops expired keys.
func TestRESPStorePersistence(t *testing.T) {
	t.Parallel()
	ctx := cacheTestContext(t, 20*time.Second)
	file := filepath.Join(t.TempDir(), embeddedDump)
	st, err := newRESPStore(file, 0, "allkeys-lru")
	if err != nil {
		t.Fatal(err)
	}
	srv, err := newRESPServer("127.0.0.1:0", st, "")
	if err != nil {
		t.Fatal(err)
	}
	rc := redis.NewClient(&redis.Options{Addr: srv.addr()})
	binary := "\x00\xff\xfe bytes"
	for _, err := range []error{
		rc.Set(ctx, "bin", binary, 0).Err(),
		rc.Set(ctx, "ttl", "x", time.Hour).Err(),
		rc.Set(ctx, "soon", "x", 30*time.Millisecond).Err(),
		rc.HSet(ctx, "h", "f", binary).Err(),
		rc.RPush(ctx, "l", "1", "2").Err(),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	rc.Close()
	srv.close()
	time.Sleep(50 * time.Millisecond)
	if err := st.close(true); err != nil {
		t.Fatal(err)
	}

	st2, err := newRESPStore(file, 0, "allkeys-lru")
	if err != nil {
		t.Fatal(err)
	}
	srv2, err := newRESPServer("127.0.0.1:0", st2, "")
	if err != nil {
		t.Fatal(err)
	}
	rc2 := redis.NewClient(&redis.Options{Addr: srv2.addr()})
	t.Cleanup(func() { rc2.Close(); srv2.close(); _ = st2.close(false) })
	if got := rc2.Get(ctx, "bin").Val(); got != binary {
		t.Errorf("binary value after reload = %q, want %q", got, binary)
	}
	if got := rc2.HGet(ctx, "h", "f").Val(); got != binary {
		t.Errorf("hash field after reload = %q", got)
	}
	if got := rc2.LRange(ctx, "l", 0, -1).Val(); fmt.Sprint(got) != "[1 2]" {
		t.Errorf("list after reload = %v", got)
	}
	if ttl := rc2.TTL(ctx, "ttl").Val(); ttl < 59*time.Minute {
		t.Errorf("TTL after reload = %s, want about an hour", ttl)
	}
	if n := rc2.Exists(ctx, "soon").Val(); n != 0 {
		t.Error("a key that expired before the dump came back")
	}
}

// TestRESPServerRawProtocol speaks the protocol by hand: inline commands
// (nc, telnet), pipelining, and a replica refusing writes.
func TestRESPServerRawProtocol(t *testing.T) {
	t.Parallel()
	srv, st, _ := newTestRESP(t, 0, "noeviction")
	replica, err := newRESPServer("127.0.0.1:0", st, srv.addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(replica.close)

	talk := func(addr, send string, replies int) []string {
		t.Helper()
		conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := conn.Write([]byte(send)); err != nil {
			t.Fatal(err)
		}
		r := newRESPReader(bufio.NewReader(conn))
		var out []string
		for i := 0; i < replies; i++ {
			v, err := r.readValue()
			if err != nil {
				t.Fatalf("reply %d to %q: %v", i, send, err)
			}
			out = append(out, fmt.Sprintf("%s", v))
		}
		return out
	}
	got := talk(srv.addr(), "PING\r\nSET k v\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n", 3)
	if want := "[PONG OK v]"; fmt.Sprint(got) != want {
		t.Errorf("inline and pipelined commands answered %v, want %s", got, want)
	}
	got = talk(replica.addr(), "GET k\r\nSET k w\r\nINFO replication\r\n", 3)
	if got[0] != "v" || !strings.HasPrefix(got[1], "READONLY") || !strings.Contains(got[2], "master_link_status:up") {
		t.Errorf("the replica answered %q; it must read its primary's keys, refuse writes and report its link", got)
	}
	got = talk(srv.addr(), "*1\r\n$abc\r\n", 1)
	if !strings.HasPrefix(got[0], "ERR Protocol error") {
		t.Errorf("a malformed command got %q, want a protocol error", got[0])
	}
}

func TestGlobMatch(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		pattern, s string
		want       bool
	}{
		"star":              {"user:*", "user:42", true},
		"star empty":        {"user:*", "user:", true},
		"star crosses /":    {"a*c", "a/b/c", true},
		"star no match":     {"user:*", "session:1", false},
		"question":          {"h?llo", "hello", true},
		"question too long": {"h?llo", "heello", false},
		"class":             {"h[ae]llo", "hallo", true},
		"class miss":        {"h[ae]llo", "hillo", false},
		"negated class":     {"h[^e]llo", "hallo", true},
		"negated miss":      {"h[^e]llo", "hello", false},
		"range":             {"key[0-9]", "key7", true},
		"range miss":        {"key[0-9]", "keyx", false},
		"escaped star":      {`a\*b`, "a*b", true},
		"escaped miss":      {`a\*b`, "axb", false},
		"many stars":        {"*a*b*", "xxaxxbxx", true},
		"backtrack":         {"*ab", "aab", true},
		"exact":             {"abc", "abc", true},
		"all":               {"*", "", true},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if got := globMatch(tt.pattern, tt.s); got != tt.want {
				t.Errorf("globMatch(%q, %q) = %v, want %v", tt.pattern, tt.s, got, tt.want)
			}
		})
	}
}

func TestParseMemory(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		in   string
		want int64
		ok   bool
	}{
		"bytes":     {"1024", 1024, true},
		"mb":        {"64mb", 64 << 20, true},
		"upper":     {"1GB", 1 << 30, true},
		"decimal m": {"2m", 2000000, true},
		"kb":        {"10kb", 10 << 10, true},
		"negative":  {"-1", 0, false},
		"junk":      {"lots", 0, false},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, ok := parseMemory(tt.in)
			if got != tt.want || ok != tt.ok {
				t.Errorf("parseMemory(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
			}
		})
	}
}
