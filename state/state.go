// Package state records what the engine manages in each stage of an app, so
// that a later run, or a run resumed after a crash, knows which physical AWS
// resources belong to which logical IDs.
//
// State is a journal of intents, then facts: before the engine asks Cloud
// Control to create, update or delete a resource it writes the operation as a
// pending Intent, and after Cloud Control reports the outcome it writes the
// resulting fact. A crash at any instant therefore leaves either a finished
// record or an intent carrying the ClientToken needed to resume or reconcile
// the operation, never an AWS resource nobody knows about.
//
// Stores are opened by URL through a small registry of schemes (see Register
// and Open). Backends stay dumb: they store records, hold a lock and keep a
// stage's Meta where told; the bookkeeping of lineage and serial (see Meta)
// is done once, here, for every backend, on the store Open returns. The file backend, scheme "file", is built in: state.Open(ctx,
// "file://.athanor", app, stage) works without further imports. Every backend
// should pass the conformance suite in package statetest.
package state

import (
	"context"
	"time"
)

// Operation is what an Intent records: a Cloud Control operation.
type Operation string

// Operations an Intent can record. They match the Cloud Control operation
// names so that an intent can be compared with a ProgressEvent directly.
const (
	OpCreate Operation = "CREATE"
	OpUpdate Operation = "UPDATE"
	OpDelete Operation = "DELETE"
)

// Record is what the engine knows about one managed resource of a stage.
//
// Props and Outputs hold JSON values. Stores that decode JSON return numbers
// as json.Number so that large integers (account IDs, sizes) survive a round
// trip exactly instead of being rounded through float64.
type Record struct {
	LogicalID  string         `json:"logicalId"`
	Type       string         `json:"type"`                 // Cloud Control type name, e.g. AWS::EC2::FlowLog
	Identifier string         `json:"identifier,omitempty"` // primary identifier; empty while a create has not returned one
	Props      map[string]any `json:"props,omitempty"`      // the desired properties last applied
	Outputs    map[string]any `json:"outputs,omitempty"`    // the properties last read from AWS
	DependsOn  []string       `json:"dependsOn,omitempty"`  // logical IDs this resource depends on
	// Scope is the account and region the resource lives in, and how the
	// run reached them, when that is not the run's own (--profile,
	// --region); nil for the run's own.
	Scope *Scope `json:"scope,omitempty"`
	// Pending is an operation started and not yet known to be finished. It is
	// written before Cloud Control is called so that a crash leaves the
	// ClientToken behind for the next run to resume with.
	Pending *Intent `json:"pending,omitempty"`
	// Superseded lists earlier physical resources of this logical ID that a
	// replacement has not yet deleted, so that a crash between create and
	// delete leaves nothing untracked.
	Superseded []Superseded `json:"superseded,omitempty"`
	// Protect and RetainOnDelete are the options the resource was last
	// declared with. They are kept here so that they still hold when the
	// declaration is removed from the program: a protected resource is
	// not deleted because its code was, and a retained one is left in AWS.
	Protect        bool `json:"protect,omitempty"`
	RetainOnDelete bool `json:"retainOnDelete,omitempty"`
	// UpdatedAt is set by the caller; stores keep it as given.
	UpdatedAt time.Time `json:"updatedAt"`
}

// Intent is an operation the engine has started against Cloud Control and does
// not yet know to be finished.
type Intent struct {
	Operation    Operation `json:"operation"`              // OpCreate, OpUpdate or OpDelete
	Identifier   string    `json:"identifier,omitempty"`   // target of UPDATE/DELETE
	ClientToken  string    `json:"clientToken"`            // idempotency token sent with the request
	RequestToken string    `json:"requestToken,omitempty"` // set once Cloud Control answered
	// Props is the desired state sent with a CREATE, so that a resumed run can
	// resend exactly the same request with the same ClientToken.
	Props     map[string]any `json:"props,omitempty"`
	StartedAt time.Time      `json:"startedAt"`
}

// Superseded is an earlier physical resource of a logical ID that has been
// replaced but not yet deleted.
type Superseded struct {
	Identifier string         `json:"identifier"`
	Scope      *Scope         `json:"scope,omitempty"` // where it lives, as Record.Scope
	Props      map[string]any `json:"props,omitempty"`
	Pending    *Intent        `json:"pending,omitempty"`
}

// Store holds the state of one app's stage.
//
// Implementations must make every Put and Delete atomic and durable: a crash
// at any instant leaves either the old or the new record, never a torn one.
// A Put must cost O(size of that record), not O(size of the stage), because
// stages may hold 10,000 records and the engine writes one intent and one fact
// per operation. Methods must be safe for concurrent use, because the engine
// works on independent resources in parallel.
type Store interface {
	// Lock takes the stage's lock for this process, failing fast with a
	// *LockError if someone else holds it. The lock is held until the
	// returned Unlocker's Unlock is called. Use StaleLock on the Unlocker to
	// learn whether a previous holder ended without unlocking.
	Lock(ctx context.Context, info LockInfo) (Unlocker, error)
	// Load returns every record, sorted by LogicalID. A corrupted or
	// truncated record is an error that names where it is stored and says
	// what to do; it is never silently skipped and never modified.
	Load(ctx context.Context) ([]Record, error)
	// Put creates or replaces the record with r.LogicalID.
	Put(ctx context.Context, r Record) error
	// Delete removes the record with logicalID. Deleting a record that does
	// not exist is not an error, so that a resumed run can repeat it.
	Delete(ctx context.Context, logicalID string) error
	// Close releases what the store holds open (a database pool, idle
	// connections). It does not release a lock taken through the store:
	// that is the Unlocker's job. A store is not used after Close.
	Close() error
}

// Unlocker releases a lock taken by Store.Lock. Unlock is idempotent.
type Unlocker interface {
	Unlock() error
}

// StaleReporter is implemented by Unlockers that can tell whether the lock
// they took had been left behind by a holder that ended without unlocking
// (killed, crashed, lost power). The engine uses it to warn that the previous
// run may have left pending intents to resume.
type StaleReporter interface {
	// StaleLock returns the previous holder's info and true if the lock was
	// left behind. The info may be zero if the previous holder's record of
	// itself was unreadable.
	StaleLock() (LockInfo, bool)
}

// StaleLock reports whether the lock held by u had been left behind by a
// previous holder that ended without unlocking, and who that was. It returns
// false for Unlockers that cannot tell.
func StaleLock(u Unlocker) (LockInfo, bool) {
	if r, ok := u.(StaleReporter); ok {
		return r.StaleLock()
	}
	return LockInfo{}, false
}

// LockReader is implemented by stores that can report who holds their lock
// without taking it; see ReadLock.
type LockReader interface {
	// ReadLock returns the holder's info and whether the lock is held now.
	// If the lock is free but a previous holder left its info behind, it
	// returns that info and false.
	ReadLock(ctx context.Context) (LockInfo, bool, error)
}

// ForceUnlocker is implemented by stores whose lock can be broken by another
// process, for `athanor state unlock`; see ForceUnlock.
type ForceUnlocker interface {
	// ForceUnlock breaks the lock and returns the info of the holder it
	// removed, or a zero LockInfo if the stage was not locked.
	ForceUnlock(ctx context.Context) (LockInfo, error)
}

// StageLister is implemented by stores that can list the stages of their app;
// see Stages.
type StageLister interface {
	Stages(ctx context.Context) ([]string, error)
}
