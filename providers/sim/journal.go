package sim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/zclconf/go-cty/cty"

	"github.com/stagecraft/stagecraft/state/localfile"
)

// The journal is a JSON-lines file of entries, replayed in order:
//
//	{"op":"put","id":"cache-000002","kind":"cache","n":2,"tags":{...},"value":{...}}
//	{"op":"delete","id":"cache-000002"}
//	{"op":"counter","n":7}
//
// "put" stores a resource's whole value (create and update alike), "delete"
// removes it, and "counter" (written by compaction) records the highest id
// number handed out, so that ids of deleted resources are never reused.
type entry struct {
	Op   string            `json:"op"`
	ID   string            `json:"id,omitempty"`
	Kind string            `json:"kind,omitempty"`
	N    uint64            `json:"n,omitempty"`
	Tags map[string]string `json:"tags,omitempty"`
	// Value is the resource's value as JSON decoded with UseNumber.
	Value any `json:"value,omitempty"`
}

const (
	entryPut     = "put"
	entryDelete  = "delete"
	entryCounter = "counter"
)

// compactSlack is how many entries beyond twice the live resources a
// journal may hold before Configure compacts it.
const compactSlack = 64

// journal is the open file that mutations are appended to.
type journal struct {
	path string
	f    *os.File
}

// journalState is what replaying a journal yields.
type journalState struct {
	resources map[string]*resource
	counter   uint64
}

// encodePut returns the journal line of r, whose value is known and
// unmarked (Create and Update store only checked values).
func encodePut(r *resource) []byte {
	b := make([]byte, 0, 512)
	b = append(b, `{"op":"put","id":`...)
	b = appendString(b, r.id)
	b = append(b, `,"kind":`...)
	b = appendString(b, r.kind)
	b = append(b, `,"n":`...)
	b = strconv.AppendUint(b, r.seq, 10)
	b = append(b, `,"tags":`...)
	b = appendTags(b, r.tags)
	b = append(b, `,"value":`...)
	b = appendValue(b, r.value)
	return append(b, "}\n"...)
}

func encodeDelete(id string) []byte {
	line, err := json.Marshal(entry{Op: entryDelete, ID: id})
	if err != nil {
		panic(err) // a struct of strings always encodes
	}
	return append(line, '\n')
}

// append writes one line in a single write call, so that a line is never
// interleaved with another.
func (j *journal) append(line []byte) error {
	if _, err := j.f.Write(line); err != nil {
		return fmt.Errorf("sim: write %s: %w", j.path, err)
	}
	return nil
}

func (j *journal) close() error { return j.f.Close() }

// openJournal replays the journal at path (a missing file is an empty
// cloud), compacts it when it has grown, and opens it for appending.
func openJournal(path string, types map[string]cty.Type) (*journal, journalState, error) {
	data, err := localfile.Read(path, localfile.MaxSize)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, journalState{}, err
	}
	state, entries, torn, err := replay(path, data, types)
	if err != nil {
		return nil, journalState{}, err
	}
	if torn || entries > 2*len(state.resources)+compactSlack {
		if err := compact(path, state); err != nil {
			return nil, journalState{}, err
		}
	}
	f, err := localfile.Open(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE)
	if err != nil {
		return nil, journalState{}, err
	}
	return &journal{path: path, f: f}, state, nil
}

// replay applies the journal's entries in order. A last line without its
// newline is the trace of a process that stopped mid-write: it is dropped
// and reported as torn so that the journal is compacted before the next
// append. Any other bad line is an error.
func replay(path string, data []byte, types map[string]cty.Type) (journalState, int, bool, error) {
	state := journalState{resources: make(map[string]*resource)}
	torn := false
	if n := len(data); n > 0 && data[n-1] != '\n' {
		torn = true
		data = data[:bytes.LastIndexByte(data, '\n')+1]
	}
	entries := 0
	for lineNo := 1; len(data) > 0; lineNo++ {
		i := bytes.IndexByte(data, '\n')
		line := data[:i]
		data = data[i+1:]
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		entries++
		if err := state.apply(line, types); err != nil {
			return journalState{}, 0, false, fmt.Errorf("%s line %d is not a sim journal entry (delete the file to start with an empty cloud): %w", path, lineNo, err)
		}
	}
	return state, entries, torn, nil
}

func (st *journalState) apply(line []byte, types map[string]cty.Type) error {
	var e entry
	d := json.NewDecoder(bytes.NewReader(line))
	d.UseNumber()
	if err := d.Decode(&e); err != nil {
		return err
	}
	st.counter = max(st.counter, e.N)
	switch e.Op {
	case entryPut:
		ty, ok := types[e.Kind]
		if !ok {
			return fmt.Errorf("unknown kind %q", e.Kind)
		}
		v, err := decodeValue(e.Value, ty)
		if err != nil {
			return fmt.Errorf("value of %s: %s", e.ID, err)
		}
		st.resources[e.ID] = &resource{id: e.ID, kind: e.Kind, seq: e.N, tags: e.Tags, value: v}
	case entryDelete:
		delete(st.resources, e.ID)
	case entryCounter:
	default:
		return fmt.Errorf("unknown op %q", e.Op)
	}
	return nil
}

// compact replaces the journal with a snapshot of state: written to a
// temporary file beside it and renamed over it, so that a reader sees the
// old journal or the new one, never a mix.
func compact(path string, state journalState) error {
	var buf bytes.Buffer
	line, err := json.Marshal(entry{Op: entryCounter, N: state.counter})
	if err != nil {
		return err
	}
	buf.Write(append(line, '\n'))
	ids := make([]string, 0, len(state.resources))
	for id := range state.resources {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		buf.Write(encodePut(state.resources[id]))
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("compact %s: %w", path, err)
	}
	_, werr := tmp.Write(buf.Bytes())
	cerr := tmp.Close()
	if err := errors.Join(werr, cerr); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("compact %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("compact %s: %w", path, err)
	}
	return nil
}
