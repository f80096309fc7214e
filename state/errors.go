package state

import (
	"errors"
	"fmt"
	"strings"
)

// CorruptRecordError reports a stored record that cannot be trusted: it is
// truncated, fails its checksum, or does not match where it is stored. Load
// returns it instead of skipping the record, because skipping would make the
// engine forget, and so later duplicate, a real AWS resource.
type CorruptRecordError struct {
	Where     string // the file or object holding the record
	LogicalID string // the logical ID the location implies, if known
	App       string // see Locate
	Stage     string
	URL       string // the state URL; see Locate
	Err       error
}

// Error names the location and says how to recover.
func (e *CorruptRecordError) Error() string {
	id := e.LogicalID
	if id == "" {
		id = "<logicalID>"
	}
	return fmt.Sprintf("state record %s is unreadable: %v; athanor has not changed it. "+
		"Restore it from a backup, or check resource %s in AWS and then remove the record with `%s`",
		e.Where, e.Err, id, StageRef{URL: e.URL, App: e.App, Stage: e.Stage}.Command("state rm", id, "--yes"))
}

// Unwrap returns the underlying decoding error.
func (e *CorruptRecordError) Unwrap() error { return e.Err }

// StoreError is a backend that cannot be used at all: its bucket or
// database is missing, it refuses the credentials, or it cannot be reached.
// Backends return it from the first request that finds out, which is always
// before the engine touches a resource (opening the store, taking its lock,
// or loading it). Its message is one line: where, the cause, and what to
// check. Test for it with errors.As.
type StoreError struct {
	Where string // the backend's location, without password: s3://bucket/prefix, postgres host:port/db
	Cause string // what is wrong, in the user's terms: "bucket b does not exist"
	Check string // what to check or change: "create it, or correct the bucket in the state URL"
	Err   error  // the backend's error, for errors.As; not printed
}

// Error is "state <where>: <cause>; <check>".
func (e *StoreError) Error() string {
	return oneLine(fmt.Sprintf("state %s: %s; %s", e.Where, e.Cause, e.Check))
}

// Unwrap returns the backend's error.
func (e *StoreError) Unwrap() error { return e.Err }

// LockLostError is returned by every write of a run whose lock on the stage
// is gone: the database session holding it ended, it expired while the run
// could not renew it, or another run broke it. The run must stop writing at
// once, because another run may now hold the lock and write the same
// records; the next run resumes what this one left pending. Test for it
// with errors.As.
type LockLostError struct {
	Stage string
	Cause string // how the lock was lost, in the user's terms
	Err   error  // the backend's error, if any
}

// Error says the lock was lost, how, and what to do.
func (e *LockLostError) Error() string {
	return oneLine(fmt.Sprintf("lost the lock on stage %s: %s; this run stopped writing state. Run the command again: it resumes what this run left pending",
		e.Stage, e.Cause))
}

// Unwrap returns the backend's error.
func (e *LockLostError) Unwrap() error { return e.Err }

// oneLine folds a message onto one line: server messages sometimes carry
// newlines, and these errors are read in logs one line at a time.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// WrapBackendError is how a backend reports a failed operation: a
// *StoreError as it is, since its one line says all there is to say, and any
// other error as "<what> in <where>: <err>".
func WrapBackendError(what, where string, err error) error {
	var se *StoreError
	if errors.As(err, &se) {
		return err
	}
	return fmt.Errorf("%s in %s: %w", what, where, err)
}
