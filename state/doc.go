// Package state records what an environment's last apply left behind: the
// applied stage, every resource's id, attributes and dependencies, and the
// outputs. It also holds the backends that store that record (a local file
// locked with flock, or objects in a store such as S3 in package state/s3), the
// append-only journal that makes an apply crash-safe.
//
// The planner drives a backend in this order:
//
//  1. Lock the environment (fails fast with *LockedError if someone else holds it).
//  2. Recover (or Read) the state; Recover also returns the intents a crashed
//     apply left unresolved and the notes it recorded.
//  3. Check a saved plan against the state (planfile.File.CheckFresh).
//  4. Write the state once if it has never been persisted (Journal needs a
//     persisted state to anchor its entries).
//  5. Open the Journal and Append an entry after every provider operation.
//  6. Write the final state, which clears the journal; Close the journal; unlock.
package state
