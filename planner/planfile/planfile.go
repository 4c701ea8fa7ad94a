// Package planfile reads and writes saved plans (`plan -out FILE`, `apply
// FILE`, `show FILE`): the envelope that says what a plan was made from,
// the plan itself in its JSON form (planner/plan) and the variable inputs it
// was made with, in one place, so the format has one owner.
package planfile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"time"

	"github.com/stagecraft/stagecraft/planner/plan"
	"github.com/stagecraft/stagecraft/stacks"
	"github.com/stagecraft/stagecraft/state"
	"github.com/stagecraft/stagecraft/state/localfile"
)

// FormatVersion is the version of the plan file format this package
// writes; Read refuses newer ones.
const FormatVersion = 1

// magic starts every plan file, so that `apply FILE` given some other file
// says so instead of failing on its content. The format version follows it
// on the same line.
const magic = "stagecraft-plan v"

// File is a saved plan together with what it was made from, so that
// `apply FILE` can refuse it when the state or the stack files have changed
// since.
type File struct {
	// Lineage is the lineage of the state the plan was made from; empty
	// when there was no state yet.
	Lineage string
	// Serial is the serial of the state the plan was made from; 0 when
	// there was no state yet.
	Serial uint64
	// StackHash is the hash of the stack files the plan was made from.
	StackHash string
	// Environment is the environment the plan is for.
	Environment string
	// Stage is the stage the plan moves the environment to.
	Stage string
	// CreatedAt is when the plan was made.
	CreatedAt time.Time
	// Plan is the plan itself.
	Plan *plan.Plan
	// Inputs are the variable inputs the plan was made with, so that
	// applying it evaluates the stack the same way.
	Inputs []stacks.VarInput
}

// New assembles the file that saves p, made for environment with inputs,
// at now.
func New(p *plan.Plan, environment string, inputs []stacks.VarInput, now time.Time) *File {
	return &File{
		Lineage: p.Lineage, Serial: p.Serial, StackHash: p.StackHash,
		Environment: environment, Stage: p.TargetStage, CreatedAt: now.UTC(),
		Plan: p, Inputs: inputs,
	}
}

// envelope is the JSON after the header line. The plan and the inputs
// stay raw here so that a damaged plan is told apart from a damaged file.
type envelope struct {
	FormatVersion int             `json:"format_version"`
	Lineage       string          `json:"lineage"`
	Serial        uint64          `json:"serial"`
	StackHash     string          `json:"stack_hash"`
	Environment   string          `json:"environment"`
	Stage         string          `json:"stage"`
	CreatedAt     time.Time       `json:"created_at"`
	Plan          json.RawMessage `json:"plan"`
	Inputs        json.RawMessage `json:"inputs,omitempty"`
}

// Write saves f at path atomically with mode 0o600 (plans hold secrets).
// The file is the line "stagecraft-plan v1" followed by the envelope as
// JSON, whose plan is complete (values with their types, unknowns and
// sensitive marks). With enc (the state's encryption, when
// STAGECRAFT_STATE_KEY or STAGECRAFT_STATE_PASSPHRASE is set) all of it is
// sealed in the state's AES-GCM envelope, since a plan holds what the
// state holds.
func Write(path string, f *File, enc *state.Encryption) error {
	body, err := plan.Marshal(f.Plan, false)
	if err != nil {
		return fmt.Errorf("write plan file %s: %w", path, err)
	}
	in, err := json.Marshal(f.Inputs)
	if err != nil {
		return fmt.Errorf("write plan file %s: %w", path, err)
	}
	env := &envelope{
		FormatVersion: FormatVersion, Lineage: f.Lineage, Serial: f.Serial, StackHash: f.StackHash,
		Environment: f.Environment, Stage: f.Stage, CreatedAt: f.CreatedAt, Plan: body, Inputs: in,
	}
	data, err := json.Marshal(env)
	if err != nil {
		return fmt.Errorf("write plan file %s: %w", path, err)
	}
	out := make([]byte, 0, len(magic)+4+len(data)+1)
	out = append(out, magic...)
	out = strconv.AppendInt(out, FormatVersion, 10)
	out = append(out, '\n')
	out = append(out, data...)
	out = append(out, '\n')
	if enc != nil {
		if out, err = enc.Seal(out); err != nil {
			return fmt.Errorf("write plan file %s: %w", path, err)
		}
	}
	if err := state.WriteFileAtomic(path, out); err != nil {
		return fmt.Errorf("write plan file %s: %w", path, err)
	}
	return nil
}

// missingFile is the error of a plan file that does not exist: a sentence
// saying how to make one, which is fs.ErrNotExist to errors.Is.
type missingFile string

func (m missingFile) Error() string {
	return fmt.Sprintf("there is no plan file %s; save one with `stagecraft plan -out %s`", string(m), string(m))
}

func (missingFile) Unwrap() error { return fs.ErrNotExist }

// DamagedError is a plan file whose envelope reads but whose plan or
// inputs do not decode. Callers name the file as the user knows it.
type DamagedError struct {
	// Path is the file read.
	Path string
	// Err says what does not decode.
	Err error
}

// Error says which file is damaged and how.
func (e *DamagedError) Error() string { return e.Path + " is damaged: " + e.Err.Error() }

// Unwrap returns what does not decode.
func (e *DamagedError) Unwrap() error { return e.Err }

// Read reads a plan saved by Write, decrypting it with enc when it is
// encrypted. Only a regular file is read (package localfile). Any other
// file is reported as not a plan file, a plan from a newer stagecraft as
// such, an encrypted plan without the key or with another as a key error
// (state.IsKeyError), and a plan that does not decode as a *DamagedError.
func Read(path string, enc *state.Encryption) (*File, error) {
	data, err := localfile.Read(path, localfile.MaxSize)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, missingFile(path)
	case err != nil:
		return nil, err
	}
	if state.IsEncrypted(data) {
		if enc == nil {
			return nil, state.KeyNeeded(path)
		}
		if data, err = enc.Open(data, path); err != nil {
			return nil, err
		}
	}
	notPlan := fmt.Errorf("%s is not a stagecraft plan file", path)
	first, body, ok := bytes.Cut(data, []byte{'\n'})
	if !ok || !bytes.HasPrefix(first, []byte(magic)) {
		return nil, notPlan
	}
	version, err := strconv.Atoi(string(first[len(magic):]))
	if err != nil || version < 1 {
		return nil, notPlan
	}
	if version > FormatVersion {
		return nil, fmt.Errorf("read plan file %s: plan format version %d is newer than this stagecraft understands (%d); upgrade stagecraft", path, version, FormatVersion)
	}
	var env envelope
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, fmt.Errorf("read plan file %s: the file is damaged: %w", path, err)
	}
	if env.FormatVersion != version {
		return nil, fmt.Errorf("read plan file %s: the file is damaged: header says format version %d, content says %d", path, version, env.FormatVersion)
	}
	p, err := plan.Unmarshal(env.Plan)
	if err != nil {
		return nil, &DamagedError{Path: path, Err: err}
	}
	f := &File{
		Lineage: env.Lineage, Serial: env.Serial, StackHash: env.StackHash,
		Environment: env.Environment, Stage: env.Stage, CreatedAt: env.CreatedAt, Plan: p,
	}
	if len(env.Inputs) > 0 {
		if err := json.Unmarshal(env.Inputs, &f.Inputs); err != nil {
			return nil, &DamagedError{Path: path, Err: err}
		}
	}
	return f, nil
}
