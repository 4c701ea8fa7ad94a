package providers

import (
	"context"
	"fmt"
)

type pendingKey struct{}

// AllowPendingDeletion returns a context under which a Delete may return
// a *PendingDeletion instead of waiting for the object to be gone. The
// apply gives it to deletes that no later step waits for: nothing
// depends on the object being gone, so the apply need not hold for it.
func AllowPendingDeletion(ctx context.Context) context.Context {
	return context.WithValue(ctx, pendingKey{}, true)
}

// PendingDeletionAllowed reports whether the Delete running under ctx
// may leave its deletion pending (see AllowPendingDeletion).
func PendingDeletionAllowed(ctx context.Context) bool {
	allowed, _ := ctx.Value(pendingKey{}).(bool)
	return allowed
}

// PendingDeletion is what a Delete returns, under a context that allows
// it, when the provider has asked for the deletion and the object is on
// its way out but not yet gone (an ElastiCache replication group
// "deleting"). The apply records the object as pending deletion and the
// next plan checks that it is gone, through the kind's DeletionWatcher.
type PendingDeletion struct {
	// At names the system that is deleting the object, as the plan says
	// it: "deletion pending at AWS".
	At string
	// Status is the object's status there ("deleting").
	Status string
}

func (e *PendingDeletion) Error() string {
	return fmt.Sprintf("deletion pending at %s (status: %s)", e.At, e.Status)
}

// DeletionWatcher is implemented by kinds whose Delete can return a
// *PendingDeletion: the plan after such an apply asks it how the
// deletion is going.
type DeletionWatcher interface {
	// DeletionStatus reports the status of the object r at the provider:
	// gone true when it no longer exists; otherwise status says what it
	// is doing ("deleting") and deleting whether that is its way out.
	DeletionStatus(ctx context.Context, r Ref) (status string, deleting, gone bool, err error)
}
