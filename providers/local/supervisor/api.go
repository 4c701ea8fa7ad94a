package supervisor

import (
	"encoding/json"
)

// The supervisor's API: JSON over HTTP on a unix socket. Values travel as
// cty JSON of the kind's implied type for this provider.

// Provider is the name of the provider whose resources the supervisor
// runs: values travel as cty JSON of each kind's type for it.
const Provider = "local"

// APIVersion changes when the API does; a CLI finding a supervisor of
// another version replaces it.
const APIVersion = 1

// Hello identifies a running supervisor.
type Hello struct {
	API      int    `json:"api"`
	Instance string `json:"instance"`
	PID      int    `json:"pid"`
	Dir      string `json:"dir"`
	// DirID is the identity of Dir when the supervisor started
	// (DirIdentity): a CLI finding another one there talks to a
	// supervisor whose directory was removed, which is about to exit.
	DirID string `json:"dir_id,omitempty"`
}

// ResourceRequest asks the supervisor to create or update a resource.
type ResourceRequest struct {
	Address string            `json:"address"`
	Kind    string            `json:"kind"`
	Tags    map[string]string `json:"tags"`
	// StackDir is the stack directory: relative paths in the
	// configuration (working_dir) are relative to it.
	StackDir string          `json:"stack_dir"`
	Desired  json.RawMessage `json:"desired"`
}

// Resource is a Resource as the supervisor reports it.
type Resource struct {
	ID      string            `json:"id"`
	Address string            `json:"address"`
	Kind    string            `json:"kind"`
	Tags    map[string]string `json:"tags"`
	Actual  json.RawMessage   `json:"actual"`
}

// APIError is the body of a failed request.
type APIError struct {
	Error string `json:"error"`
	// Retryable marks transient failures (a port taken between choosing
	// and binding it).
	Retryable bool `json:"retryable,omitempty"`
	// Address is set when Error is a sentence that names this resource
	// itself (a providers.OperationError), so the client does not name it
	// again.
	Address string `json:"address,omitempty"`
}
