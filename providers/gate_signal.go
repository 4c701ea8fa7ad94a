package providers

import "github.com/zclconf/go-cty/cty"

// The signals a migration gate can measure of the targets that gain
// traffic in a shift step. A plan names the ones the provider measures,
// and the gate checks those and no others.
const (
	// SignalHealth: every group that gains traffic has a healthy target.
	SignalHealth = "health"
	// Signal5xx: the share of their requests answered with a 5xx status
	// stays within the shift's max_error_rate.
	Signal5xx = "5xx"
)

// GateSignaler is implemented by kinds that route traffic and observe it
// (Observer): it declares which gate signals Observe measures for a load
// balancer configured as config (a TCP load balancer sees no status
// codes). An Observer without it measures health only; a kind that is no
// Observer measures nothing, and traffic moves without gates.
type GateSignaler interface {
	GateSignals(config cty.Value) []string
}

// GateSignals returns the gate signals impl measures for a resource
// configured as config (see GateSignaler).
func GateSignals(impl ResourceKind, config cty.Value) []string {
	if _, ok := impl.(Observer); !ok {
		return []string{}
	}
	if s, ok := impl.(GateSignaler); ok {
		return s.GateSignals(config)
	}
	return []string{SignalHealth}
}
