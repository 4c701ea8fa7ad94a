package s3

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stagecraft/stagecraft/state"
)

// TestS3Encrypted: with a key, neither the state nor the journal reaches
// the bucket in the clear; the wrong key or none is refused with a clear
// error, and a refused write leaves the stored state as it was.
func TestS3Encrypted(t *testing.T) {
	t.Parallel()
	cfg := newBucket(t, true)
	ctx := t.Context()
	good, bad := state.NewPassphraseEncryption("good"), state.NewPassphraseEncryption("bad")
	b := newS3(t, cfg, good)
	s := state.New("shop", "dev")
	s.Set(testResource(t, "cache.sessions"))
	if err := b.Write(ctx, s); err != nil {
		t.Fatal(err)
	}
	j, err := b.Journal(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Append(ctx, state.SetEntry(testResource(t, "cache.more"))); err != nil {
		t.Fatal(err)
	}
	stored := rawObject(t, cfg, cfg.Key)
	for _, k := range append([]string{cfg.Key}, journalKeys(t, cfg)...) {
		raw := rawObject(t, cfg, k)
		if !state.IsEncrypted(raw) || bytes.Contains(raw, []byte("hunter2")) {
			t.Errorf("%s is stored in the clear:\n%s", k, raw)
		}
	}
	rec, err := newS3(t, cfg, good).Recover(ctx)
	if err != nil || !cmp.Equal(addresses(rec.State), []string{"cache.more", "cache.sessions"}) {
		t.Fatalf("Recover with the key = %v, %v", rec, err)
	}

	wrong := newS3(t, cfg, bad)
	_, err = wrong.Read(ctx)
	if !state.IsKeyError(err) || !strings.Contains(err.Error(), "s3://"+cfg.Bucket+"/"+cfg.Key) {
		t.Fatalf("Read with the wrong key = %v, want a wrong-key error naming the object", err)
	}
	if err := wrong.Write(ctx, rec.State); err == nil {
		t.Error("Write with the wrong key: no error")
	}
	if _, err := wrong.Journal(ctx); err == nil {
		t.Error("Journal with the wrong key: no error")
	}
	if _, err := newS3(t, cfg, nil).Read(ctx); err == nil || !strings.Contains(err.Error(), "is encrypted; set STAGECRAFT_STATE_KEY") {
		t.Errorf("Read without a key = %v", err)
	}
	if got := rawObject(t, cfg, cfg.Key); !bytes.Equal(got, stored) {
		t.Error("a refused write changed the stored state")
	}
}
