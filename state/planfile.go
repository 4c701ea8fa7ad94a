package state

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"time"
)

// PlanFormatVersion is the version of the plan file format this package
// writes; ReadPlanFile refuses newer ones.
const PlanFormatVersion = 1

// planMagic starts every plan file, so that `apply FILE` given some other
// file says so instead of failing on its content. The format version
// follows it on the same line.
const planMagic = "stagecraft-plan v"

// PlanFile is a saved plan (`plan -out FILE`) together with what it was made
// from, so that `apply FILE` can refuse it when the state or the stack files
// have changed since.
type PlanFile struct {
	// FormatVersion is the plan file format; WritePlanFile sets it.
	FormatVersion int `json:"format_version"`
	// Lineage is the lineage of the state the plan was made from; empty
	// when there was no state yet.
	Lineage string `json:"lineage"`
	// Serial is the serial of the state the plan was made from; 0 when
	// there was no state yet.
	Serial uint64 `json:"serial"`
	// StackHash is the hash of the stack files, computed by the caller.
	StackHash string `json:"stack_hash"`
	// Environment is the environment the plan is for.
	Environment string `json:"environment"`
	// Stage is the stage the plan moves the environment to.
	Stage string `json:"stage"`
	// CreatedAt is when the plan was made.
	CreatedAt time.Time `json:"created_at"`
	// Plan is the planner's plan; this package does not look inside.
	Plan json.RawMessage `json:"plan"`
	// Inputs holds the variable inputs the plan was made with (opaque
	// here), so that applying it evaluates the stack the same way.
	Inputs json.RawMessage `json:"inputs,omitempty"`
}

// WritePlanFile saves pf at path atomically with mode 0o600 (plans hold
// secrets). The file is the line "stagecraft-plan v1" followed by the plan
// as JSON.
func WritePlanFile(path string, pf *PlanFile) error {
	c := *pf
	c.FormatVersion = PlanFormatVersion
	body, err := json.Marshal(&c)
	if err != nil {
		return fmt.Errorf("write plan file %s: %w", path, err)
	}
	data := make([]byte, 0, len(planMagic)+4+len(body)+1)
	data = append(data, planMagic...)
	data = strconv.AppendInt(data, PlanFormatVersion, 10)
	data = append(data, '\n')
	data = append(data, body...)
	data = append(data, '\n')
	if err := writeFileAtomic(path, data); err != nil {
		return fmt.Errorf("write plan file %s: %w", path, err)
	}
	return nil
}

// missingPlanFile is the error of a plan file that does not exist: a
// sentence saying how to make one, which is fs.ErrNotExist to errors.Is.
type missingPlanFile string

func (m missingPlanFile) Error() string {
	return fmt.Sprintf("there is no plan file %s; save one with `stagecraft plan -out %s`", string(m), string(m))
}

func (missingPlanFile) Unwrap() error { return fs.ErrNotExist }

// ReadPlanFile reads a plan saved by WritePlanFile. Any other file is
// reported as not a plan file, and a plan from a newer stagecraft as such.
func ReadPlanFile(path string) (*PlanFile, error) {
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, missingPlanFile(path)
	case err != nil:
		return nil, fmt.Errorf("read plan file %s: %w", path, err)
	}
	notPlan := fmt.Errorf("%s is not a stagecraft plan file", path)
	first, body, ok := bytes.Cut(data, []byte{'\n'})
	if !ok || !bytes.HasPrefix(first, []byte(planMagic)) {
		return nil, notPlan
	}
	version, err := strconv.Atoi(string(first[len(planMagic):]))
	if err != nil || version < 1 {
		return nil, notPlan
	}
	if version > PlanFormatVersion {
		return nil, fmt.Errorf("read plan file %s: plan format version %d is newer than this stagecraft understands (%d); upgrade stagecraft", path, version, PlanFormatVersion)
	}
	var pf PlanFile
	if err := json.Unmarshal(body, &pf); err != nil {
		return nil, fmt.Errorf("read plan file %s: the file is damaged: %w", path, err)
	}
	if pf.FormatVersion != version {
		return nil, fmt.Errorf("read plan file %s: the file is damaged: header says format version %d, content says %d", path, version, pf.FormatVersion)
	}
	return &pf, nil
}

// CheckFresh returns a *StalePlanError when the plan was not made from
// current (another lineage, or another serial) or from the stack files
// whose hash is stackHash. A nil current matches a plan made with no state
// (empty lineage, serial 0).
func (pf *PlanFile) CheckFresh(current *State, stackHash string) error {
	var lineage string
	var serial uint64
	if current != nil {
		lineage, serial = current.Lineage, current.Serial
	}
	e := &StalePlanError{
		PlanLineage: pf.Lineage, StateLineage: lineage,
		PlanSerial: pf.Serial, StateSerial: serial,
	}
	switch {
	case pf.Lineage == "" && lineage != "":
		// Planned before anything was applied; something has been since.
		e.Reason = StaleSerial
	case pf.Lineage != lineage:
		e.Reason = StaleLineage
	case pf.Serial != serial:
		e.Reason = StaleSerial
	case pf.StackHash != stackHash:
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
