package engine

import (
	"context"
	"errors"
	"testing"

	"github.com/athanor-iac/athanor/state"
)

// lostStore is a store whose lock was lost: every write says so.
type lostStore struct{ state.Store }

func (lostStore) Put(context.Context, state.Record) error {
	return &state.LockLostError{Stage: "test", Cause: "the session ended"}
}

func (lostStore) Delete(context.Context, string) error {
	return &state.LockLostError{Stage: "test", Cause: "the session ended"}
}

// Once a state write finds the lock lost, no operation starts: it could not
// record its intent.
func TestLockLostStartsNothing(t *testing.T) {
	for _, write := range []string{"put", "forget"} {
		t.Run(write, func(t *testing.T) {
			e, err := New(context.Background(), ModeApply, Options{Store: lostStore{}, Records: []state.Record{}})
			if err != nil {
				t.Fatal(err)
			}
			if write == "put" {
				err = e.put(context.Background(), &state.Record{LogicalID: "A", Type: "AWS::S3::Bucket"})
			} else {
				err = e.forget(context.Background(), "A")
			}
			var ll *state.LockLostError
			if !errors.As(err, &ll) {
				t.Fatalf("%s with the lock lost: %v; want the *state.LockLostError", write, err)
			}
			if rel, err := e.acquire(context.Background()); !errors.Is(err, ErrInterrupted) {
				if err == nil {
					rel()
				}
				t.Fatalf("acquire after the lock was lost: %v; want ErrInterrupted", err)
			}
		})
	}
}
