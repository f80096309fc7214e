package pgstore

import "github.com/athanor-iac/athanor/state"

// CrashLock ends a lock's session without removing its info row, as a killed
// holder does.
func CrashLock(u state.Unlocker) error { return u.(*lock).crash() }
