package local

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"
)

// respServer is the embedded Redis-protocol server the cache unit runs when
// redis-server is not installed: enough of Redis for an application that
// caches strings, counters, hashes and lists (see respCommands), over RESP2
// on one loopback port. A replica shares its primary's store and refuses
// writes, as a redis-server replica does.
type respServer struct {
	ln      net.Listener
	store   *respStore
	primary string // host:port of the primary; empty for a primary
	started time.Time

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	nextID int64
	closed bool
	wg     sync.WaitGroup
}

// respVersion is the Redis version the embedded server claims to be, for
// clients that check it.
const respVersion = "7.0.0"

// newRESPServer serves store on addr (127.0.0.1:port). primary names the
// primary of a replica.
func newRESPServer(addr string, store *respStore, primary string) (*respServer, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	s := &respServer{ln: ln, store: store, primary: primary, started: time.Now(), conns: map[net.Conn]struct{}{}}
	s.wg.Add(1)
	go s.serve()
	return s, nil
}

// addr is the host:port the server listens on.
func (s *respServer) addr() string { return s.ln.Addr().String() }

// port is the port the server listens on.
func (s *respServer) port() int { return s.ln.Addr().(*net.TCPAddr).Port }

// close stops listening and drops every client. The store stays open.
func (s *respServer) close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	s.ln.Close()
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

func (s *respServer) serve() {
	defer s.wg.Done()
	for {
		conn, err := s.ln.Accept()
		if err != nil {
			s.mu.Lock()
			closed := s.closed
			s.mu.Unlock()
			if closed || errors.Is(err, net.ErrClosed) {
				return
			}
			// Out of file descriptors, say: wait and go on serving.
			time.Sleep(50 * time.Millisecond)
			continue
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			conn.Close()
			return
		}
		s.conns[conn] = struct{}{}
		s.nextID++
		id := s.nextID
		s.wg.Add(1)
		s.mu.Unlock()
		go func() {
			defer s.wg.Done()
			s.handle(conn, id)
			s.mu.Lock()
			delete(s.conns, conn)
			s.mu.Unlock()
			conn.Close()
		}()
	}
}

// respSession is one client connection.
type respSession struct {
	srv  *respServer
	id   int64
	name string
	w    respWriter
	quit bool
}

func (s *respServer) handle(conn net.Conn, id int64) {
	s.store.mu.Lock()
	s.store.stats.connections++
	s.store.mu.Unlock()
	r := newRESPReader(conn)
	sess := &respSession{srv: s, id: id, w: respWriter{bw: bufio.NewWriter(conn)}}
	for !sess.quit {
		args, err := r.readCommand()
		if err != nil {
			if errors.Is(err, errRESPProtocol) {
				sess.w.err("ERR Protocol error: " + strings.TrimPrefix(err.Error(), errRESPProtocol.Error()+": "))
				sess.w.bw.Flush()
			}
			return
		}
		sess.run(args)
		// Flush once a pipeline has been answered, not after every reply.
		if r.br.Buffered() == 0 || sess.quit {
			if err := sess.w.bw.Flush(); err != nil {
				return
			}
		}
	}
}

// respCommandSpec describes one command: its arity as redis counts it (the
// name included; negative means at least), whether it writes, whether it
// may need memory (and so is refused when the store is full), and its
// implementation, called with the store locked.
type respCommandSpec struct {
	arity int
	write bool
	oom   bool
	run   func(s *respSession, st *respStore, args [][]byte)
}

// respCommands is what the embedded server implements.
var respCommands map[string]respCommandSpec

func init() {
	respCommands = map[string]respCommandSpec{
		"ping":     {arity: -1, run: cmdPing},
		"echo":     {arity: 2, run: func(s *respSession, _ *respStore, a [][]byte) { s.w.bulk(a[1]) }},
		"quit":     {arity: -1, run: func(s *respSession, _ *respStore, _ [][]byte) { s.w.simple("OK"); s.quit = true }},
		"select":   {arity: 2, run: cmdSelect},
		"client":   {arity: -2, run: cmdClient},
		"command":  {arity: -1, run: cmdCommand},
		"hello":    {arity: -1, run: cmdHello},
		"auth":     {arity: -2, run: cmdAuth},
		"info":     {arity: -1, run: cmdInfo},
		"config":   {arity: -2, run: cmdConfig},
		"dbsize":   {arity: 1, run: func(s *respSession, st *respStore, _ [][]byte) { s.w.int(int64(len(st.keys))) }},
		"type":     {arity: 2, run: cmdType},
		"save":     {arity: 1, run: cmdSave},
		"bgsave":   {arity: -1, run: cmdSave},
		"get":      {arity: 2, run: cmdGet},
		"set":      {arity: -3, write: true, oom: true, run: cmdSet},
		"setnx":    {arity: 3, write: true, oom: true, run: cmdSetNX},
		"setex":    {arity: 4, write: true, oom: true, run: cmdSetEX},
		"psetex":   {arity: 4, write: true, oom: true, run: cmdSetEX},
		"mget":     {arity: -2, run: cmdMGet},
		"mset":     {arity: -3, write: true, oom: true, run: cmdMSet},
		"del":      {arity: -2, write: true, run: cmdDel},
		"unlink":   {arity: -2, write: true, run: cmdDel},
		"exists":   {arity: -2, run: cmdExists},
		"incr":     {arity: 2, write: true, oom: true, run: cmdIncr},
		"decr":     {arity: 2, write: true, oom: true, run: cmdIncr},
		"incrby":   {arity: 3, write: true, oom: true, run: cmdIncr},
		"decrby":   {arity: 3, write: true, oom: true, run: cmdIncr},
		"expire":   {arity: -3, write: true, run: cmdExpire},
		"pexpire":  {arity: -3, write: true, run: cmdExpire},
		"persist":  {arity: 2, write: true, run: cmdPersist},
		"ttl":      {arity: 2, run: cmdTTL},
		"pttl":     {arity: 2, run: cmdTTL},
		"keys":     {arity: 2, run: cmdKeys},
		"flushdb":  {arity: -1, write: true, run: cmdFlush},
		"flushall": {arity: -1, write: true, run: cmdFlush},
		"hset":     {arity: -4, write: true, oom: true, run: cmdHSet},
		"hmset":    {arity: -4, write: true, oom: true, run: cmdHSet},
		"hget":     {arity: 3, run: cmdHGet},
		"hgetall":  {arity: 2, run: cmdHGetAll},
		"hdel":     {arity: -3, write: true, run: cmdHDel},
		"hlen":     {arity: 2, run: cmdHLen},
		"hexists":  {arity: 3, run: cmdHExists},
		"lpush":    {arity: -3, write: true, oom: true, run: cmdPush},
		"rpush":    {arity: -3, write: true, oom: true, run: cmdPush},
		"lpop":     {arity: -2, write: true, run: cmdPop},
		"rpop":     {arity: -2, write: true, run: cmdPop},
		"lrange":   {arity: 4, run: cmdLRange},
		"llen":     {arity: 2, run: cmdLLen},
	}
}

// Replies redis-server gives, word for word, since clients match on them.
const (
	errWrongType = "WRONGTYPE Operation against a key holding the wrong kind of value"
	errNotInt    = "ERR value is not an integer or out of range"
	errSyntax    = "ERR syntax error"
	errOOM       = "OOM command not allowed when used memory > 'maxmemory'."
	errReadOnly  = "READONLY You can't write against a read only replica."
)

func (s *respSession) run(args [][]byte) {
	if len(args) == 0 {
		return
	}
	name := strings.ToLower(string(args[0]))
	spec, ok := respCommands[name]
	if !ok {
		var rest []string
		for _, a := range args[1:] {
			rest = append(rest, "'"+string(a)+"'")
		}
		s.w.err(fmt.Sprintf("ERR unknown command '%s', with args beginning with: %s", args[0], strings.Join(rest, " ")))
		return
	}
	if (spec.arity > 0 && len(args) != spec.arity) || (spec.arity < 0 && len(args) < -spec.arity) {
		s.w.err(fmt.Sprintf("ERR wrong number of arguments for '%s' command", name))
		return
	}
	st := s.srv.store
	st.mu.Lock()
	defer st.mu.Unlock()
	st.stats.commands++
	if spec.write && s.srv.primary != "" {
		s.w.err(errReadOnly)
		return
	}
	if spec.oom && !st.makeRoom() {
		s.w.err(errOOM)
		return
	}
	spec.run(s, st, args)
}
