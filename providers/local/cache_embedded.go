package local

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"syscall"
)

// embeddedNode is a node served by the embedded Redis-protocol server in
// the supervisor. A replica serves its primary's store read-only.
type embeddedNode struct {
	srvName string
	srv     *respServer
	store   *respStore
	// owner says the store is this node's own (a primary's).
	owner bool
}

// embeddedDump is the file an embedded node keeps its keys in.
const embeddedDump = "embedded.json"

func (c *cache) startEmbedded(_ context.Context, s cacheSettings, spec serverSpec, port int) (cacheServer, error) {
	maxmemory := int64(s.memoryMB) << 20
	if spec.primary != nil {
		p, ok := spec.primary.(*embeddedNode)
		if !ok {
			return nil, fmt.Errorf("%s: the primary is not an embedded node", spec.name)
		}
		srv, err := newRESPServer(hostPort(port), p.store, p.srv.addr())
		if err != nil {
			return nil, embeddedListenError(spec.name, port, err)
		}
		return &embeddedNode{srvName: spec.name, srv: srv, store: p.store}, nil
	}
	st, err := newRESPStore(filepath.Join(spec.dir, embeddedDump), maxmemory, s.policy)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", spec.name, err)
	}
	srv, err := newRESPServer(hostPort(port), st, "")
	if err != nil {
		_ = st.close(false)
		return nil, embeddedListenError(spec.name, port, err)
	}
	return &embeddedNode{srvName: spec.name, srv: srv, store: st, owner: true}, nil
}

func embeddedListenError(name string, port int, err error) error {
	if errors.Is(err, syscall.EADDRINUSE) {
		return fmt.Errorf("%w: the embedded server for %s could not bind port %d", errPortTaken, name, port)
	}
	return fmt.Errorf("the embedded server for %s: %w", name, err)
}

func (e *embeddedNode) name() string { return e.srvName }
func (e *embeddedNode) addr() string { return e.srv.addr() }
func (e *embeddedNode) pid() int     { return 0 }

func (e *embeddedNode) exited() (bool, string) { return false, "" }

// check talks to the node through its port, as a client would.
func (e *embeddedNode) check(ctx context.Context) error {
	_, err := respCommand(ctx, e.addr(), "PING")
	return err
}

func (e *embeddedNode) needsRestart(int, string) bool { return false }

func (e *embeddedNode) limit(_ context.Context, memoryMB int, policy string) error {
	if e.owner {
		e.store.configure(int64(memoryMB)<<20, policy)
	}
	return nil
}

// stop closes the node; a primary that keeps its data writes its dump.
func (e *embeddedNode) stop(keep bool) error {
	e.srv.close()
	if e.owner {
		return e.store.close(keep)
	}
	return nil
}
