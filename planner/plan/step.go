package plan

import "github.com/stagecraft/stagecraft/stacks/addrs"

// MigrationStep is one step of a plan, in an order apply may run them
// (steps that do not depend on each other run at the same time).
type MigrationStep struct {
	// Address is the resource instance the step changes.
	Address addrs.Instance
	// Action is what the step does: create, update, roll, resize, shift,
	// replace or delete.
	Action      string
	Description string
}
