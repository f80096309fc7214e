package s3store

import (
	"context"
	"time"

	"github.com/athanor-iac/athanor/state"
)

// CrashLock stops renewing a lock without releasing it, as a killed holder
// does; the lock expires after its TTL.
func CrashLock(u state.Unlocker) { u.(*lock).crash() }

// ExpireLock crashes a lock and then makes its TTL pass at once, by
// rewriting the lock object with an expiry in the past, so that tests of a
// dead holder need not wait for the TTL.
func ExpireLock(u state.Unlocker) error {
	l := u.(*lock)
	l.stopRenewing()
	l.mu.Lock()
	defer l.mu.Unlock()
	_, err := l.s.writeLock(context.Background(), lockObject{Holder: &l.info, Expires: time.Now().Add(-time.Second)}, l.etag)
	l.etag = ""
	return err
}

// SetClock makes s, a store returned by Open, judge lock expiry by now.
// Call it before Lock.
func SetClock(s state.Store, now func() time.Time) { s.(*Store).now = now }

// RenewNow renews u's lock once, as its renewal goroutine does every third
// of the TTL, and returns the loss of the lock if that is what it found.
func RenewNow(u state.Unlocker) error { return u.(*lock).renewOnce(context.Background()) }
