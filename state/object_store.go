package state

import (
	"context"
	"errors"
	"time"
)

// objectStore is the little a state backend needs from a store of named
// blobs: whole-object reads and writes, writes that only happen when the
// object is still what the writer read (compare-and-swap on the ETag), and
// listing by prefix. S3 is one (s3Store); a directory is another
// (dirStore, for encrypted local states).
type objectStore interface {
	// get returns the object's content and ETag; errNoObject when it does
	// not exist.
	get(ctx context.Context, key string) (data []byte, etag string, err error)
	// put writes the object when cond holds and returns its new ETag;
	// errPrecondition when cond does not hold.
	put(ctx context.Context, key string, data []byte, cond putCondition) (etag string, err error)
	// remove deletes the object; removing an absent object is not an error.
	remove(ctx context.Context, key string) error
	// list returns the keys that start with prefix, sorted.
	list(ctx context.Context, prefix string) ([]string, error)
	// where names an object for messages ("s3://bucket/key", a file path).
	where(key string) string
}

// putCondition is what must hold for a put to happen.
type putCondition struct {
	// ifMatch, when set, is the ETag the object must still have.
	ifMatch string
	// ifNoneMatch requires that the object does not exist.
	ifNoneMatch bool
}

// unconditional is a put that always happens.
var unconditional = putCondition{}

// conditionOn is the put condition that the object is still as read: its
// ETag when it existed, absent when it did not.
func conditionOn(etag string) putCondition {
	if etag == "" {
		return putCondition{ifNoneMatch: true}
	}
	return putCondition{ifMatch: etag}
}

// versionedStore is an objectStore that keeps every version of an object
// (an S3 bucket with versioning enabled).
type versionedStore interface {
	objectStore
	// versions lists key's versions, newest first.
	versions(ctx context.Context, key string) ([]ObjectVersion, error)
	// getVersion returns one version's content.
	getVersion(ctx context.Context, key, version string) ([]byte, error)
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
	// errNoObject is returned by get for an object that does not exist.
	errNoObject = errors.New("no such object")
	// errPrecondition is returned by put when its condition does not hold.
	errPrecondition = errors.New("the object changed since it was read")
)
