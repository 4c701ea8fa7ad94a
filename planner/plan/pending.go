package plan

import (
	"fmt"
	"time"

	"github.com/stagecraft/stagecraft/stacks/addrs"
)

// PendingDeletion is an object whose deletion an earlier apply asked for
// and the provider had not finished: the refresh found it still on its
// way out. It is no change (there is nothing to do but wait), so a plan
// lists it apart from the changes; once the provider has finished, the
// plan has a delete change that removes what the object left behind and
// its record.
type PendingDeletion struct {
	Address addrs.Instance
	Kind    string
	// ID is the provider's identifier of the object.
	ID string
	// Since is when the apply asked for the deletion.
	Since time.Time
	// At names the system deleting it ("AWS"); Status is its status there
	// now ("deleting").
	At     string
	Status string
}

// Describe renders the pending deletion for people: "cache.pages:
// deletion pending at AWS since Dec 8 10:42 UTC (status: deleting)".
func (d *PendingDeletion) Describe() string {
	return fmt.Sprintf("%s: deletion pending at %s since %s (status: %s)", d.Address, d.At, d.Since.UTC().Format("Jan 2 15:04 UTC"), d.Status)
}
