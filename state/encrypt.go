package state

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
)

// The environment variables that turn on client-side encryption of the
// state. Either gives the key; both set is an error.
const (
	// EnvStateKey holds a 256-bit key, base64 (44 characters) or hex (64).
	EnvStateKey = "STAGECRAFT_STATE_KEY"
	// EnvStatePassphrase holds a passphrase; the key is derived from it
	// with PBKDF2-SHA256 and a random salt stored beside the ciphertext.
	EnvStatePassphrase = "STAGECRAFT_STATE_PASSPHRASE"
)

// pbkdf2Iterations is OWASP's recommendation for PBKDF2-HMAC-SHA256.
const pbkdf2Iterations = 600_000

// encryptedMarker is the field that marks an encrypted object; states and
// journals never have it.
const encryptedMarker = "stagecraft_encrypted"

// gcmAdditionalData binds the ciphertext to its purpose.
var gcmAdditionalData = []byte("stagecraft state v1")

// Encryption seals the state and the journal with AES-256-GCM before they
// leave the process, so that neither the bucket nor the disk ever holds the
// secrets in them in the clear. The lock is not encrypted: it names the
// holder so that people without the key can see who it is.
//
// An Encryption is safe for concurrent use.
type Encryption struct {
	source string // the environment variable the key came from
	raw    []byte // the key itself (STAGECRAFT_STATE_KEY)
	phrase []byte // the passphrase (STAGECRAFT_STATE_PASSPHRASE)

	mu      sync.Mutex
	derived map[string][]byte // passphrase keys by salt
	salt    []byte            // the salt new objects are sealed with
}

// envelope is the stored form of an encrypted object, as JSON.
type envelope struct {
	Version    int    `json:"stagecraft_encrypted"`
	KDF        string `json:"kdf"` // "none" or "pbkdf2-sha256"
	Iterations int    `json:"iterations,omitempty"`
	Salt       []byte `json:"salt,omitempty"`
	Nonce      []byte `json:"nonce"`
	Ciphertext []byte `json:"ciphertext"`
}

// EncryptionFromEnv returns the encryption the environment asks for, nil
// when neither variable is set.
func EncryptionFromEnv(getenv func(string) string) (*Encryption, error) {
	if getenv == nil {
		return nil, nil
	}
	key, phrase := strings.TrimSpace(getenv(EnvStateKey)), getenv(EnvStatePassphrase)
	switch {
	case key != "" && phrase != "":
		return nil, fmt.Errorf("both %s and %s are set; set one of them", EnvStateKey, EnvStatePassphrase)
	case key != "":
		raw, err := parseKey(key)
		if err != nil {
			return nil, err
		}
		return &Encryption{source: EnvStateKey, raw: raw}, nil
	case phrase != "":
		return NewPassphraseEncryption(phrase), nil
	}
	return nil, nil
}

// NewPassphraseEncryption returns an encryption whose key is derived from
// passphrase.
func NewPassphraseEncryption(passphrase string) *Encryption {
	return &Encryption{source: EnvStatePassphrase, phrase: []byte(passphrase), derived: map[string][]byte{}}
}

// parseKey reads a 256-bit key written as base64 or hex.
func parseKey(s string) ([]byte, error) {
	if b, err := hex.DecodeString(s); err == nil && len(b) == 32 {
		return b, nil
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil && len(b) == 32 {
			return b, nil
		}
	}
	return nil, fmt.Errorf("%s must be a 256-bit key, written as 64 hex digits or 44 base64 characters (openssl rand -base64 32 makes one)", EnvStateKey)
}

// IsEncrypted reports whether data is an encrypted object.
func IsEncrypted(data []byte) bool {
	data = bytes.TrimSpace(data)
	if len(data) == 0 || data[0] != '{' {
		return false
	}
	var head map[string]json.RawMessage
	if json.Unmarshal(data, &head) != nil {
		return false
	}
	_, ok := head[encryptedMarker]
	return ok
}

// keyFor returns the AES key for objects sealed with salt.
func (e *Encryption) keyFor(salt []byte, iterations int) ([]byte, error) {
	if e.raw != nil {
		return e.raw, nil
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	id := fmt.Sprintf("%x/%d", salt, iterations)
	if k, ok := e.derived[id]; ok {
		return k, nil
	}
	k, err := pbkdf2.Key(sha256.New, string(e.phrase), salt, iterations, 32)
	if err != nil {
		return nil, err
	}
	e.derived[id] = k
	if e.salt == nil && iterations == pbkdf2Iterations {
		e.salt = salt // seal with the salt already in use: one derivation per run
	}
	return k, nil
}

// Seal encrypts plain into the envelope the state is stored in, for other
// files that hold what a state holds (saved plans).
func (e *Encryption) Seal(plain []byte) ([]byte, error) { return e.seal(plain) }

// Open decrypts an envelope made by Seal, read from where (named in
// errors); data that is not encrypted is returned as it is. A wrong key is
// a *WrongKeyError, a key of the other kind a *KeyError.
func (e *Encryption) Open(data []byte, where string) ([]byte, error) { return e.open(data, where) }

// KeyNeeded is the error for an encrypted file read without a key: a
// *KeyError that says which variable to set.
func KeyNeeded(where string) error { return errNeedsKey(where) }

// seal encrypts plain into an envelope.
func (e *Encryption) seal(plain []byte) ([]byte, error) {
	env := envelope{Version: 1, KDF: "none"}
	if e.raw == nil {
		e.mu.Lock()
		if e.salt == nil {
			e.salt = make([]byte, 16)
			_, _ = rand.Read(e.salt)
		}
		env.Salt = e.salt
		e.mu.Unlock()
		env.KDF, env.Iterations = "pbkdf2-sha256", pbkdf2Iterations
	}
	key, err := e.keyFor(env.Salt, env.Iterations)
	if err != nil {
		return nil, fmt.Errorf("encrypt state: %w", err)
	}
	gcm, err := newGCM(key)
	if err != nil {
		return nil, fmt.Errorf("encrypt state: %w", err)
	}
	env.Nonce = make([]byte, gcm.NonceSize())
	_, _ = rand.Read(env.Nonce)
	env.Ciphertext = gcm.Seal(nil, env.Nonce, plain, gcmAdditionalData)
	out, err := json.Marshal(env)
	if err != nil {
		return nil, fmt.Errorf("encrypt state: %w", err)
	}
	return append(out, '\n'), nil
}

// open decrypts an envelope read from where. Data that is not encrypted is
// returned as it is, so that a plaintext state can be read once and written
// back encrypted.
func (e *Encryption) open(data []byte, where string) ([]byte, error) {
	if !IsEncrypted(data) {
		return data, nil
	}
	var env envelope
	if err := json.Unmarshal(data, &env); err != nil {
		return nil, fmt.Errorf("decrypt %s: damaged envelope: %w", where, err)
	}
	if env.Version != 1 {
		return nil, fmt.Errorf("decrypt %s: encryption version %d is newer than this stagecraft understands; upgrade stagecraft", where, env.Version)
	}
	switch {
	case env.KDF == "none" && e.raw == nil:
		return nil, &KeyError{msg: fmt.Sprintf("%s is encrypted with a key, not a passphrase; set %s instead of %s", where, EnvStateKey, EnvStatePassphrase)}
	case env.KDF == "pbkdf2-sha256" && e.raw != nil:
		return nil, &KeyError{msg: fmt.Sprintf("%s is encrypted with a passphrase, not a key; set %s instead of %s", where, EnvStatePassphrase, EnvStateKey)}
	case env.KDF != "none" && env.KDF != "pbkdf2-sha256":
		return nil, fmt.Errorf("decrypt %s: unknown key derivation %q", where, env.KDF)
	case env.KDF == "pbkdf2-sha256" && (env.Iterations < 1 || len(env.Salt) == 0):
		return nil, fmt.Errorf("decrypt %s: damaged envelope: no salt or iteration count", where)
	}
	key, err := e.keyFor(env.Salt, env.Iterations)
	if err != nil {
		return nil, fmt.Errorf("decrypt %s: %w", where, err)
	}
	gcm, err := newGCM(key)
	if err != nil {
		return nil, fmt.Errorf("decrypt %s: %w", where, err)
	}
	if len(env.Nonce) != gcm.NonceSize() {
		return nil, fmt.Errorf("decrypt %s: damaged envelope: bad nonce", where)
	}
	plain, err := gcm.Open(nil, env.Nonce, env.Ciphertext, gcmAdditionalData)
	if err != nil {
		return nil, &WrongKeyError{Where: where, Source: e.source}
	}
	return plain, nil
}

func newGCM(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// WrongKeyError says that an encrypted state does not open with the key
// given: the key is wrong or the object was tampered with.
type WrongKeyError struct {
	Where  string // the object
	Source string // the environment variable the key came from
}

func (e *WrongKeyError) Error() string {
	return fmt.Sprintf("cannot decrypt %s with the key from %s: it was encrypted with another key (or changed since); set %s to the key it was written with", e.Where, e.Source, e.Source)
}

// errNeedsKey is the error for an encrypted object read without a key.
func errNeedsKey(where string) error {
	return &KeyError{msg: fmt.Sprintf("%s is encrypted; set %s (or %s) to the key it was written with", where, EnvStateKey, EnvStatePassphrase)}
}

// KeyError is an encrypted state read without a key, or with a key of
// the other kind (a passphrase for a key's state).
type KeyError struct{ msg string }

func (e *KeyError) Error() string { return e.msg }

// IsKeyError reports whether err comes from the encryption key: a wrong
// one, the wrong kind, or none for an encrypted state. Such a state is
// fine; it is the key that must change, so nothing may overwrite it.
func IsKeyError(err error) bool {
	var wk *WrongKeyError
	var ke *KeyError
	return errors.As(err, &wk) || errors.As(err, &ke)
}
