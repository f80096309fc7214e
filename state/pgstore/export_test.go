package pgstore

import (
	"time"

	"github.com/athanor-iac/athanor/state"
)

// CrashLock ends a lock's session without removing its info row, as a killed
// holder does.
func CrashLock(u state.Unlocker) error { return u.(*lock).crash() }

// LockPID returns the backend pid of the database session holding u's
// advisory lock, for tests that end that session.
func LockPID(u state.Unlocker) uint32 { return u.(*lock).pid }

// SetUnlockTimeout shortens how long u's Unlock waits for the server.
func SetUnlockTimeout(u state.Unlocker, d time.Duration) { u.(*lock).timeout = d }
