package state

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/user"
	"strings"
	"time"
)

// LockInfo says who holds a stage's lock. It is stored with the lock so that a
// second run that is refused can tell the user whom to wait for, and so that a
// run that finds a lock left behind can say which run died.
type LockInfo struct {
	ID        string    `json:"id"`        // random, unique per Lock call
	Who       string    `json:"who"`       // user@host
	PID       int       `json:"pid"`       // process ID of the holder on that host
	Operation string    `json:"operation"` // the command holding the lock: up, destroy, ...
	Created   time.Time `json:"created"`
	Version   string    `json:"version"` // athanor version of the holder
}

// NewLockInfo describes the current process as a lock holder running
// operation (up, destroy, ...) with athanor version.
func NewLockInfo(operation, version string) LockInfo {
	return LockInfo{
		ID:        NewID(),
		Who:       whoAmI(),
		PID:       os.Getpid(),
		Operation: operation,
		Created:   time.Now().UTC().Truncate(time.Second),
		Version:   version,
	}
}

// Complete fills the fields a caller left empty, so that a refused run
// always has a holder to show. Backends call it on the info they store.
func (i LockInfo) Complete() LockInfo {
	if i.ID == "" {
		i.ID = NewID()
	}
	if i.Who == "" {
		i.Who = whoAmI()
	}
	if i.PID == 0 {
		i.PID = os.Getpid()
	}
	if i.Created.IsZero() {
		i.Created = time.Now().UTC().Truncate(time.Second)
	}
	return i
}

// String describes the holder for messages: "alice@host (pid 123, up, since 2026-11-24T05:00:00Z)".
func (i LockInfo) String() string {
	who := i.Who
	if who == "" {
		who = "an unknown holder"
	}
	var details []string
	if i.PID != 0 {
		details = append(details, fmt.Sprintf("pid %d", i.PID))
	}
	if i.Operation != "" {
		details = append(details, i.Operation)
	}
	if !i.Created.IsZero() {
		details = append(details, "since "+i.Created.UTC().Format(time.RFC3339))
	}
	if len(details) == 0 {
		return who
	}
	return who + " (" + strings.Join(details, ", ") + ")"
}

// LockError is returned when another holder has the lock; Info describes it.
// Test for it with errors.As.
type LockError struct {
	App, Stage string
	URL        string // the state URL; see Locate
	Info       LockInfo
	Err        error // the backend's underlying error, if any
	// Live says the holder is known to be alive, so that `athanor state
	// unlock` cannot break the lock and is not suggested.
	Live bool
}

// Error says who holds the lock and what the user can do about it.
func (e *LockError) Error() string {
	stage := e.Stage
	if stage == "" {
		stage = "<stage>"
	}
	if e.Live {
		return fmt.Sprintf("state of stage %s is locked by %s", stage, e.Info)
	}
	return fmt.Sprintf("state of stage %s is locked by %s; wait for that run to finish, or if it is gone, run `%s`",
		stage, e.Info, StageRef{URL: e.URL, App: e.App, Stage: e.Stage}.Command("state unlock"))
}

// Unwrap returns the backend's underlying error.
func (e *LockError) Unwrap() error { return e.Err }

// NewID returns a random 128-bit identifier in hex, for lock IDs and
// state lineages.
func NewID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return hex.EncodeToString(b[:])
}

func whoAmI() string {
	name := "unknown"
	if u, err := user.Current(); err == nil && u.Username != "" {
		name = u.Username
	}
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "unknown"
	}
	return name + "@" + host
}
