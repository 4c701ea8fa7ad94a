package plan

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/stagecraft/stagecraft/stacks/addrs"
	"github.com/zclconf/go-cty/cty"
)

// The JSON form of a plan: what `plan -o json` prints (redacted: sensitive
// values left out) and what a plan file holds (complete, with value types,
// so it can be applied later). docs/json-plan.md documents it and
// docs/json-plan.schema.json validates it.

type jsonPlan struct {
	FormatVersion int            `json:"format_version"`
	Stack         string         `json:"stack"`
	Environment   string         `json:"environment"`
	Provider      string         `json:"provider"`
	AppliedStage  string         `json:"applied_stage"`
	TargetStage   string         `json:"target_stage"`
	Destroy       bool           `json:"destroy"`
	Lineage       string         `json:"lineage"`
	Serial        uint64         `json:"serial"`
	StackHash     string         `json:"stack_hash"`
	Targets       []string       `json:"targets,omitempty"`
	Summary       map[string]int `json:"summary"`
	HasChanges    bool           `json:"has_changes"`
	Changes       []*jsonChange  `json:"changes"`
	Drift         []*jsonDrift   `json:"drift"`
	Outputs       []*jsonOutput  `json:"outputs"`
	Steps         []*jsonStep    `json:"steps"`
	Warnings      []string       `json:"warnings"`
	Refused       []*jsonRefusal `json:"refused"`
	// PendingDeletions is left out when there are none.
	PendingDeletions []*jsonPendingDeletion `json:"pending_deletions,omitempty"`
}

type jsonPendingDeletion struct {
	Address addrs.Instance `json:"address"`
	Kind    string         `json:"kind"`
	ID      string         `json:"id"`
	Since   time.Time      `json:"since"`
	At      string         `json:"at"`
	Status  string         `json:"status"`
}

type jsonStep struct {
	Address     addrs.Instance `json:"address"`
	Action      string         `json:"action"`
	Description string         `json:"description"`
}

type jsonShiftPath struct {
	Path         string         `json:"path"`
	From         map[string]int `json:"from"`
	To           map[string]int `json:"to"`
	Start        int            `json:"start"`
	Steps        []int          `json:"steps"`
	Bake         string         `json:"bake"`
	MaxErrorRate float64        `json:"max_error_rate"`
	Signals      []string       `json:"signals"`
}

type jsonChange struct {
	Address        addrs.Instance   `json:"address"`
	Kind           string           `json:"kind"`
	Action         Action           `json:"action"`
	ID             string           `json:"id,omitempty"`
	Deposed        bool             `json:"deposed,omitempty"`
	Adopted        bool             `json:"adopted,omitempty"`
	Reason         string           `json:"reason,omitempty"`
	ReplaceOrder   ReplaceOrder     `json:"replace_order,omitempty"`
	ReplacePaths   []string         `json:"replace_paths,omitempty"`
	ChangedPaths   []string         `json:"changed_paths,omitempty"`
	SensitivePaths []string         `json:"sensitive_paths,omitempty"`
	DataLoss       bool             `json:"data_loss,omitempty"`
	Consent        Consent          `json:"consent,omitempty"`
	DependsOn      []addrs.Instance `json:"depends_on,omitempty"`
	PreventDestroy bool             `json:"prevent_destroy,omitempty"`
	AllowDataLoss  bool             `json:"allow_data_loss,omitempty"`
	Shift          []*jsonShiftPath `json:"shift,omitempty"`
	Before         *EncodedValue    `json:"before"`
	After          *EncodedValue    `json:"after"`
}

type jsonDrift struct {
	Address        addrs.Instance `json:"address"`
	Kind           string         `json:"kind,omitempty"`
	Gone           bool           `json:"gone,omitempty"`
	Paths          []string       `json:"paths"`
	SensitivePaths []string       `json:"sensitive_paths,omitempty"`
	Before         *EncodedValue  `json:"before"`
	Actual         *EncodedValue  `json:"actual"`
}

type jsonOutput struct {
	Name      string        `json:"name"`
	Action    Action        `json:"action"`
	Sensitive bool          `json:"sensitive"`
	Before    *EncodedValue `json:"before"`
	After     *EncodedValue `json:"after"`
}

type jsonRefusal struct {
	Address addrs.Instance `json:"address"`
	Action  Action         `json:"action"`
	Reason  string         `json:"reason"`
}

// Marshal encodes a plan as JSON. With redact, sensitive values are
// left out and value types are not included: the form for people and
// tools. Without, the result round-trips through Unmarshal: the form
// plan files store.
func Marshal(p *Plan, redact bool) ([]byte, error) {
	jp := &jsonPlan{
		FormatVersion: FormatVersion, Stack: p.Stack, Environment: p.Environment, Provider: p.Provider,
		AppliedStage: p.AppliedStage, TargetStage: p.TargetStage, Destroy: p.Destroy,
		Lineage: p.Lineage, Serial: p.Serial, StackHash: p.StackHash, Targets: p.Targets,
		Summary: map[string]int{}, HasChanges: p.HasChanges(),
		Changes: []*jsonChange{}, Drift: []*jsonDrift{}, Outputs: []*jsonOutput{}, Steps: []*jsonStep{},
		Warnings: append([]string{}, p.Warnings...), Refused: []*jsonRefusal{},
	}
	for _, a := range []Action{ActionCreate, ActionUpdate, ActionReplace, ActionDelete, ActionNoOp} {
		jp.Summary[string(a)] = 0
	}
	for a, n := range p.Counts() {
		jp.Summary[string(a)] = n
	}
	enc := func(v cty.Value) (*EncodedValue, error) { return EncodeValue(v, redact) }
	for _, c := range p.Changes {
		before, err := enc(c.Before)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", c.Address, err)
		}
		after, err := enc(c.After)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", c.Address, err)
		}
		jp.Changes = append(jp.Changes, &jsonChange{
			Address: c.Address, Kind: c.Kind, Action: c.Action, ID: c.ID, Deposed: c.Deposed, Adopted: c.Adopted, Reason: c.Reason,
			ReplaceOrder: c.ReplaceOrder, ReplacePaths: pathStrings(c.ReplacePaths), ChangedPaths: pathStrings(c.ChangedPaths), SensitivePaths: pathStrings(c.SensitivePaths),
			DataLoss: c.DataLoss, Consent: c.Consent, DependsOn: c.DependsOn,
			PreventDestroy: c.PreventDestroy, AllowDataLoss: c.AllowDataLoss,
			Shift: encodeShift(c.Shift), Before: before, After: after,
		})
	}
	for _, s := range p.Steps {
		jp.Steps = append(jp.Steps, &jsonStep{Address: s.Address, Action: s.Action, Description: s.Description})
	}
	for _, d := range p.Drift {
		before, err := enc(d.Before)
		if err != nil {
			return nil, err
		}
		actual, err := enc(d.Actual)
		if err != nil {
			return nil, err
		}
		paths := pathStrings(d.Paths)
		if paths == nil {
			paths = []string{}
		}
		jp.Drift = append(jp.Drift, &jsonDrift{Address: d.Address, Kind: d.Kind, Gone: d.Gone, Paths: paths, SensitivePaths: pathStrings(d.SensitivePaths), Before: before, Actual: actual})
	}
	for _, o := range p.Outputs {
		before, err := enc(o.Before)
		if err != nil {
			return nil, err
		}
		after, err := enc(o.After)
		if err != nil {
			return nil, err
		}
		if redact && o.Sensitive {
			before, after = redactAll(before), redactAll(after)
		}
		jp.Outputs = append(jp.Outputs, &jsonOutput{Name: o.Name, Action: o.Action, Sensitive: o.Sensitive, Before: before, After: after})
	}
	for _, r := range p.Refused {
		jp.Refused = append(jp.Refused, &jsonRefusal{Address: r.Address, Action: r.Action, Reason: r.Reason})
	}
	for _, d := range p.PendingDeletions {
		jp.PendingDeletions = append(jp.PendingDeletions, &jsonPendingDeletion{Address: d.Address, Kind: d.Kind, ID: d.ID, Since: d.Since, At: d.At, Status: d.Status})
	}
	if redact {
		return json.MarshalIndent(jp, "", "  ")
	}
	return json.Marshal(jp)
}

// redactAll hides a whole value (a sensitive output).
func redactAll(e *EncodedValue) *EncodedValue {
	if e == nil {
		return nil
	}
	return &EncodedValue{Value: json.RawMessage("null"), Sensitive: json.RawMessage("true")}
}

// Unmarshal decodes a plan encoded without redaction.
func Unmarshal(data []byte) (*Plan, error) {
	var jp jsonPlan
	if err := json.Unmarshal(data, &jp); err != nil {
		return nil, fmt.Errorf("decode plan: %w", err)
	}
	if jp.FormatVersion > FormatVersion {
		return nil, fmt.Errorf("the plan has format version %d, newer than this stagecraft understands (%d); upgrade stagecraft", jp.FormatVersion, FormatVersion)
	}
	p := &Plan{Stack: jp.Stack, Environment: jp.Environment, Provider: jp.Provider,
		AppliedStage: jp.AppliedStage, TargetStage: jp.TargetStage, Destroy: jp.Destroy,
		Lineage: jp.Lineage, Serial: jp.Serial, StackHash: jp.StackHash, Targets: jp.Targets, Warnings: jp.Warnings}
	var err error
	dec := func(e *EncodedValue) cty.Value {
		if err != nil || e == nil {
			return cty.NilVal
		}
		var v cty.Value
		v, err = DecodeValue(e)
		return v
	}
	paths := func(ss []string) []cty.Path {
		var out []cty.Path
		for _, s := range ss {
			pp, perr := ParsePath(s)
			if perr != nil && err == nil {
				err = perr
			}
			out = append(out, pp)
		}
		return out
	}
	for _, c := range jp.Changes {
		p.Changes = append(p.Changes, &Change{
			Address: c.Address, Kind: c.Kind, Action: c.Action, ID: c.ID, Deposed: c.Deposed, Adopted: c.Adopted, Reason: c.Reason,
			ReplaceOrder: c.ReplaceOrder, ReplacePaths: paths(c.ReplacePaths), ChangedPaths: paths(c.ChangedPaths), SensitivePaths: paths(c.SensitivePaths),
			DataLoss: c.DataLoss, Consent: c.Consent, DependsOn: c.DependsOn,
			PreventDestroy: c.PreventDestroy, AllowDataLoss: c.AllowDataLoss,
			Shift: decodeShift(c.Shift), Before: dec(c.Before), After: dec(c.After),
		})
	}
	for _, s := range jp.Steps {
		p.Steps = append(p.Steps, &MigrationStep{Address: s.Address, Action: s.Action, Description: s.Description})
	}
	for _, d := range jp.Drift {
		p.Drift = append(p.Drift, &Drift{Address: d.Address, Kind: d.Kind, Gone: d.Gone, Paths: paths(d.Paths), SensitivePaths: paths(d.SensitivePaths), Before: dec(d.Before), Actual: dec(d.Actual)})
	}
	for _, o := range jp.Outputs {
		p.Outputs = append(p.Outputs, &OutputChange{Name: o.Name, Action: o.Action, Sensitive: o.Sensitive, Before: dec(o.Before), After: dec(o.After)})
	}
	for _, r := range jp.Refused {
		p.Refused = append(p.Refused, &Refusal{Address: r.Address, Action: r.Action, Reason: r.Reason})
	}
	for _, d := range jp.PendingDeletions {
		p.PendingDeletions = append(p.PendingDeletions, &PendingDeletion{Address: d.Address, Kind: d.Kind, ID: d.ID, Since: d.Since, At: d.At, Status: d.Status})
	}
	if err != nil {
		return nil, fmt.Errorf("decode plan: %w", err)
	}
	return p, nil
}

func encodeShift(s *Shift) []*jsonShiftPath {
	if s == nil {
		return nil
	}
	out := []*jsonShiftPath{}
	for _, p := range s.Paths {
		out = append(out, &jsonShiftPath{Path: p.Path, From: p.From, To: p.To, Start: p.Start, Steps: p.Steps, Bake: p.Bake.String(), MaxErrorRate: p.MaxErrorRate, Signals: p.Signals})
	}
	return out
}

func decodeShift(paths []*jsonShiftPath) *Shift {
	if paths == nil {
		return nil
	}
	s := &Shift{}
	for _, p := range paths {
		bake, _ := time.ParseDuration(p.Bake)
		s.Paths = append(s.Paths, &ShiftPath{Path: p.Path, From: p.From, To: p.To, Start: p.Start, Steps: p.Steps, Bake: bake, MaxErrorRate: p.MaxErrorRate, Signals: p.Signals})
	}
	return s
}

func pathStrings(ps []cty.Path) []string {
	if len(ps) == 0 {
		return nil
	}
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = PathString(p)
	}
	return out
}
