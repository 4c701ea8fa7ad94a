package local

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"
)

// RESP2, the Redis serialisation protocol, both ways: the cache unit talks
// to redis-server with it (PING, INFO, CONFIG SET) and the embedded server
// (resp_server.go) answers it.

// Limits on what a peer may send, as redis-server has them
// (proto-max-bulk-len, and the multibulk length it accepts).
const (
	respMaxBulk  = 512 << 20
	respMaxArray = 1 << 20
	respMaxLine  = 64 << 10
)

// respError is an error reply ("-ERR ..."), as opposed to a failure to talk.
type respError string

func (e respError) Error() string { return string(e) }

// errRESPProtocol is a malformed message.
var errRESPProtocol = errors.New("protocol error")

// respReader reads RESP2 values and commands.
type respReader struct {
	br *bufio.Reader
}

func newRESPReader(r io.Reader) *respReader { return &respReader{br: bufio.NewReader(r)} }

// line reads one line without its CRLF.
func (r *respReader) line() ([]byte, error) {
	var buf []byte
	for {
		part, isPrefix, err := r.br.ReadLine()
		if err != nil {
			return nil, err
		}
		buf = append(buf, part...)
		if len(buf) > respMaxLine {
			return nil, fmt.Errorf("%w: line too long", errRESPProtocol)
		}
		if !isPrefix {
			return buf, nil
		}
	}
}

func parseRESPInt(b []byte) (int64, error) {
	n, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: bad number %q", errRESPProtocol, b)
	}
	return n, nil
}

// bulk reads the payload of a bulk string of length n and its CRLF.
func (r *respReader) bulk(n int64) ([]byte, error) {
	if n < 0 || n > respMaxBulk {
		return nil, fmt.Errorf("%w: invalid bulk length", errRESPProtocol)
	}
	b := make([]byte, n+2)
	if _, err := io.ReadFull(r.br, b); err != nil {
		return nil, err
	}
	if b[n] != '\r' || b[n+1] != '\n' {
		return nil, fmt.Errorf("%w: bulk string not terminated", errRESPProtocol)
	}
	return b[:n], nil
}

// readCommand reads one command: an array of bulk strings, or an inline
// command (a line of words, as typed into nc or telnet).
func (r *respReader) readCommand() ([][]byte, error) {
	for {
		line, err := r.line()
		if err != nil {
			return nil, err
		}
		if len(line) == 0 {
			continue // an empty inline command is ignored, as redis does
		}
		if line[0] != '*' {
			var args [][]byte
			for _, f := range bytes.Fields(line) {
				args = append(args, f)
			}
			return args, nil
		}
		n, err := parseRESPInt(line[1:])
		if err != nil {
			return nil, err
		}
		if n > respMaxArray {
			return nil, fmt.Errorf("%w: invalid multibulk length", errRESPProtocol)
		}
		if n <= 0 {
			continue
		}
		args := make([][]byte, 0, n)
		for i := int64(0); i < n; i++ {
			hdr, err := r.line()
			if err != nil {
				return nil, err
			}
			if len(hdr) == 0 || hdr[0] != '$' {
				return nil, fmt.Errorf("%w: expected '$', got %q", errRESPProtocol, hdr)
			}
			size, err := parseRESPInt(hdr[1:])
			if err != nil {
				return nil, err
			}
			b, err := r.bulk(size)
			if err != nil {
				return nil, err
			}
			args = append(args, b)
		}
		return args, nil
	}
}

// readValue reads one reply: a string (simple string), respError, int64,
// []byte (bulk string), nil (null) or []any (array).
func (r *respReader) readValue() (any, error) {
	line, err := r.line()
	if err != nil {
		return nil, err
	}
	if len(line) == 0 {
		return nil, fmt.Errorf("%w: empty reply", errRESPProtocol)
	}
	switch line[0] {
	case '+':
		return string(line[1:]), nil
	case '-':
		return respError(line[1:]), nil
	case ':':
		return parseRESPInt(line[1:])
	case '$':
		n, err := parseRESPInt(line[1:])
		if err != nil || n == -1 {
			return nil, err
		}
		return r.bulk(n)
	case '*':
		n, err := parseRESPInt(line[1:])
		if err != nil || n == -1 {
			return nil, err
		}
		if n > respMaxArray || n < 0 {
			return nil, fmt.Errorf("%w: invalid array length", errRESPProtocol)
		}
		out := make([]any, 0, n)
		for i := int64(0); i < n; i++ {
			v, err := r.readValue()
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	}
	return nil, fmt.Errorf("%w: unexpected reply type %q", errRESPProtocol, line[0])
}

// respWriter writes RESP2 values to a buffered writer.
type respWriter struct {
	bw *bufio.Writer
}

func (w respWriter) simple(s string) { w.bw.WriteString("+" + s + "\r\n") }

func (w respWriter) err(s string) {
	// An error reply is one line.
	s = strings.NewReplacer("\r", " ", "\n", " ").Replace(s)
	w.bw.WriteString("-" + s + "\r\n")
}

func (w respWriter) int(n int64) {
	w.bw.WriteString(":" + strconv.FormatInt(n, 10) + "\r\n")
}

func (w respWriter) bulk(b []byte) {
	w.bw.WriteString("$" + strconv.Itoa(len(b)) + "\r\n")
	w.bw.Write(b)
	w.bw.WriteString("\r\n")
}

func (w respWriter) bulkString(s string) { w.bulk([]byte(s)) }

func (w respWriter) null() { w.bw.WriteString("$-1\r\n") }

func (w respWriter) nullArray() { w.bw.WriteString("*-1\r\n") }

func (w respWriter) array(n int) { w.bw.WriteString("*" + strconv.Itoa(n) + "\r\n") }

// command writes a command as an array of bulk strings.
func (w respWriter) command(args ...string) {
	w.array(len(args))
	for _, a := range args {
		w.bulkString(a)
	}
}

// respClient is a minimal Redis client for the supervisor's own checks: one
// connection, one command at a time.
type respClient struct {
	conn net.Conn
	r    *respReader
	w    respWriter
}

// dialRESP connects to a Redis-protocol server.
func dialRESP(ctx context.Context, addr string) (*respClient, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	return &respClient{conn: conn, r: newRESPReader(conn), w: respWriter{bw: bufio.NewWriter(conn)}}, nil
}

func (c *respClient) Close() error { return c.conn.Close() }

// do sends a command and returns its reply; an error reply is returned as
// a respError.
func (c *respClient) do(ctx context.Context, args ...string) (any, error) {
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(5 * time.Second)
	}
	_ = c.conn.SetDeadline(deadline)
	// A cancelled context interrupts a reply that does not come.
	defer context.AfterFunc(ctx, func() { _ = c.conn.SetDeadline(time.Now()) })()
	c.w.command(args...)
	if err := c.w.bw.Flush(); err != nil {
		return nil, err
	}
	v, err := c.r.readValue()
	if err != nil {
		return nil, err
	}
	if e, ok := v.(respError); ok {
		return nil, e
	}
	return v, nil
}

// respCommand dials addr, runs one command and hangs up.
func respCommand(ctx context.Context, addr string, args ...string) (any, error) {
	c, err := dialRESP(ctx, addr)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	return c.do(ctx, args...)
}

// infoField reads one field of an INFO reply ("role:master" lines).
func infoField(info any, name string) string {
	b, _ := info.([]byte)
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), name+":"); ok {
			return v
		}
	}
	return ""
}
