//go:build unix

package supervisor

import (
	"context"
	"fmt"
	"net"
	"os"
)

// DialSupervisor connects to the supervisor's socket and checks that the
// process listening on it runs as this user; a connection to anyone else
// is closed before a byte is written, with a *PeerError.
func DialSupervisor(ctx context.Context, socket string) (net.Conn, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", socket)
	if err != nil {
		return nil, err
	}
	uid, err := socketPeer(conn.(*net.UnixConn), socket)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("check who serves %s: %w", socket, err)
	}
	if uid != os.Getuid() {
		conn.Close()
		return nil, &PeerError{Socket: socket, UID: uid}
	}
	return conn, nil
}

// socketPeer is the uid of the process at the other end of conn: from the
// kernel where the system says (SO_PEERCRED, LOCAL_PEERCRED), else the
// owner of the socket file.
func socketPeer(conn *net.UnixConn, socket string) (int, error) {
	raw, err := conn.SyscallConn()
	if err != nil {
		return 0, err
	}
	var (
		uid   int
		known bool
		perr  error
	)
	if err := raw.Control(func(fd uintptr) { uid, known, perr = peerUID(int(fd)) }); err != nil {
		return 0, err
	}
	if perr != nil {
		return 0, perr
	}
	if known {
		return uid, nil
	}
	return fileOwner(socket)
}

// fileOwner is the uid that owns path.
func fileOwner(path string) (int, error) {
	info, err := os.Lstat(path)
	if err != nil {
		return 0, err
	}
	uid, ok := ownerOf(info)
	if !ok {
		return 0, fmt.Errorf("cannot tell who owns %s on this system", path)
	}
	return uid, nil
}

// ownListener serves only connections from processes of this user: any
// other peer is logged and closed before a byte is read.
type ownListener struct {
	*net.UnixListener
	socket string
	logf   func(format string, args ...any)
}

// ListenSupervisor listens on socket for connections of this user only.
func ListenSupervisor(socket string, logf func(format string, args ...any)) (net.Listener, error) {
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: socket, Net: "unix"})
	if err != nil {
		return nil, err
	}
	return &ownListener{UnixListener: ln, socket: socket, logf: logf}, nil
}

// Accept returns the next connection from this user, closing the others.
func (l *ownListener) Accept() (net.Conn, error) {
	for {
		conn, err := l.AcceptUnix()
		if err != nil {
			return nil, err
		}
		uid, err := socketPeer(conn, l.socket)
		if err == nil && uid == os.Getuid() {
			return conn, nil
		}
		if err != nil {
			l.logf("refused a connection: cannot tell its user: %v", err)
		} else {
			l.logf("refused a connection from uid %d", uid)
		}
		conn.Close()
	}
}
