package planfile

import (
	"bytes"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/stagecraft/stagecraft/planner/plan"
	"github.com/stagecraft/stagecraft/stacks/addrs"
	"github.com/stagecraft/stagecraft/state"
)

// keyEncryption is the encryption STAGECRAFT_STATE_KEY=key gives.
func keyEncryption(t *testing.T, fill byte) *state.Encryption {
	t.Helper()
	key := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{fill}, 32))
	enc, err := state.EncryptionFromEnv(func(name string) string {
		if name == state.EnvStateKey {
			return key
		}
		return ""
	})
	if err != nil {
		t.Fatal(err)
	}
	return enc
}

// TestEncryptedRoundTrip: with the state key a saved plan holds no value
// in the clear, reads back with the key, and without it or with another
// key gives one sentence naming the file and the variable to set.
func TestEncryptedRoundTrip(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "tfplan")
	p := &plan.Plan{Lineage: "L", Serial: 2, Environment: "dev", TargetStage: "green",
		Changes: []*plan.Change{{Address: addrs.MustParse("cache.sessions"), Kind: "cache", Action: plan.ActionCreate,
			After: cty.ObjectVal(map[string]cty.Value{"password": cty.StringVal("hunter2-canary")})}}}
	enc := keyEncryption(t, 1)
	if err := Write(path, New(p, "dev", nil, time.Now()), enc); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(data, []byte("hunter2-canary")) || bytes.Contains(data, []byte("cache.sessions")) || !state.IsEncrypted(data) {
		t.Errorf("the encrypted plan file holds the plan in the clear:\n%s", data)
	}
	got, err := Read(path, enc)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Plan.Changes) != 1 || !got.Plan.Changes[0].After.RawEquals(p.Changes[0].After) {
		t.Errorf("plan read back = %+v, want the change to cache.sessions", got.Plan.Changes)
	}

	for name, tc := range map[string]struct {
		enc  *state.Encryption
		want string
	}{
		"no key":    {nil, path + " is encrypted; set STAGECRAFT_STATE_KEY (or STAGECRAFT_STATE_PASSPHRASE) to the key it was written with"},
		"wrong key": {keyEncryption(t, 2), "cannot decrypt " + path + " with the key from STAGECRAFT_STATE_KEY"},
	} {
		_, err := Read(path, tc.enc)
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) || !state.IsKeyError(err) {
			t.Errorf("%s: Read error = %v, want a key error starting %q", name, err, tc.want)
		}
	}

	// A plan saved before the key was set still reads.
	plain := filepath.Join(t.TempDir(), "plain")
	if err := Write(plain, New(p, "dev", nil, time.Now()), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := Read(plain, enc); err != nil {
		t.Errorf("a plan saved without a key, read with one: %v", err)
	}
}
