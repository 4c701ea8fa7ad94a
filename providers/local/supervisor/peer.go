package supervisor

import (
	"fmt"
	"os"
)

// The supervisor's socket is a door into the user's processes and
// carries secret values, so both ends check who is on the other side:
// the CLI connects only to a supervisor of its own user, before it sends
// anything, and the supervisor serves only connections of its own user.

// PeerError says that the other end of the socket belongs to another user.
// Nothing has been sent when a client gets it.
type PeerError struct {
	Socket string
	UID    int
}

func (e *PeerError) Error() string {
	return fmt.Sprintf("the socket %s is served by another user (uid %d, you are uid %d), so nothing was sent to it; remove it and run the command again", e.Socket, e.UID, os.Getuid())
}
