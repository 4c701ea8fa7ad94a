// Package s3 is the s3 state backend: an environment's state, its lock
// and the journal of an apply in progress as objects in an S3 bucket (or
// an S3-compatible service), written with S3's conditional requests so
// that two writers never overwrite each other. The backend itself is
// state.ObjectBackend; this package gives it the bucket to work on and
// reads the `backend "s3"` block. It lives apart from package state so
// that what only reads states and plans does not link the AWS SDK.
package s3

import (
	"context"

	"github.com/stagecraft/stagecraft/state"
)

// Type is the name of this backend in an environment's backend block.
const Type = "s3"

// New returns the s3 backend for environment's state as cfg describes.
// enc, when not nil, encrypts the state and the journal on this side
// before they are sent.
func New(ctx context.Context, cfg Config, environment string, enc *state.Encryption) (*state.ObjectBackend, error) {
	b, err := openBucket(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return state.NewObjectBackend(b, environment, cfg.Key, enc), nil
}

// The bucket keeps every version of the state when versioning is on.
var _ state.VersionedStore = (*bucketStore)(nil)
