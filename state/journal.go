package state

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/stagecraft/stagecraft/stacks/addrs"
)

// The operations a journal entry records. Replay applies them in order on
// top of the state the journal's base entry names.
const (
	// OpBase is the first entry of every journal, written by the backend:
	// Lineage and Serial name the persisted state the entries apply to, so
	// that a journal left behind after that state was rewritten is ignored
	// instead of applied twice.
	OpBase = "base"
	// OpIntent is appended before a provider create or delete starts:
	// Address and Action ("create", "delete", ...), and for a delete the ID
	// (and optionally the Resource) of the object about to go. An intent
	// without a later matching set or remove is reported by Recover so that
	// the planner can adopt a half-done creation or finish a deletion.
	OpIntent = "intent"
	// OpSet records a resource created or updated: the full Resource.
	OpSet = "set"
	// OpRemove records a resource deleted: Address, and ID when only the
	// object with that ID was deleted (the old object of a
	// create-before-destroy replace, whose address already holds its
	// replacement).
	OpRemove = "remove"
	// OpDepose moves the resource at Address with ID to the deposed list:
	// a create-before-destroy replacement is about to create its successor.
	OpDepose = "depose"
	// OpStage records the stage the apply has reached: Value is a JSON string.
	OpStage = "stage"
	// OpOutput records an output: Key is its name, Value the Output as JSON,
	// or null when the output was removed.
	OpOutput = "output"
	// OpResume is written by the backend when an apply reopens a journal
	// that a crashed apply left entries in. Each one makes Replay count one
	// more serial, so that a plan saved between two crashed applies is
	// stale too.
	OpResume = "resume"
	// OpNote records free-form progress that is not part of the state, such
	// as a finished migration step: Key names it and Value holds any JSON.
	// Recover returns notes so that an interrupted migration can resume.
	OpNote = "note"
)

// ActionDelete is the intent action for deleting an object. A set of the
// same address does not resolve a delete intent (in a create-before-destroy
// replace the set records the new object while the old one still has to
// go), unless the set keeps the very object the intent named; see Replay.
// Give delete intents the object's ID (IntentEntry does, from r).
const ActionDelete = "delete"

// JournalEntry is one line of the journal. Which fields are used depends on
// Op; the constructors (IntentEntry, SetEntry, ...) fill them correctly.
type JournalEntry struct {
	// Seq numbers entries from 1 in the order they were appended; the
	// journal assigns it.
	Seq uint64 `json:"seq"`
	// Time is when the entry was appended; the journal fills it in when zero.
	Time time.Time `json:"time"`
	// Op is one of the Op constants.
	Op string `json:"op"`
	// Address is the resource an intent, set or remove is about.
	Address addrs.Instance `json:"address,omitzero"`
	// Action is what an intent is about to do ("create", "delete", ...).
	Action string `json:"action,omitempty"`
	// ID is the provider ID of the object an intent or remove is about,
	// when known.
	ID string `json:"id,omitempty"`
	// Resource is the full resource of a set, or the object an intent is
	// about when the planner wants it back after a crash.
	Resource *Resource `json:"resource,omitempty"`
	// Key names an output or a note.
	Key string `json:"key,omitempty"`
	// Value is the stage, output or note value as JSON.
	Value json.RawMessage `json:"value,omitempty"`
	// Lineage is the lineage of the state a base entry applies to.
	Lineage string `json:"lineage,omitempty"`
	// Serial is the serial of the state a base entry applies to.
	Serial uint64 `json:"serial,omitempty"`
}

// IntentEntry records that a provider operation on addr is about to start.
// For a delete, pass the object about to be deleted as r so that its ID is
// known after a crash; r may be nil otherwise.
func IntentEntry(addr addrs.Instance, action string, r *Resource) JournalEntry {
	e := JournalEntry{Op: OpIntent, Address: addr, Action: action, Resource: r}
	if r != nil {
		e.ID = r.ID
	}
	return e
}

// SetEntry records that r was created or updated.
func SetEntry(r *Resource) JournalEntry {
	return JournalEntry{Op: OpSet, Address: r.Address, Resource: r}
}

// RemoveEntry records that the resource at addr was deleted. With a
// non-empty id only the object with that ID is removed from the state: use
// it for the old object of a create-before-destroy replace, whose address
// already holds the new object.
func RemoveEntry(addr addrs.Instance, id string) JournalEntry {
	return JournalEntry{Op: OpRemove, Address: addr, ID: id}
}

// StageEntry records that the apply has reached stage.
// DeposeEntry records that the object addr/id becomes a deposed copy.
func DeposeEntry(addr addrs.Instance, id string) JournalEntry {
	return JournalEntry{Op: OpDepose, Address: addr, ID: id}
}

// DeposedEntry records an object found outside the state (a leftover of an
// interrupted apply) as a deposed copy, so it stays on record until it is
// deleted.
func DeposedEntry(r *Resource) JournalEntry {
	return JournalEntry{Op: OpDepose, Address: r.Address, ID: r.ID, Resource: r}
}

// StageEntry records the applied stage.
func StageEntry(stage string) JournalEntry {
	v, _ := json.Marshal(stage) // marshalling a string cannot fail
	return JournalEntry{Op: OpStage, Value: v}
}

// OutputEntry records the output name; a nil o records its removal.
func OutputEntry(name string, o *Output) (JournalEntry, error) {
	v, err := json.Marshal(o)
	if err != nil {
		return JournalEntry{}, fmt.Errorf("journal output %s: %w", name, err)
	}
	return JournalEntry{Op: OpOutput, Key: name, Value: v}, nil
}

// NoteEntry records free-form progress under key; value is marshalled as
// JSON.
func NoteEntry(key string, value any) (JournalEntry, error) {
	v, err := json.Marshal(value)
	if err != nil {
		return JournalEntry{}, fmt.Errorf("journal note %s: %w", key, err)
	}
	return JournalEntry{Op: OpNote, Key: key, Value: v}, nil
}

// validate reports entries that Replay could not apply. Backends call it
// before appending, so that a bad entry fails the apply that made it rather
// than the recovery after a crash.
func (e *JournalEntry) validate() error {
	switch e.Op {
	case OpBase:
		if e.Lineage == "" {
			return errors.New("base entry without lineage")
		}
	case OpIntent:
		if e.Address.IsZero() || e.Action == "" {
			return errors.New("intent entry needs an address and an action")
		}
	case OpSet:
		if e.Resource == nil || e.Resource.Address.IsZero() {
			return errors.New("set entry needs a resource with an address")
		}
		if !e.Address.IsZero() && e.Address != e.Resource.Address {
			return fmt.Errorf("set entry for %s carries resource %s", e.Address, e.Resource.Address)
		}
	case OpRemove:
		if e.Address.IsZero() {
			return errors.New("remove entry needs an address")
		}
	case OpDepose:
		if e.Address.IsZero() || e.ID == "" {
			return errors.New("depose entry needs an address and an ID")
		}
	case OpStage:
		var s string
		if err := json.Unmarshal(e.Value, &s); err != nil {
			return fmt.Errorf("stage entry value is not a JSON string: %w", err)
		}
	case OpOutput:
		if e.Key == "" {
			return errors.New("output entry needs a key")
		}
		var o *Output
		if err := json.Unmarshal(e.Value, &o); err != nil {
			return fmt.Errorf("output entry %s: %w", e.Key, err)
		}
	case OpResume:
	case OpNote:
		if e.Key == "" {
			return errors.New("note entry needs a key")
		}
	default:
		return fmt.Errorf("unknown journal op %q", e.Op)
	}
	return nil
}

// checkAppendable checks entries a caller asks a journal to append: each
// must be valid, and base and resume entries are the backend's own.
func checkAppendable(es []JournalEntry) error {
	for i := range es {
		if es[i].Op == OpBase || es[i].Op == OpResume {
			return fmt.Errorf("%q entries are written by the backend only", es[i].Op)
		}
		if err := es[i].validate(); err != nil {
			return err
		}
	}
	return nil
}

// appendEntries appends es to buf as journal lines, numbered on from seq
// and stamped with the current time where they carry none, as every
// backend's journal writes them. It returns the buffer and the last
// number given.
func appendEntries(buf []byte, es []JournalEntry, seq uint64) ([]byte, uint64, error) {
	now := time.Now().UTC()
	for _, e := range es {
		seq++
		e.Seq = seq
		if e.Time.IsZero() {
			e.Time = now
		}
		var err error
		if buf, err = appendEntryLine(buf, &e); err != nil {
			return buf, seq, fmt.Errorf("encode entry %d: %w", seq, err)
		}
	}
	return buf, seq, nil
}

// appendEntryLine appends e as one line of JSON. encoding/json escapes
// newlines inside strings, so an entry is always exactly one line.
func appendEntryLine(buf []byte, e *JournalEntry) ([]byte, error) {
	b, err := json.Marshal(e)
	if err != nil {
		return buf, err
	}
	buf = append(buf, b...)
	return append(buf, '\n'), nil
}

// DecodeJournal parses a journal: one JSON entry per line, the first being
// the base entry. It returns the entries and the length of the prefix of
// data they came from.
//
// A last line that does not parse is the torn write of a crash and is
// dropped (not an error), and with it the bytes after valid; a journal that
// is reopened for appending is truncated to valid first. Any other line that
// does not parse, or an entry that makes no sense, is an error naming the
// line, since it means the journal was damaged rather than interrupted.
func DecodeJournal(data []byte) (entries []JournalEntry, valid int, err error) {
	rest := data
	for line := 1; len(rest) > 0; line++ {
		text, after, terminated := bytes.Cut(rest, []byte{'\n'})
		last := len(after) == 0
		var e JournalEntry
		if err := json.Unmarshal(text, &e); err != nil {
			if last {
				return entries, valid, nil
			}
			return nil, 0, fmt.Errorf("line %d: %w", line, err)
		}
		if err := e.validate(); err != nil {
			return nil, 0, fmt.Errorf("line %d: %w", line, err)
		}
		if (line == 1) != (e.Op == OpBase) {
			if line == 1 {
				return nil, 0, fmt.Errorf("line 1: journal does not start with a base entry")
			}
			return nil, 0, fmt.Errorf("line %d: base entry after the start of the journal", line)
		}
		entries = append(entries, e)
		valid += len(text)
		if terminated {
			valid++
		}
		rest = after
	}
	return entries, valid, nil
}
