package sim

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/zclconf/go-cty/cty"

	"github.com/stagecraft/stagecraft/providers"
	"github.com/stagecraft/stagecraft/providers/kinds"
)

// journalPath returns a journal file in a fresh temporary directory.
func journalPath(t testing.TB) string {
	return filepath.Join(t.TempDir(), "cloud.jsonl")
}

func countLines(t *testing.T, path string) int {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Count(data, []byte("\n"))
}

func TestPersistence(t *testing.T) {
	t.Parallel()
	path := journalPath(t)
	config := map[string]cty.Value{"path": cty.StringVal(path)}
	ctx := t.Context()

	first := newTestProvider(t, config)
	caches := mustKind(t, first, kinds.Cache)
	groups := mustKind(t, first, kinds.AutoscalingGroup)
	kept := mustCreate(t, caches, ref(kinds.Cache, "sessions"), cacheConfig(t, first, nil))
	gone := mustCreate(t, caches, ref(kinds.Cache, "old"), cacheConfig(t, first, nil))
	group := mustCreate(t, groups, ref(kinds.AutoscalingGroup, "app"), groupConfig(t, first, 2, 4))
	updated, err := groups.Update(ctx, group, cty.NilVal, groupConfig(t, first, 3, 6))
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	if err := caches.Delete(ctx, gone, cty.NilVal); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	keptValue, _, _ := caches.Read(ctx, kept)

	// A second instance, as a re-run CLI process would make it.
	second := newTestProvider(t, config)
	caches2 := mustKind(t, second, kinds.Cache)
	groups2 := mustKind(t, second, kinds.AutoscalingGroup)
	for _, c := range []struct {
		k      *kind
		r      providers.Ref
		want   cty.Value
		exists bool
	}{
		{caches2, kept, keptValue, true},
		{caches2, gone, cty.NullVal(caches2.ty), false},
		{groups2, group, updated, true},
	} {
		got, exists, err := c.k.Read(ctx, c.r)
		if err != nil || exists != c.exists || !got.RawEquals(c.want) {
			t.Errorf("second instance reads %s (id %s) as exists=%t err=%v %#v, want exists=%t %#v",
				c.r.Address, c.r.ID, exists, err, got, c.exists, c.want)
		}
	}
	found, err := caches2.Discover(ctx, "shop", "dev")
	if err != nil || len(found) != 1 || found[0].Ref != kept {
		t.Errorf("second instance discovers %+v (err %v), want only %+v", found, err, kept)
	}
	// Ids keep counting where the first instance stopped, even past the
	// deleted resource: an id is never reused.
	next := mustCreate(t, caches2, ref(kinds.Cache, "new"), cacheConfig(t, second, nil))
	if next.ID != "cache-000004" {
		t.Errorf("the second instance's first id is %s, want cache-000004", next.ID)
	}
}

func groupConfig(t testing.TB, p *provider, lo, hi int64) cty.Value {
	return desiredOf(t, p, kinds.AutoscalingGroup, map[string]cty.Value{
		"min": cty.NumberIntVal(lo), "max": cty.NumberIntVal(hi),
	})
}

func TestJournalCompaction(t *testing.T) {
	t.Parallel()
	path := journalPath(t)
	config := map[string]cty.Value{"path": cty.StringVal(path)}
	ctx := t.Context()

	p := newTestProvider(t, config)
	groups := mustKind(t, p, kinds.AutoscalingGroup)
	r := mustCreate(t, groups, ref(kinds.AutoscalingGroup, "app"), groupConfig(t, p, 1, 2))
	for i := range 200 {
		if _, err := groups.Update(ctx, r, cty.NilVal, groupConfig(t, p, 1, int64(2+i))); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 10 {
		g := mustCreate(t, groups, ref(kinds.AutoscalingGroup, "tmp"), groupConfig(t, p, 1, 1))
		if err := groups.Delete(ctx, g, cty.NilVal); err != nil {
			t.Fatalf("delete %d: %v", i, err)
		}
	}
	want, _, _ := groups.Read(ctx, r)
	if n := countLines(t, path); n != 1+200+20 {
		t.Fatalf("journal has %d lines, want one per mutation (221)", n)
	}

	again := newTestProvider(t, config)
	// One counter line and one line per live resource.
	if n := countLines(t, path); n != 2 {
		t.Errorf("after Configure the journal has %d lines, want it compacted to 2", n)
	}
	got, exists, err := mustKind(t, again, kinds.AutoscalingGroup).Read(ctx, r)
	if err != nil || !exists || !got.RawEquals(want) {
		t.Errorf("after compaction Read gives exists=%t err=%v %#v, want %#v", exists, err, got, want)
	}
	next := mustCreate(t, mustKind(t, again, kinds.AutoscalingGroup), ref(kinds.AutoscalingGroup, "next"), groupConfig(t, again, 1, 1))
	if next.ID != "asg-000012" {
		t.Errorf("first id after compaction is %s, want asg-000012 (ids of deleted resources are not reused)", next.ID)
	}
	if entries, _ := filepath.Glob(path + ".tmp-*"); len(entries) > 0 {
		t.Errorf("compaction left temporary files: %v", entries)
	}
}

func TestJournalDamage(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	setup := func(t *testing.T) (string, providers.Ref, cty.Value) {
		path := journalPath(t)
		p := newTestProvider(t, map[string]cty.Value{"path": cty.StringVal(path)})
		k := mustKind(t, p, kinds.Cache)
		r := mustCreate(t, k, ref(kinds.Cache, "sessions"), cacheConfig(t, p, nil))
		v, _, _ := k.Read(ctx, r)
		return path, r, v
	}
	appendTo := func(t *testing.T, path, text string) {
		f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if _, err := f.WriteString(text); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("a torn last line is dropped", func(t *testing.T) {
		t.Parallel()
		path, r, want := setup(t)
		appendTo(t, path, `{"op":"put","id":"cache-0000`)
		p := newTestProvider(t, map[string]cty.Value{"path": cty.StringVal(path)})
		k := mustKind(t, p, kinds.Cache)
		got, exists, err := k.Read(ctx, r)
		if err != nil || !exists || !got.RawEquals(want) {
			t.Fatalf("Read after a torn line: exists=%t err=%v %#v", exists, err, got)
		}
		// The journal was compacted, so the next line starts on its own.
		mustCreate(t, k, ref(kinds.Cache, "next"), cacheConfig(t, p, nil))
		third := newTestProvider(t, map[string]cty.Value{"path": cty.StringVal(path)})
		found, err := mustKind(t, third, kinds.Cache).Discover(ctx, "shop", "dev")
		if err != nil || len(found) != 2 {
			t.Errorf("after appending to the repaired journal, Discover finds %d resources (err %v), want 2", len(found), err)
		}
	})

	t.Run("a bad line in the middle is reported", func(t *testing.T) {
		t.Parallel()
		path, _, _ := setup(t)
		appendTo(t, path, "not json\n{\"op\":\"counter\",\"n\":9}\n")
		p := newProvider()
		diags := p.Configure(ctx, cty.ObjectVal(map[string]cty.Value{"path": cty.StringVal(path)}))
		if !diags.HasErrors() {
			t.Fatalf("Configure accepted a corrupt journal")
		}
		d := diags[0]
		if d.Summary != "Cannot open the sim cloud file" || !strings.Contains(d.Detail, "line 2 is not a sim journal entry") {
			t.Errorf("diagnostic %q: %q", d.Summary, d.Detail)
		}
	})
}

// TestJournalEncoding checks that the hand-written journal lines read back
// as the values written, for the strings and numbers that need care.
func TestJournalEncoding(t *testing.T) {
	t.Parallel()
	p := newTestProvider(t, nil)
	k := mustKind(t, p, kinds.AutoscalingGroup)
	types := map[string]cty.Type{k.name: k.ty}
	env := map[string]cty.Value{
		"QUOTE":   cty.StringVal(`say "hi" \ bye`),
		"CONTROL": cty.StringVal("line\nbreak\ttab\x00nul"),
		"UNICODE": cty.StringVal("größe ✓ <b>&amp;</b>"),
		"":        cty.StringVal(""),
	}
	value := desiredOf(t, p, kinds.AutoscalingGroup, map[string]cty.Value{
		"env":     cty.MapVal(env),
		"scaling": cty.ObjectVal(map[string]cty.Value{"target_requests_per_instance": cty.NumberFloatVal(12.75)}),
		"desired": cty.MustParseNumberVal("123456789012345678901234567890"),
	})
	value = k.computed(&resource{id: "asg-000001", seq: 1}, "autoscaling_group.app", value, cty.NullVal(k.ty))
	res := &resource{id: "asg-000001", kind: k.name, seq: 1, value: value,
		tags: map[string]string{providers.TagStack: `we"ird`, providers.TagEnvironment: "prød", providers.TagAddress: `autoscaling_group.app["a b"]`}}

	state, entries, torn, err := replay("test", encodePut(res), types)
	if err != nil || entries != 1 || torn {
		t.Fatalf("replay: entries=%d torn=%t err=%v", entries, torn, err)
	}
	got := state.resources[res.id]
	if got == nil || !got.value.RawEquals(value) {
		t.Fatalf("read back %#v, want %#v", got, value)
	}
	if d := cmp.Diff(res.tags, got.tags); d != "" {
		t.Errorf("tags (-want +got):\n%s", d)
	}
}
