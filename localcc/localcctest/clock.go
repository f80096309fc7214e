package localcctest

import (
	"sync"
	"time"
)

// Clock is a localcc.Clock for an endpoint that whole runs talk to. It
// follows real time, so that runs finish on their own, unlike a
// localcc.ManualClock; a test moves it on to finish requests at once
// (Advance past the longest latency, then one status call), or stops it
// to keep requests in flight for as long as it needs them there. Its zero
// value is real time. It is safe for concurrent use.
type Clock struct {
	mu      sync.Mutex
	offset  time.Duration
	stopped bool
	at      time.Time // while stopped
}

// Now is the endpoint's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopped {
		return c.at
	}
	return time.Now().Add(c.offset)
}

// Advance moves the clock on by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset += d
	c.at = c.at.Add(d)
}

// Stop holds the clock where it is: no request completes until Start (or
// an Advance past its completion).
func (c *Clock) Stop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.stopped {
		c.stopped, c.at = true, time.Now().Add(c.offset)
	}
}

// Start lets a stopped clock follow real time again: the time it stood
// still passes at once, so that the requests it held are as far along as
// if it had never stopped.
func (c *Clock) Start() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stopped = false
}
