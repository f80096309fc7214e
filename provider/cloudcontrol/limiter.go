package cloudcontrol

import (
	"context"
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// adaptiveLimiter is a token bucket whose rate drops by a tenth when the
// service throttles (at most once a second: a burst of throttled calls is
// one signal) and creeps back up by 2 % a second while it does not, so it
// settles just under the rate the service allows. Calls that start work
// (submissions, reads) go before status polls.
//
// Tokens are handed out one at a time by a dispatcher, not reserved ahead
// by each caller: with a thousand callers waiting, reservations made at
// the old rate would keep firing after a cut, throttling on for tens of
// seconds and driving the rate down to nothing.
type adaptiveLimiter struct {
	mu      sync.Mutex
	lim     *rate.Limiter
	ceiling float64
	last    time.Time // last change of the rate
	cut     time.Time // last cut of the rate
	high    []chan struct{}
	low     []chan struct{}
	running bool
	wake    chan struct{}
}

func newAdaptiveLimiter(rps float64) *adaptiveLimiter {
	return &adaptiveLimiter{lim: rate.NewLimiter(rate.Limit(rps), max(1, int(rps/10))), ceiling: rps, last: time.Now(), wake: make(chan struct{}, 1)}
}

// recover raises the rate by 2 % a second since the last change. Called
// with a.mu held.
func (a *adaptiveLimiter) recover() {
	if cur := float64(a.lim.Limit()); cur < a.ceiling {
		if secs := time.Since(a.last).Seconds(); secs >= 1 {
			a.lim.SetLimit(rate.Limit(math.Min(a.ceiling, cur*math.Pow(1.02, secs))))
			a.last = time.Now()
		}
	}
}

// wait waits for a token for a call that starts work.
func (a *adaptiveLimiter) wait(ctx context.Context) error { return a.acquire(ctx, true) }

// waitLow waits for a token while no call that starts work is waiting.
func (a *adaptiveLimiter) waitLow(ctx context.Context) error { return a.acquire(ctx, false) }

func (a *adaptiveLimiter) acquire(ctx context.Context, high bool) error {
	grant := make(chan struct{}, 1)
	a.mu.Lock()
	if high {
		a.high = append(a.high, grant)
	} else {
		a.low = append(a.low, grant)
	}
	if !a.running {
		a.running = true
		go a.dispatch()
	}
	a.mu.Unlock()
	select {
	case a.wake <- struct{}{}:
	default:
	}
	select {
	case <-grant:
		return nil
	case <-ctx.Done():
		a.mu.Lock()
		a.high, a.low = without(a.high, grant), without(a.low, grant)
		a.mu.Unlock()
		return ctx.Err()
	}
}

// queued is how many calls wait for a token.
func (a *adaptiveLimiter) queued() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.high) + len(a.low)
}

func without(q []chan struct{}, g chan struct{}) []chan struct{} {
	for i, x := range q {
		if x == g {
			return append(q[:i:i], q[i+1:]...)
		}
	}
	return q
}

// dispatch takes one token at a time at the current rate and gives it to
// the next waiter, high priority first. It stops after a second with no
// waiter.
func (a *adaptiveLimiter) dispatch() {
	idle := time.NewTimer(time.Second)
	defer idle.Stop()
	for {
		a.lim.Wait(context.Background()) // never fails without a deadline
		for {
			a.mu.Lock()
			a.recover()
			var g chan struct{}
			switch {
			case len(a.high) > 0:
				g, a.high = a.high[0], a.high[1:]
			case len(a.low) > 0:
				g, a.low = a.low[0], a.low[1:]
			}
			a.mu.Unlock()
			if g != nil {
				g <- struct{}{}
				break
			}
			if !idle.Stop() {
				select {
				case <-idle.C:
				default:
				}
			}
			idle.Reset(time.Second)
			select {
			case <-a.wake:
				continue
			case <-idle.C:
				a.mu.Lock()
				if len(a.high)+len(a.low) == 0 {
					a.running = false
					a.mu.Unlock()
					return
				}
				a.mu.Unlock()
			}
		}
	}
}

func (a *adaptiveLimiter) throttled() {
	a.mu.Lock()
	defer a.mu.Unlock()
	// Measured from the last cut, not the last change: recovery changes
	// the rate every second, and would otherwise hide every throttle.
	if time.Since(a.cut) < time.Second {
		return
	}
	a.lim.SetLimit(rate.Limit(math.Max(1, float64(a.lim.Limit())*0.9)))
	a.last = time.Now()
	a.cut = a.last
}
