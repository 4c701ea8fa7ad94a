package state

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/stagecraft/stagecraft/stacks/addrs"
)

// FormatVersion is the version of the state file format this package writes.
// Decode refuses files with a newer version rather than silently dropping
// fields it does not know about.
const FormatVersion = 1

// StatusTainted marks a resource whose create failed half-way: it exists at
// the provider but is not known to work, so the next plan replaces it.
const StatusTainted = "tainted"

// StatusPendingDeletion marks a deposed object whose deletion the
// provider accepted but had not finished when the apply ended (an
// ElastiCache replication group still "deleting"); Resource.Pending says
// since when. The next plan checks that it is gone.
const StatusPendingDeletion = "pending-deletion"

// State is everything one environment's applies have left behind. It is the
// "actual" side of the planner's diff and the anchor (Lineage and Serial) for
// saved plans.
type State struct {
	// FormatVersion is the state file format; Encode always writes the
	// current FormatVersion.
	FormatVersion int `json:"format_version"`
	// Lineage identifies this environment's state for its whole life. It is
	// created once by New and never changes, so that a plan or journal made
	// for one state is never applied to another.
	Lineage string `json:"lineage"`
	// Serial grows by one on every persisted write (and once when a journal
	// left by a crashed apply is replayed), so that a saved plan can tell
	// whether the state changed after it was made.
	Serial uint64 `json:"serial"`
	// Stack is the name of the stack the environment belongs to.
	Stack string `json:"stack"`
	// Environment is the environment's name ("dev", "prod").
	Environment string `json:"environment"`
	// Stage is the stage the last apply reached; empty before the first apply.
	Stage string `json:"stage"`
	// Resources are kept sorted by the text of their Address, byte by byte
	// (addrs.CompareText); use Set and Remove to keep them so.
	Resources []*Resource `json:"resources"`
	// Deposed holds old copies of resources that a create-before-destroy
	// replacement made redundant but has not destroyed yet (the apply
	// failed or was interrupted first). The next plan deletes them.
	Deposed []*Resource `json:"deposed,omitempty"`
	// Outputs are the stack's outputs as of the last apply, by name.
	Outputs map[string]*Output `json:"outputs,omitempty"`
	// Notes hold what the planner records beside resources, such as a
	// traffic shift that a failed gate stopped half-way, by key.
	Notes map[string]json.RawMessage `json:"notes,omitempty"`
}

// Resource is one object that exists at a provider because of an apply.
type Resource struct {
	// Address is the resource instance's address in the stack
	// ("cache.sessions"); the file holds its text form.
	Address addrs.Instance `json:"address"`
	// Kind is the provider-neutral kind ("cache", "service").
	Kind string `json:"kind"`
	// Provider is the name of the provider that manages the object.
	Provider string `json:"provider"`
	// ID is the provider's identifier for the object.
	ID string `json:"id"`
	// Attributes is the provider's actual value as cty JSON, encoded with the
	// kind's implied type (see EncodeValue and Resource.Value).
	Attributes json.RawMessage `json:"attributes"`
	// SensitivePaths lists attribute paths, in FormatPath form
	// ("env.DB_PASSWORD"), whose values must never be printed.
	SensitivePaths []string `json:"sensitive_paths,omitempty"`
	// Dependencies are the addresses this resource depended on when it was
	// last applied, so that deletes can run in reverse order even after the
	// configuration that declared the dependency is gone. A block's address
	// stands for all its instances (see addrs.Instance.Contains).
	Dependencies []addrs.Instance `json:"dependencies,omitempty"`
	// Status is empty for a ready resource, StatusTainted, or (on a
	// deposed object) StatusPendingDeletion.
	Status string `json:"status,omitempty"`
	// Pending describes a pending deletion (StatusPendingDeletion).
	Pending *Pending `json:"pending_deletion,omitempty"`
	// PreventDestroy and AllowDataLoss record the resource's lifecycle
	// settings at its last apply, so that a plan that deletes it because
	// it left the stack still honours them.
	PreventDestroy bool `json:"prevent_destroy,omitempty"`
	AllowDataLoss  bool `json:"allow_data_loss,omitempty"`
}

// Pending is a deletion the provider accepted but had not finished when
// the apply that asked for it ended.
type Pending struct {
	// Since is when the apply asked for the deletion.
	Since time.Time `json:"since"`
	// At names the system deleting the object ("AWS"), and Status is the
	// object's status there when it was last looked at ("deleting").
	At     string `json:"at"`
	Status string `json:"status"`
}

// Output is one stack output as of the last apply.
type Output struct {
	// Value is the output's value as cty JSON of Type.
	Value json.RawMessage `json:"value"`
	// Type is the output's cty type in cty's JSON type notation.
	Type json.RawMessage `json:"type"`
	// Sensitive outputs are stored but never printed.
	Sensitive bool `json:"sensitive"`
}

// New returns an empty state for a stack's environment with a fresh lineage.
// It is what the planner starts from before an environment's first apply.
func New(stack, environment string) *State {
	return &State{
		FormatVersion: FormatVersion,
		Lineage:       newID(),
		Stack:         stack,
		Environment:   environment,
		Resources:     []*Resource{},
	}
}

// search returns where addr is or would be inserted in s.Resources.
func (s *State) search(addr addrs.Instance) (int, bool) {
	return slices.BinarySearchFunc(s.Resources, addr, func(r *Resource, addr addrs.Instance) int {
		return addrs.CompareText(r.Address, addr)
	})
}

// Resource returns the resource at addr, and false when there is none.
func (s *State) Resource(addr addrs.Instance) (*Resource, bool) {
	i, ok := s.search(addr)
	if !ok {
		return nil, false
	}
	return s.Resources[i], true
}

// Set inserts r, or replaces the resource with the same address, keeping
// Resources sorted. The state keeps r itself, not a copy.
func (s *State) Set(r *Resource) {
	i, ok := s.search(r.Address)
	if ok {
		s.Resources[i] = r
		return
	}
	s.Resources = slices.Insert(s.Resources, i, r)
}

// Remove deletes the resource at addr and reports whether there was one.
func (s *State) Remove(addr addrs.Instance) bool {
	i, ok := s.search(addr)
	if !ok {
		return false
	}
	s.Resources = slices.Delete(s.Resources, i, i+1)
	return true
}

// Clone returns a deep copy of s that shares no memory with it, so that the
// planner can change one without affecting the other.
func (s *State) Clone() *State {
	if s == nil {
		return nil
	}
	c := *s
	c.Resources = make([]*Resource, len(s.Resources))
	for i, r := range s.Resources {
		c.Resources[i] = r.Clone()
	}
	if s.Deposed != nil {
		c.Deposed = make([]*Resource, len(s.Deposed))
		for i, r := range s.Deposed {
			c.Deposed[i] = r.Clone()
		}
	}
	if s.Notes != nil {
		c.Notes = make(map[string]json.RawMessage, len(s.Notes))
		for k, v := range s.Notes {
			c.Notes[k] = bytes.Clone(v)
		}
	}
	if s.Outputs != nil {
		c.Outputs = make(map[string]*Output, len(s.Outputs))
		for name, o := range s.Outputs {
			c.Outputs[name] = o.clone()
		}
	}
	return &c
}

// Clone returns a deep copy of r.
func (r *Resource) Clone() *Resource {
	if r == nil {
		return nil
	}
	c := *r
	c.Attributes = bytes.Clone(r.Attributes)
	c.SensitivePaths = slices.Clone(r.SensitivePaths)
	c.Dependencies = slices.Clone(r.Dependencies)
	if r.Pending != nil {
		p := *r.Pending
		c.Pending = &p
	}
	return &c
}

func (o *Output) clone() *Output {
	if o == nil {
		return nil
	}
	return &Output{Value: bytes.Clone(o.Value), Type: bytes.Clone(o.Type), Sensitive: o.Sensitive}
}

// Encode returns the state file form of s: indented JSON with the current
// FormatVersion and resources sorted by address. It does not change s.
func Encode(s *State) ([]byte, error) {
	c := *s
	c.FormatVersion = FormatVersion
	if c.Resources == nil {
		c.Resources = []*Resource{}
	}
	if !slices.IsSortedFunc(c.Resources, compareAddress) {
		c.Resources = slices.SortedFunc(slices.Values(c.Resources), compareAddress)
	}
	if i := duplicateAddress(c.Resources); i >= 0 {
		return nil, fmt.Errorf("encode state: duplicate resource address %s", c.Resources[i].Address)
	}
	out, err := json.MarshalIndent(&c, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode state: %w", err)
	}
	return append(out, '\n'), nil
}

// Decode parses a state file. It refuses files written by a newer
// stagecraft, sorts resources that a person may have reordered, and
// normalises attribute JSON to its compact form so that decoded states
// compare equal to the states they were encoded from.
func Decode(data []byte) (*State, error) {
	var head struct {
		FormatVersion *int `json:"format_version"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, fmt.Errorf("decode state: %w", err)
	}
	switch {
	case head.FormatVersion == nil || *head.FormatVersion < 1:
		return nil, fmt.Errorf("decode state: not a stagecraft state file (no format_version)")
	case *head.FormatVersion > FormatVersion:
		return nil, fmt.Errorf("state format version %d is newer than this stagecraft understands (%d); upgrade stagecraft", *head.FormatVersion, FormatVersion)
	}
	var s State
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("decode state: %w", err)
	}
	if s.Lineage == "" {
		return nil, fmt.Errorf("decode state: the state has no lineage")
	}
	if s.Resources == nil {
		s.Resources = []*Resource{}
	}
	for i, r := range s.Resources {
		if r == nil {
			return nil, fmt.Errorf("decode state: resource %d is null", i)
		}
		var err error
		if r.Attributes, err = compactJSON(r.Attributes); err != nil {
			return nil, fmt.Errorf("decode state: attributes of %s: %w", r.Address, err)
		}
	}
	slices.SortFunc(s.Resources, compareAddress)
	if i := duplicateAddress(s.Resources); i >= 0 {
		return nil, fmt.Errorf("decode state: duplicate resource address %s", s.Resources[i].Address)
	}
	for _, name := range slices.Sorted(maps.Keys(s.Outputs)) {
		o := s.Outputs[name]
		if o == nil {
			return nil, fmt.Errorf("decode state: output %s is null", name)
		}
		var err error
		if o.Value, err = compactJSON(o.Value); err != nil {
			return nil, fmt.Errorf("decode state: output %s: %w", name, err)
		}
		if o.Type, err = compactJSON(o.Type); err != nil {
			return nil, fmt.Errorf("decode state: output %s: %w", name, err)
		}
	}
	return &s, nil
}

func compareAddress(a, b *Resource) int { return addrs.CompareText(a.Address, b.Address) }

// duplicateAddress returns the index of the first resource whose address
// repeats its predecessor's in a sorted slice, or -1.
func duplicateAddress(rs []*Resource) int {
	for i := 1; i < len(rs); i++ {
		if rs[i].Address == rs[i-1].Address {
			return i
		}
	}
	return -1
}

func compactJSON(raw json.RawMessage) (json.RawMessage, error) {
	if raw == nil {
		return nil, nil
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Depose moves the resource at addr to the deposed list when its ID is id,
// making room at the address for its replacement.
func (s *State) Depose(addr addrs.Instance, id string) bool {
	r, ok := s.Resource(addr)
	if !ok || r.ID != id {
		return false
	}
	s.Remove(addr)
	s.Deposed = append(s.Deposed, r)
	return true
}

// AddDeposed records r as a deposed copy unless one with its address and
// ID is already there.
func (s *State) AddDeposed(r *Resource) {
	for _, d := range s.Deposed {
		if d.Address == r.Address && d.ID == r.ID {
			return
		}
	}
	s.Deposed = append(s.Deposed, r)
}

// RemoveDeposed drops the deposed copy of addr with the given ID.
func (s *State) RemoveDeposed(addr addrs.Instance, id string) bool {
	for i, r := range s.Deposed {
		if r.Address == addr && r.ID == id {
			s.Deposed = slices.Delete(s.Deposed, i, i+1)
			if len(s.Deposed) == 0 {
				s.Deposed = nil
			}
			return true
		}
	}
	return false
}
