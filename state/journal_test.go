package state

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stagecraft/stagecraft/stacks/addrs"
)

// journalLines encodes entries as journal lines, numbering them from 1.
func journalLines(t testing.TB, es ...JournalEntry) string {
	t.Helper()
	var buf []byte
	for i, e := range es {
		e.Seq = uint64(i + 1)
		var err error
		if buf, err = appendEntryLine(buf, &e); err != nil {
			t.Fatal(err)
		}
	}
	return string(buf)
}

func baseEntry(lineage string, serial uint64) JournalEntry {
	return JournalEntry{Op: OpBase, Lineage: lineage, Serial: serial}
}

func TestDecodeJournal(t *testing.T) {
	t.Parallel()
	whole := journalLines(t,
		baseEntry("L", 1),
		IntentEntry(addrs.MustParse("cache.a"), "create", nil),
		SetEntry(&Resource{Address: addrs.MustParse("cache.a"), ID: "i-1", Attributes: json.RawMessage(`{}`)}),
		RemoveEntry(addrs.MustParse("cache.b"), ""),
	)
	lines := strings.SplitAfter(whole, "\n") // 4 lines and a final ""
	tests := map[string]struct {
		data      string
		wantOps   []string
		wantValid int
		wantErr   string
	}{
		"empty": {
			data: "",
		},
		"whole": {
			data:      whole,
			wantOps:   []string{OpBase, OpIntent, OpSet, OpRemove},
			wantValid: len(whole),
		},
		"torn last line is ignored": {
			data:      whole + lines[2][:20],
			wantOps:   []string{OpBase, OpIntent, OpSet, OpRemove},
			wantValid: len(whole),
		},
		"torn last line of zeros is ignored": {
			data:      whole + "\x00\x00\x00\x00",
			wantOps:   []string{OpBase, OpIntent, OpSet, OpRemove},
			wantValid: len(whole),
		},
		"whole last entry without newline is kept": {
			data:      strings.TrimSuffix(whole, "\n"),
			wantOps:   []string{OpBase, OpIntent, OpSet, OpRemove},
			wantValid: len(whole) - 1,
		},
		"corrupt middle line is an error": {
			data:    lines[0] + lines[1] + "{garbage\n" + lines[3],
			wantErr: "line 3: invalid character",
		},
		"blank middle line is an error": {
			data:    lines[0] + "\n" + lines[1],
			wantErr: "line 2: unexpected end of JSON input",
		},
		"no base entry": {
			data:    lines[1] + lines[2],
			wantErr: "line 1: journal does not start with a base entry",
		},
		"second base entry": {
			data:    lines[0] + lines[0],
			wantErr: "line 2: base entry after the start of the journal",
		},
		"unknown op": {
			data:    lines[0] + `{"seq":2,"op":"explode"}` + "\n" + lines[1],
			wantErr: `line 2: unknown journal op "explode"`,
		},
		"set without resource": {
			data:    lines[0] + `{"seq":2,"op":"set","address":"a.b"}` + "\n",
			wantErr: "line 2: set entry needs a resource with an address",
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			entries, valid, err := DecodeJournal([]byte(tt.data))
			if tt.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
					t.Fatalf("DecodeJournal error = %v, want it to start with %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var ops []string
			for _, e := range entries {
				ops = append(ops, e.Op)
			}
			if diff := cmp.Diff(tt.wantOps, ops); diff != "" {
				t.Errorf("ops (-want +got):\n%s", diff)
			}
			if valid != tt.wantValid {
				t.Errorf("valid = %d, want %d", valid, tt.wantValid)
			}
		})
	}
}

func TestEntryConstructorsValidate(t *testing.T) {
	t.Parallel()
	out, err := OutputEntry("url", &Output{Value: json.RawMessage(`"x"`), Type: json.RawMessage(`"string"`)})
	if err != nil {
		t.Fatal(err)
	}
	gone, err := OutputEntry("url", nil)
	if err != nil {
		t.Fatal(err)
	}
	note, err := NoteEntry("migration.web", map[string]int{"step": 2})
	if err != nil {
		t.Fatal(err)
	}
	tests := map[string]JournalEntry{
		"intent":         IntentEntry(addrs.MustParse("cache.a"), "create", nil),
		"delete intent":  IntentEntry(addrs.MustParse("cache.a"), ActionDelete, &Resource{Address: addrs.MustParse("cache.a"), ID: "i-1"}),
		"set":            SetEntry(&Resource{Address: addrs.MustParse("cache.a")}),
		"remove":         RemoveEntry(addrs.MustParse("cache.a"), ""),
		"remove by id":   RemoveEntry(addrs.MustParse("cache.a"), "i-1"),
		"stage":          StageEntry("green"),
		"output":         out,
		"output removed": gone,
		"note":           note,
	}
	for name, e := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if err := e.validate(); err != nil {
				t.Errorf("validate(%+v) = %v", e, err)
			}
		})
	}
}
