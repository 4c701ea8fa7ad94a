package local

import (
	"encoding/json"

	"github.com/stagecraft/stagecraft/providers"
)

// The supervisor's API: JSON over HTTP on a unix socket. Values travel as
// cty JSON of the kind's implied type for this provider.

// apiVersion changes when the API does; a CLI finding a supervisor of
// another version replaces it.
const apiVersion = 1

// hello identifies a running supervisor.
type hello struct {
	API      int    `json:"api"`
	Instance string `json:"instance"`
	PID      int    `json:"pid"`
	Dir      string `json:"dir"`
}

// resourceRequest asks the supervisor to create or update a resource.
type resourceRequest struct {
	Address string            `json:"address"`
	Kind    string            `json:"kind"`
	Tags    map[string]string `json:"tags"`
	// StackDir is the stack directory: relative paths in the
	// configuration (working_dir) are relative to it.
	StackDir string          `json:"stack_dir"`
	Desired  json.RawMessage `json:"desired"`
}

// resource is a resource as the supervisor reports it.
type resource struct {
	ID      string            `json:"id"`
	Address string            `json:"address"`
	Kind    string            `json:"kind"`
	Tags    map[string]string `json:"tags"`
	Actual  json.RawMessage   `json:"actual"`
}

// apiError is the body of a failed request.
type apiError struct {
	Error string `json:"error"`
	// Retryable marks transient failures (a port taken between choosing
	// and binding it).
	Retryable bool `json:"retryable,omitempty"`
}

// observation is providers.Observation on the wire.
type observation = providers.Observation
