package state

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/stagecraft/stagecraft/stacks/addrs"
)

// benchJournal returns an open journal in a fresh directory and the entry
// a typical apply appends: the full resource after a create.
func benchJournal(b *testing.B) (*Local, Journal, JournalEntry) {
	b.Helper()
	l := NewLocal(filepath.Join(b.TempDir(), "state"), "dev")
	if err := l.Write(context.Background(), New("shop", "dev")); err != nil {
		b.Fatal(err)
	}
	j, err := l.Journal(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { j.Close() })
	return l, j, SetEntry(testResource(b, "cache.sessions"))
}

// BenchmarkJournalAppend measures one durable entry: one write and one
// fsync.
func BenchmarkJournalAppend(b *testing.B) {
	_, j, e := benchJournal(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := j.Append(ctx, e); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkJournalAppendBatch measures batches of 8 entries with one fsync;
// ns/op is per batch.
func BenchmarkJournalAppendBatch(b *testing.B) {
	_, j, e := benchJournal(b)
	batch := make([]JournalEntry, 8)
	for i := range batch {
		batch[i] = e
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := j.AppendBatch(ctx, batch); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRecover10000 measures recovering after a crashed apply of 5,000
// resources: 10,000 entries (an intent and a set each) replayed.
func BenchmarkRecover10000(b *testing.B) {
	l, j, e := benchJournal(b)
	ctx := context.Background()
	var batch []JournalEntry
	for i := range 5000 {
		r := e.Resource.Clone()
		r.Address = addrs.MustParse(fmt.Sprintf("cache.c%05d", i))
		batch = append(batch, IntentEntry(r.Address, "create", nil), SetEntry(r))
	}
	if err := j.AppendBatch(ctx, batch); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		rec, err := l.Recover(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if len(rec.State.Resources) != 5000 {
			b.Fatalf("%d resources recovered", len(rec.State.Resources))
		}
	}
}
