package state

import (
	"context"
	"errors"
	"time"
)

// ObjectStore is the little a state backend needs from a store of named
// blobs: whole-object reads and writes, writes that only happen when the
// object is still what the writer read (compare-and-swap on the ETag), and
// listing by prefix. ObjectBackend keeps a state in one; a directory is
// one (the encrypted local backend), an S3 bucket another (package
// state/s3).
type ObjectStore interface {
	// Get returns the object's content and ETag; ErrNoObject when it does
	// not exist.
	Get(ctx context.Context, key string) (data []byte, etag string, err error)
	// Put writes the object when cond holds and returns its new ETag;
	// ErrPrecondition when cond does not hold.
	Put(ctx context.Context, key string, data []byte, cond PutCondition) (etag string, err error)
	// Remove deletes the object; removing an absent object is not an error.
	Remove(ctx context.Context, key string) error
	// List returns the keys that start with prefix, sorted.
	List(ctx context.Context, prefix string) ([]string, error)
	// Where names an object for messages ("s3://bucket/key", a file path).
	Where(key string) string
}

// PutCondition is what must hold for a Put to happen; the zero value is a
// put that always happens.
type PutCondition struct {
	// IfMatch, when set, is the ETag the object must still have.
	IfMatch string
	// IfNoneMatch requires that the object does not exist.
	IfNoneMatch bool
}

// conditionOn is the put condition that the object is still as read: its
// ETag when it existed, absent when it did not.
func conditionOn(etag string) PutCondition {
	if etag == "" {
		return PutCondition{IfNoneMatch: true}
	}
	return PutCondition{IfMatch: etag}
}

// VersionedStore is an ObjectStore that keeps every version of an object
// (an S3 bucket with versioning enabled), which `state history` and
// `state pull --version` read.
type VersionedStore interface {
	ObjectStore
	// Versions lists key's versions, newest first.
	Versions(ctx context.Context, key string) ([]ObjectVersion, error)
	// GetVersion returns one version's content.
	GetVersion(ctx context.Context, key, version string) ([]byte, error)
}

// ObjectVersion is one stored version of the state object.
type ObjectVersion struct {
	// ID is the store's version id (what `state pull --version` takes).
	ID string
	// Modified is when the version was written.
	Modified time.Time
	// Size is the object's size in bytes.
	Size int64
	// Latest is true for the current version.
	Latest bool
	// Deleted marks a delete marker: the object was deleted at Modified.
	Deleted bool
}

var (
	// ErrNoObject is returned by Get for an object that does not exist.
	ErrNoObject = errors.New("no such object")
	// ErrPrecondition is returned by Put when its condition does not hold.
	ErrPrecondition = errors.New("the object changed since it was read")
)
