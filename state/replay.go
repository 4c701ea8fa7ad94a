package state

import (
	"encoding/json"
	"fmt"
)

// Recovery is a state as Recover found it, with what a crashed apply left
// unfinished.
type Recovery struct {
	// State is the persisted state with the journal replayed on top; nil
	// when nothing has been written yet.
	State *State
	// PendingIntents are the intent entries without a later matching set or
	// remove, in journal order: operations that may have happened at the
	// provider without being recorded. The planner adopts or cleans them up.
	PendingIntents []JournalEntry
	// Notes are the journal's note entries, in order.
	Notes []JournalEntry
	// Replayed is the number of entries applied after the base entry (not
	// counting resume markers). When the journal has any entries after its
	// base entry, State.Serial is the persisted serial plus one, plus one
	// per resume marker.
	Replayed int
}

// recoveredState is the state of what Recover returned, nil when nothing
// has been written yet: every backend's Read is its Recover without the
// unfinished work.
func recoveredState(rec *Recovery, err error) (*State, error) {
	if err != nil || rec == nil {
		return nil, err
	}
	return rec.State, nil
}

// Replay applies a journal (as returned by DecodeJournal) on top of base
// without changing base.
//
// Entries apply in order: set replaces the resource at its address, depose
// moves it to the deposed list, remove deletes it (only when its ID
// matches, if the entry names one; otherwise the deposed copy with that
// ID), stage sets the applied stage, output sets or removes an output.
//
// Intents are resolved by later entries for the same address:
//   - a set resolves every intent except deletes; it resolves a delete
//     intent only when it keeps the very object (same non-empty ID) the
//     delete was about, meaning the delete did not happen;
//   - a remove without an ID resolves every intent;
//   - a remove with an ID resolves the intents naming that ID and the delete
//     intents that name no ID.
//
// Intents left unresolved are returned in PendingIntents.
// When there is at least one entry after the base entry, Serial is
// incremented once, plus once for every OpResume marker (one per crashed
// apply after the first), so that a plan saved before any of the crashes
// is stale.
//
// A journal whose base entry names an older serial of the same lineage was
// left behind by a write that replaced it (a crash between writing the state
// and clearing the journal): it is ignored. A journal for another lineage or
// a newer serial is an error, since applying it would corrupt the state.
func Replay(base *State, entries []JournalEntry) (*Recovery, error) {
	if len(entries) == 0 {
		return &Recovery{State: base}, nil
	}
	head := entries[0]
	if head.Op != OpBase {
		return nil, fmt.Errorf("journal does not start with a base entry")
	}
	if base == nil {
		return nil, fmt.Errorf("journal was written for state lineage %s serial %d, but there is no state", head.Lineage, head.Serial)
	}
	switch {
	case head.Lineage != base.Lineage || head.Serial > base.Serial:
		return nil, fmt.Errorf("journal was written for state lineage %s serial %d, but the state has lineage %s serial %d", head.Lineage, head.Serial, base.Lineage, base.Serial)
	case head.Serial < base.Serial:
		return &Recovery{State: base}, nil
	}
	entries = entries[1:]
	if len(entries) == 0 {
		return &Recovery{State: base}, nil
	}

	s := base.Clone()
	rec := &Recovery{State: s, Replayed: len(entries)}
	var pending []*JournalEntry
	var resumes uint64
	resolve := func(keep func(intent *JournalEntry) bool) {
		kept := pending[:0]
		for _, p := range pending {
			if keep(p) {
				kept = append(kept, p)
			}
		}
		clear(pending[len(kept):])
		pending = kept
	}
	for i := range entries {
		e := &entries[i]
		if err := e.validate(); err != nil {
			return nil, fmt.Errorf("journal entry %d: %w", e.Seq, err)
		}
		switch e.Op {
		case OpBase:
			return nil, fmt.Errorf("journal entry %d: base entry after the start of the journal", e.Seq)
		case OpIntent:
			pending = append(pending, e)
		case OpSet:
			r := e.Resource.Clone()
			s.Set(r)
			resolve(func(p *JournalEntry) bool {
				if p.Address != r.Address {
					return true
				}
				if p.Action == ActionDelete {
					// The delete resolves only if the object survived and
					// is still tracked (the delete failed).
					return p.ID == "" || p.ID != r.ID
				}
				return false
			})
		case OpDepose:
			if e.Resource != nil {
				s.AddDeposed(e.Resource.Clone())
			} else {
				s.Depose(e.Address, e.ID)
			}
		case OpRemove:
			if cur, ok := s.Resource(e.Address); ok && (e.ID == "" || e.ID == cur.ID) {
				s.Remove(e.Address)
			} else if e.ID != "" {
				s.RemoveDeposed(e.Address, e.ID)
			}
			resolve(func(p *JournalEntry) bool {
				if p.Address != e.Address || e.ID == "" {
					return p.Address != e.Address
				}
				// Only the object with e.ID went: keep intents about
				// other objects at the same address.
				return p.ID != e.ID && (p.ID != "" || p.Action != ActionDelete)
			})
		case OpStage:
			if err := json.Unmarshal(e.Value, &s.Stage); err != nil {
				return nil, fmt.Errorf("journal entry %d: %w", e.Seq, err)
			}
		case OpOutput:
			var o *Output
			if err := json.Unmarshal(e.Value, &o); err != nil {
				return nil, fmt.Errorf("journal entry %d: %w", e.Seq, err)
			}
			if o == nil {
				delete(s.Outputs, e.Key)
				continue
			}
			if s.Outputs == nil {
				s.Outputs = make(map[string]*Output)
			}
			s.Outputs[e.Key] = o
		case OpNote:
			rec.Notes = append(rec.Notes, *e)
			// A note's value is kept in the state; null removes it.
			if len(e.Value) == 0 || string(e.Value) == "null" {
				delete(s.Notes, e.Key)
			} else {
				if s.Notes == nil {
					s.Notes = map[string]json.RawMessage{}
				}
				s.Notes[e.Key] = e.Value
			}
		case OpResume:
			resumes++
			rec.Replayed--
		}
	}
	for _, p := range pending {
		rec.PendingIntents = append(rec.PendingIntents, *p)
	}
	s.Serial += 1 + resumes
	return rec, nil
}
