package local

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/stagecraft/stagecraft/providers"
	"github.com/stagecraft/stagecraft/providers/local/supervisor"
)

// client talks to a supervisor over its unix socket.
type client struct {
	socket string
	http   *http.Client
}

func newClient(socket string) *client {
	tr := &http.Transport{
		// Only a supervisor of this user is spoken to: the check comes
		// before any request (with its secret values) is written.
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return supervisor.DialSupervisor(ctx, socket)
		},
		MaxIdleConnsPerHost: 16,
	}
	return &client{socket: socket, http: &http.Client{Transport: tr}}
}

// errNotFound is returned for a resource the supervisor does not run.
var errNotFound = errors.New("not found")

// do sends one request; body and out may be nil.
func (c *client) do(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://supervisor"+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	// The supervisor answers once the unit is ready (processes healthy,
	// members joined): a wait the heartbeat names.
	providers.ReportStatus(ctx, "waiting for the local supervisor")
	resp, err := c.http.Do(req)
	if pe := (*supervisor.PeerError)(nil); errors.As(err, &pe) {
		return pe
	}
	if err != nil {
		return providers.Retryable(fmt.Errorf("supervisor not reachable: %w", err))
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return errNotFound
	case resp.StatusCode >= 300:
		var ae supervisor.APIError
		_ = json.NewDecoder(resp.Body).Decode(&ae)
		if ae.Error == "" {
			ae.Error = resp.Status
		}
		err := errors.New(ae.Error)
		if ae.Address != "" {
			err = &providers.OperationError{Address: ae.Address, Err: err, Worded: true}
		}
		if ae.Retryable {
			return providers.Retryable(err)
		}
		return err
	}
	if out != nil && resp.StatusCode != http.StatusNoContent {
		return json.NewDecoder(resp.Body).Decode(out)
	}
	return nil
}

// hello asks who is listening, with a short deadline.
func (c *client) hello(ctx context.Context) (supervisor.Hello, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	var h supervisor.Hello
	err := c.do(ctx, http.MethodGet, "/v1/hello", nil, &h)
	return h, err
}
