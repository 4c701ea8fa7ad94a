package state

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stagecraft/stagecraft/stacks/addrs"
)

// keyEnc returns the encryption for a key made of one repeated byte.
func keyEnc(t *testing.T, b byte) *Encryption {
	t.Helper()
	key := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{b}, 32))
	enc, err := EncryptionFromEnv(func(k string) string {
		if k == EnvStateKey {
			return key
		}
		return ""
	})
	if err != nil {
		t.Fatal(err)
	}
	return enc
}

func TestEncryptionFromEnv(t *testing.T) {
	t.Parallel()
	hexKey := strings.Repeat("ab", 32)
	tests := map[string]struct {
		env     map[string]string
		want    string // "" no encryption, "key", "passphrase", or an error substring
		wantErr bool
	}{
		"nothing set":     {env: nil, want: ""},
		"hex key":         {env: map[string]string{EnvStateKey: hexKey}, want: "key"},
		"base64 key":      {env: map[string]string{EnvStateKey: base64.StdEncoding.EncodeToString(make([]byte, 32))}, want: "key"},
		"short key":       {env: map[string]string{EnvStateKey: "abcd"}, want: "256-bit key", wantErr: true},
		"passphrase":      {env: map[string]string{EnvStatePassphrase: "correct horse"}, want: "passphrase"},
		"both":            {env: map[string]string{EnvStateKey: hexKey, EnvStatePassphrase: "x"}, want: "set one of them", wantErr: true},
		"key with spaces": {env: map[string]string{EnvStateKey: " " + hexKey + "\n"}, want: "key"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			enc, err := EncryptionFromEnv(func(k string) string { return tc.env[k] })
			switch {
			case tc.wantErr:
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Errorf("error = %v, want %q", err, tc.want)
				}
			case err != nil:
				t.Errorf("error = %v", err)
			case tc.want == "" && enc != nil, tc.want == "key" && (enc == nil || enc.raw == nil), tc.want == "passphrase" && (enc == nil || enc.phrase == nil):
				t.Errorf("encryption = %+v, want %s", enc, tc.want)
			}
		})
	}
}

func TestSealOpen(t *testing.T) {
	t.Parallel()
	plain := []byte(`{"secret":"hunter2"}`)
	for name, enc := range map[string]*Encryption{"key": keyEnc(t, 1), "passphrase": NewPassphraseEncryption("correct horse")} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			sealed, err := enc.seal(plain)
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(sealed, []byte("hunter2")) || !IsEncrypted(sealed) {
				t.Fatalf("sealed form shows the secret or is not marked: %s", sealed)
			}
			got, err := enc.open(sealed, "obj")
			if err != nil || !bytes.Equal(got, plain) {
				t.Fatalf("open = %q, %v", got, err)
			}
			// Plaintext passes through, so a plain state can be adopted.
			if got, err := enc.open(plain, "obj"); err != nil || !bytes.Equal(got, plain) {
				t.Errorf("open of plaintext = %q, %v", got, err)
			}
			// A flipped byte of ciphertext is refused like a wrong key.
			var env envelope
			if err := json.Unmarshal(sealed, &env); err != nil {
				t.Fatal(err)
			}
			env.Ciphertext[0] ^= 1
			tampered, err := json.Marshal(env)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := enc.open(tampered, "obj"); !IsKeyError(err) {
				t.Errorf("open of tampered data = %v, want a wrong-key error", err)
			}
		})
	}
	sealed, err := NewPassphraseEncryption("one").seal(plain)
	if err != nil {
		t.Fatal(err)
	}
	tests := map[string]struct {
		enc  *Encryption
		want string
	}{
		"wrong passphrase":          {NewPassphraseEncryption("two"), "cannot decrypt obj with the key from STAGECRAFT_STATE_PASSPHRASE: it was encrypted with another key"},
		"key for a passphrase file": {keyEnc(t, 1), "encrypted with a passphrase, not a key"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if _, err := tc.enc.open(sealed, "obj"); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("open = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestEncryptedLocal(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	dir := filepath.Join(t.TempDir(), "state")
	// A plain state is adopted and written back encrypted.
	plain := NewLocal(dir, "dev")
	s := New("shop", "dev")
	s.Set(testResource(t, "cache.sessions"))
	if err := plain.Write(ctx, s); err != nil {
		t.Fatal(err)
	}
	enc := keyEnc(t, 7)
	b, err := NewEncryptedLocal(dir, "dev", enc)
	if err != nil {
		t.Fatal(err)
	}
	unlock, err := b.Lock(ctx, LockInfo{Operation: "apply"})
	if err != nil {
		t.Fatal(err)
	}
	// The lock is the plain backend's flock.
	if _, err := plain.Lock(ctx, LockInfo{}); !errors.As(err, new(*LockedError)) {
		t.Errorf("plain Lock while the encrypted backend holds it = %v", err)
	}
	got, err := b.Read(ctx)
	if err != nil || got.Lineage != s.Lineage {
		t.Fatalf("Read of the plain state = %v, %v", got, err)
	}
	if err := b.Write(ctx, got); err != nil {
		t.Fatal(err)
	}
	j, err := b.Journal(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Append(ctx, IntentEntry(addrs.MustParse("cache.new"), "create", nil)); err != nil {
		t.Fatal(err)
	}
	if err := j.Append(ctx, SetEntry(testResource(t, "cache.new"))); err != nil {
		t.Fatal(err)
	}
	_ = unlock() // the process "crashes" here
	raw, err := os.ReadFile(plain.StatePath())
	if err != nil {
		t.Fatal(err)
	}
	if !IsEncrypted(raw) || bytes.Contains(raw, []byte("hunter2")) {
		t.Errorf("%s is in the clear:\n%s", plain.StatePath(), raw)
	}
	again, err := NewEncryptedLocal(dir, "dev", keyEnc(t, 7))
	if err != nil {
		t.Fatal(err)
	}
	rec, err := again.Recover(ctx)
	if err != nil || !cmp.Equal(addresses(rec.State), []string{"cache.new", "cache.sessions"}) || len(rec.PendingIntents) != 0 {
		t.Fatalf("Recover after the crash = %+v, %v", rec, err)
	}
	wrong, err := NewEncryptedLocal(dir, "dev", keyEnc(t, 8))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := wrong.Read(ctx); !IsKeyError(err) || !strings.Contains(err.Error(), plain.StatePath()) {
		t.Errorf("Read with the wrong key = %v", err)
	}
	if err := wrong.Write(ctx, rec.State); err == nil {
		t.Error("Write with the wrong key: no error")
	}
	if after, _ := os.ReadFile(plain.StatePath()); !bytes.Equal(after, raw) {
		t.Error("a refused write changed the state file")
	}
	if err := CheckPlainLocal(dir, "dev"); err == nil || !strings.Contains(err.Error(), "is encrypted") {
		t.Errorf("CheckPlainLocal of an encrypted state = %v", err)
	}
}

// TestEncryptedLocalRefusesPlainJournal: an apply interrupted without
// encryption is finished without it; the encrypted backend does not
// silently drop its journal.
func TestEncryptedLocalRefusesPlainJournal(t *testing.T) {
	t.Parallel()
	l, _ := written(t)
	j, err := l.Journal(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Append(t.Context(), SetEntry(testResource(t, "cache.more"))); err != nil {
		t.Fatal(err)
	}
	_ = j.Close()
	if _, err := NewEncryptedLocal(l.dir, "dev", keyEnc(t, 1)); err == nil || !strings.Contains(err.Error(), "run stagecraft apply to finish it") {
		t.Errorf("NewEncryptedLocal over an unfinished plain journal = %v", err)
	}
}
