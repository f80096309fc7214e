package localcctest

import (
	"context"
	"log/slog"
	"sync"
)

// Calls hears of every API call a local endpoint answers, as the
// endpoint's Options.Logger (slog.New(calls)): right after the call took
// effect and before its answer is written. A test waits for a call with
// After instead of polling the endpoint's metrics, or acts at a call with
// OnEach. Its zero value is ready to use.
type Calls struct {
	mu      sync.Mutex
	waiters []*waiter
	each    func(op string)
}

type waiter struct {
	ops  []string // still to be answered, in this order
	done chan struct{}
}

// After returns a channel closed once the endpoint has answered ops
// ("CreateResource", "GetResourceRequestStatus", ...) one after the
// other, with any other calls in between. Only calls answered after
// After returns count.
func (c *Calls) After(ops ...string) <-chan struct{} {
	w := &waiter{ops: ops, done: make(chan struct{})}
	if len(ops) == 0 {
		close(w.done)
		return w.done
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.waiters = append(c.waiters, w)
	return w.done
}

// OnEach calls fn with the operation of every call the endpoint answers
// from now on, on the endpoint's goroutine; nil stops.
func (c *Calls) OnEach(fn func(op string)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.each = fn
}

// Enabled is part of slog.Handler: every record is wanted.
func (c *Calls) Enabled(context.Context, slog.Level) bool { return true }

// WithAttrs is part of slog.Handler.
func (c *Calls) WithAttrs([]slog.Attr) slog.Handler { return c }

// WithGroup is part of slog.Handler.
func (c *Calls) WithGroup(string) slog.Handler { return c }

// Handle is part of slog.Handler: it takes the endpoint's line for a call
// (message "call", attribute "op") and ignores every other.
func (c *Calls) Handle(_ context.Context, r slog.Record) error {
	if r.Message != "call" {
		return nil
	}
	op := ""
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "op" {
			op = a.Value.String()
		}
		return op == ""
	})
	c.mu.Lock()
	each := c.each
	waiting := c.waiters[:0]
	for _, w := range c.waiters {
		if w.ops[0] == op {
			w.ops = w.ops[1:]
		}
		if len(w.ops) == 0 {
			close(w.done)
			continue
		}
		waiting = append(waiting, w)
	}
	c.waiters = waiting
	c.mu.Unlock()
	if each != nil {
		each(op)
	}
	return nil
}
