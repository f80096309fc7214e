package s3store

import "github.com/athanor-iac/athanor/state"

// CrashLock stops renewing a lock without releasing it, as a killed holder
// does; the lock expires after its TTL.
func CrashLock(u state.Unlocker) { u.(*lock).crash() }
