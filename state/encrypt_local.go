package state

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/stagecraft/stagecraft/state/localfile"
)

// NewEncryptedLocal returns the local backend with client-side encryption:
// the state is dir/ENV.json as with NewLocal, but sealed with enc, and the
// journal is one sealed file per batch under dir/ENV.json.journal/. The
// lock is the plain local backend's flock on dir/ENV.lock, so encrypted and
// plain runs keep each other out.
//
// A plaintext ENV.json left by the plain backend is read as it is and
// written back encrypted by the next write.
func NewEncryptedLocal(dir, environment string, enc *Encryption) (*ObjectBackend, error) {
	l := NewLocal(dir, environment)
	if err := l.checkEnvironment(); err != nil {
		return nil, err
	}
	if enc == nil {
		return nil, errors.New("the encrypted local backend needs a key")
	}
	// The plain backend's journal is not read here: an apply it left
	// unfinished must be finished by it.
	if entries, _, _, err := l.readJournal(); err == nil && len(entries) > 1 {
		return nil, fmt.Errorf("an apply without encryption was interrupted and left %s; unset %s and %s and run stagecraft apply to finish it, then set the key again", l.JournalPath(), EnvStateKey, EnvStatePassphrase)
	}
	b := NewObjectBackend(&dirStore{dir: dir}, environment, environment+".json", enc)
	b.lockVia = l
	return b, nil
}

// dirStore is an ObjectStore on a directory: keys are relative paths,
// writes are atomic (WriteFileAtomic), and the ETag is the content's
// SHA-256. Its conditional puts compare and write under a mutex, which
// makes them atomic within this process; between processes the caller
// holds the environment's flock, as every Backend caller does.
type dirStore struct {
	dir string
	mu  sync.Mutex
}

func (d *dirStore) path(key string) string { return filepath.Join(d.dir, filepath.FromSlash(key)) }

// Where is the object's file path.
func (d *dirStore) Where(key string) string { return d.path(key) }

// contentETag is a file's ETag: the SHA-256 of its content.
func contentETag(data []byte) string {
	sum := sha256.Sum256(data)
	return `"` + hex.EncodeToString(sum[:]) + `"`
}

// Get reads the object's file.
func (d *dirStore) Get(_ context.Context, key string) ([]byte, string, error) {
	data, err := localfile.Read(d.path(key), localfile.MaxSize)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, "", ErrNoObject
	}
	if err != nil {
		return nil, "", fmt.Errorf("read %s: %w", d.path(key), err)
	}
	return data, contentETag(data), nil
}

// Put replaces the object's file atomically when cond holds.
func (d *dirStore) Put(ctx context.Context, key string, data []byte, cond PutCondition) (string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if cond != (PutCondition{}) {
		_, etag, err := d.Get(ctx, key)
		switch {
		case errors.Is(err, ErrNoObject):
			if cond.IfMatch != "" {
				return "", ErrPrecondition
			}
		case err != nil:
			return "", err
		case cond.IfNoneMatch || etag != cond.IfMatch:
			return "", ErrPrecondition
		}
	}
	p := d.path(key)
	if err := localfile.MkdirAll(filepath.Dir(p)); err != nil {
		return "", fmt.Errorf("write %s: %w", p, err)
	}
	if err := WriteFileAtomic(p, data); err != nil {
		return "", fmt.Errorf("write %s: %w", p, err)
	}
	return contentETag(data), nil
}

// Remove deletes the object's file and the directories its key made.
func (d *dirStore) Remove(_ context.Context, key string) error {
	p := d.path(key)
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("delete %s: %w", p, err)
	}
	// Drop the directories the key made, up to the store's own.
	for dir := filepath.Dir(p); dir != filepath.Clean(d.dir) && strings.HasPrefix(dir, filepath.Clean(d.dir)); dir = filepath.Dir(dir) {
		if os.Remove(dir) != nil {
			break
		}
	}
	return nil
}

// List walks the directory that prefix names.
func (d *dirStore) List(_ context.Context, prefix string) ([]string, error) {
	// The journal prefix ends in "/": walk that directory.
	root := d.path(strings.TrimSuffix(prefix, "/"))
	var keys []string
	err := filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return fs.SkipAll
			}
			return err
		}
		if e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			return nil
		}
		rel, err := filepath.Rel(d.dir, p)
		if err != nil {
			return err
		}
		if k := filepath.ToSlash(rel); strings.HasPrefix(k, prefix) {
			keys = append(keys, k)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", root, err)
	}
	slices.Sort(keys)
	return keys, nil
}

// CheckPlainLocal reports an encrypted state in dir for environment when
// no key is given, so that the plain local backend never takes it for a
// damaged file (or, worse, for no state at all).
func CheckPlainLocal(dir, environment string) error {
	l := NewLocal(dir, environment)
	if l.checkEnvironment() != nil {
		return nil // NewLocal's own checks report it
	}
	f, err := localfile.Open(l.StatePath(), os.O_RDONLY)
	if err != nil {
		return nil
	}
	defer f.Close()
	head := make([]byte, 256)
	n, _ := f.Read(head)
	if !IsEncrypted(head[:n]) && !bytes.Contains(head[:n], []byte(`"`+encryptedMarker+`"`)) {
		return nil
	}
	return errNeedsKey(l.StatePath())
}
