package state

import (
	"fmt"
	"strings"
	"time"
)

// LockInfo says who holds an environment's lock and why. Backends store it
// with the lock so that a second stagecraft can tell the user whom they are
// waiting for and how to break the lock if that process is gone.
type LockInfo struct {
	// ID identifies this lock for `stagecraft state unlock ID`. Lock
	// generates one when it is empty.
	ID string `json:"id"`
	// Operation is the command holding the lock ("plan", "apply").
	Operation string `json:"operation"`
	// Who is the user running the command; Lock fills in the current user
	// when it is empty.
	Who string `json:"who"`
	// Host is the machine running the command; Lock fills in the host name
	// when it is empty.
	Host string `json:"host"`
	// PID is the process holding the lock; Lock fills in the current process
	// when it is zero.
	PID int `json:"pid"`
	// Created is when the lock was taken; Lock fills in the current time
	// when it is zero.
	Created time.Time `json:"created"`
	// Path is where the backend keeps the lock (a file path or an object
	// key); set by Lock.
	Path string `json:"path"`
}

// holder describes the lock holder as "who@host (PID n)", leaving out what
// is unknown.
func (li LockInfo) holder() string {
	var b strings.Builder
	switch {
	case li.Who != "" && li.Host != "":
		b.WriteString(li.Who + "@" + li.Host)
	case li.Who != "":
		b.WriteString(li.Who)
	case li.Host != "":
		b.WriteString(li.Host)
	default:
		b.WriteString("another process")
	}
	if li.PID != 0 {
		fmt.Fprintf(&b, " (PID %d)", li.PID)
	}
	return b.String()
}

// LockedError is returned by Backend.Lock when someone else holds the
// environment's lock. Lock fails fast with it instead of waiting, so that a
// user is never left staring at a command that hangs.
type LockedError struct {
	// Environment is the environment whose state is locked.
	Environment string
	// Info is what the holder recorded; fields may be empty when the holder
	// had not yet written them.
	Info LockInfo
}

// Error says who holds the lock, since when and for what, and how to break
// it if the holder is gone.
func (e *LockedError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "state for environment %q is locked by %s", e.Environment, e.Info.holder())
	if !e.Info.Created.IsZero() {
		b.WriteString(" since " + e.Info.Created.UTC().Format(time.RFC3339))
	}
	if e.Info.Operation != "" {
		b.WriteString(" for " + e.Info.Operation)
	}
	if e.Info.ID == "" {
		b.WriteString("; wait for it to finish")
		if e.Info.Path != "" {
			b.WriteString(", or remove " + e.Info.Path + " if that process is gone")
		}
		return b.String()
	}
	fmt.Fprintf(&b, " (lock ID %s); wait for it to finish, or run `stagecraft state unlock %s` if that process is gone", e.Info.ID, e.Info.ID)
	return b.String()
}
