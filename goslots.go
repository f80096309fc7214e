package athanor

import "sync"

// goSlots bound the functions started with App.Go that run at once. A
// function that finds every slot taken waits in a queue as a closure, not
// as a goroutine: a program that declares 10,000 resources with app.Go
// would otherwise hold 10,000 goroutine stacks, most of them only
// waiting. A goroutine whose function returns runs the next one queued.
type goSlots struct {
	taken chan struct{} // one token per slot taken; its capacity is the bound

	mu    sync.Mutex
	queue []func() // functions waiting for a slot, oldest first
}

func newGoSlots(n int) *goSlots { return &goSlots{taken: make(chan struct{}, n)} }

// hold takes a slot for the program's main function, which Await may lend
// like any other's: without one, main's Await lent a slot it did not have
// and reclaim kept it for the rest of the run. The slots are made one more
// than the bound for it.
func (s *goSlots) hold() { s.taken <- struct{}{} }

// release gives the main function's slot to the oldest queued function,
// or frees it.
func (s *goSlots) release() {
	if fn := s.next(); fn != nil {
		go s.run(fn)
	}
}

// start runs fn in a goroutine of its own once a slot is free.
func (s *goSlots) start(fn func()) {
	s.mu.Lock()
	select {
	case s.taken <- struct{}{}:
		s.mu.Unlock()
		go s.run(fn)
	default:
		s.queue = append(s.queue, fn)
		s.mu.Unlock()
	}
}

// run runs fn, then the functions queued meanwhile, in the slot fn took.
func (s *goSlots) run(fn func()) {
	for fn != nil {
		fn()
		fn = s.next()
	}
}

// next hands the caller's slot to the oldest queued function, or frees
// it when none waits.
func (s *goSlots) next() func() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if fn := s.pop(); fn != nil {
		return fn
	}
	// Never blocks: a slot not taken back after a cancelled Await (see
	// reclaim) leaves one token fewer.
	select {
	case <-s.taken:
	default:
	}
	return nil
}

// lend gives a slot to another function while the caller waits in Await:
// the oldest queued one, which may be the one it waits for, or any
// started later. It reports whether a slot was lent, to be taken back
// with reclaim.
func (s *goSlots) lend() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if fn := s.pop(); fn != nil {
		go s.run(fn)
		return true
	}
	select {
	case <-s.taken:
		return true
	default:
		return false
	}
}

// pop takes the oldest queued function out, or returns nil. Called with
// mu held.
func (s *goSlots) pop() func() {
	if len(s.queue) == 0 {
		return nil
	}
	fn := s.queue[0]
	s.queue[0] = nil
	s.queue = s.queue[1:]
	return fn
}

// reclaim takes a lent slot back, waiting for one to be free, unless done
// closes first.
func (s *goSlots) reclaim(done <-chan struct{}) {
	select {
	case s.taken <- struct{}{}:
	case <-done:
	}
}
