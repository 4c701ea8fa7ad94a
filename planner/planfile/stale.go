package planfile

import (
	"fmt"

	"github.com/stagecraft/stagecraft/state"
)

// CheckFresh returns a *StalePlanError when the plan was not made from
// current (another lineage, or another serial) or from the stack files
// whose hash is stackHash. A nil current matches a plan made with no state
// (empty lineage, serial 0).
func (f *File) CheckFresh(current *state.State, stackHash string) error {
	var lineage string
	var serial uint64
	if current != nil {
		lineage, serial = current.Lineage, current.Serial
	}
	e := &StalePlanError{
		PlanLineage: f.Lineage, StateLineage: lineage,
		PlanSerial: f.Serial, StateSerial: serial,
	}
	switch {
	case f.Lineage == "" && lineage != "":
		// Planned before anything was applied; something has been since.
		e.Reason = StaleSerial
	case f.Lineage != lineage:
		e.Reason = StaleLineage
	case f.Serial != serial:
		e.Reason = StaleSerial
	case f.StackHash != stackHash:
		e.Reason = StaleStack
	default:
		return nil
	}
	return e
}

// StaleReason says why a saved plan can no longer be applied.
type StaleReason int

// The reasons a plan is stale, in the order CheckFresh looks for them.
const (
	// StaleLineage: the plan was made for a different state altogether.
	StaleLineage StaleReason = iota + 1
	// StaleSerial: the state has been written since the plan was made.
	StaleSerial
	// StaleStack: the stack files have changed since the plan was made.
	StaleStack
)

// StalePlanError is returned by CheckFresh; apply refuses the plan and the
// user runs plan again.
type StalePlanError struct {
	// Reason is the first difference CheckFresh found.
	Reason StaleReason
	// PlanLineage and StateLineage are the plan's and the current state's
	// lineages (empty for no state).
	PlanLineage, StateLineage string
	// PlanSerial and StateSerial are the plan's and the current state's
	// serials.
	PlanSerial, StateSerial uint64
}

// Error says what changed since the plan was made.
func (e *StalePlanError) Error() string {
	switch e.Reason {
	case StaleLineage:
		return fmt.Sprintf("stale plan: the plan was made for a different state (lineage %s, the current state has lineage %s); run plan again",
			lineageOrNone(e.PlanLineage), lineageOrNone(e.StateLineage))
	case StaleSerial:
		if e.PlanLineage == "" {
			return fmt.Sprintf("stale plan: the state has changed since the plan was made (there was no state then, now it is at serial %d); run plan again", e.StateSerial)
		}
		return fmt.Sprintf("stale plan: the state has changed since the plan was made (serial %d, plan made at serial %d); run plan again", e.StateSerial, e.PlanSerial)
	default:
		return "stale plan: the stack files have changed since the plan was made; run plan again"
	}
}

func lineageOrNone(l string) string {
	if l == "" {
		return "none"
	}
	return l
}
