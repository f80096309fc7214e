package athanor

import (
	"sync"
	"testing"
	"testing/synctest"
)

// The main function's Await lends and takes back a slot it holds (hold):
// when everything has ended, no slot is left taken. Without main's own
// slot, lend handed a queued function a slot main never had, and reclaim
// kept one for the rest of the run.
func TestMainsAwaitLeavesNoSlotTaken(t *testing.T) {
	synctest.Test(t, testMainsAwaitLeavesNoSlotTaken)
}

func testMainsAwaitLeavesNoSlotTaken(t *testing.T) {
	s := newGoSlots(2 + 1)
	s.hold()
	gate := make(chan struct{})
	var ran sync.WaitGroup
	for range 4 {
		ran.Add(1)
		s.start(func() { <-gate; ran.Done() })
	}
	lent := s.lend() // main waits in Await: a queued function gets its slot
	close(gate)
	ran.Wait()
	if lent {
		s.reclaim(nil)
	}
	s.release()
	synctest.Wait() // every goroutine of the slots has ended
	if n := len(s.taken); n != 0 {
		t.Fatalf("%d slots still taken after every function ended", n)
	}
}
