package supervisor

import (
	"context"
	"net"
)

// DialSupervisor fails: no supervisor runs on Windows.
func DialSupervisor(context.Context, string) (net.Conn, error) { return nil, ErrPlatform }

// ListenSupervisor fails: no supervisor runs on Windows.
func ListenSupervisor(string, func(string, ...any)) (net.Listener, error) { return nil, ErrPlatform }
