package engine

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"

	"github.com/athanor-iac/athanor/state"
)

// An operation waiting for a slot when the run is asked to stop must not
// start once a slot frees: the first interrupt starts nothing new.
func TestAcquireWaitingWhenStoppedStartsNothing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		stop := make(chan struct{})
		e, err := New(context.Background(), ModeApply, Options{Parallelism: 1, Stop: stop, Records: []state.Record{}})
		if err != nil {
			t.Fatal(err)
		}
		release, err := e.acquire(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		got := make(chan error, 1)
		go func() {
			rel, err := e.acquire(context.Background())
			if err == nil {
				rel()
			}
			got <- err
		}()
		synctest.Wait() // the second one is waiting for the slot
		close(stop)
		synctest.Wait()
		release()
		// A hang here is a deadlock synctest reports.
		if err := <-got; !errors.Is(err, ErrInterrupted) {
			t.Fatalf("acquire after stop: %v, want ErrInterrupted", err)
		}
	})
}
