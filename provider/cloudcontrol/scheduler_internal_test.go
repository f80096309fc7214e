package cloudcontrol

import (
	"context"
	"fmt"
	"testing"
	"testing/synctest"
	"time"
)

// Providers sharing a scheduler take turns: one whose rate limit is
// exhausted (a throttled account and region with many requests in flight)
// does not hold up the polls of another.
//
// It runs in a synctest bubble: time is the bubble's, and moves only when
// every goroutine of the test waits for it, so that the test is exact and
// takes no time.
func TestSharedSchedulerIsFairAcrossProviders(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sched := NewScheduler()
		fast := Options{Scheduler: sched, PollMin: time.Millisecond, PollGap: time.Millisecond, PollMax: time.Millisecond}
		slow := fast
		slow.RequestsPerSecond = 0.01 // one token at first, then one per 100 s
		hot := NewWithAPI(&statusAPI{}, slow)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		for i := range 64 { // never finish: the hot provider's polls queue for tokens
			waitAsync(hot, ctx, fmt.Sprintf("hot-%d", i))
		}
		time.Sleep(20 * time.Millisecond) // the bubble's time: every hot wait is due and waiting for a token
		api := &statusAPI{}
		api.done.Store(true)
		cold := NewWithAPI(api, fast)
		expectDone(t, "a wait of another provider", waitAsync(cold, context.Background(), "cold"))
		cancel()
		idleOut()
	})
}

// The polls of providers sharing a rate limit (two roles into one account
// and region) take one share, not one each: they wait for the same tokens.
func TestSchedulerSharesByRateLimit(t *testing.T) {
	sched := NewScheduler()
	hot := NewRateLimit(1)
	deploy := NewWithAPI(&statusAPI{}, Options{Scheduler: sched, RateLimit: hot})
	audit := NewWithAPI(&statusAPI{}, Options{Scheduler: sched, RateLimit: hot})
	other := NewWithAPI(&statusAPI{}, Options{Scheduler: sched})
	pl := sched.pl
	pl.mu.Lock()
	defer pl.mu.Unlock()
	for _, p := range []*Provider{deploy, audit, other} {
		pl.add(&waiter{p: p})
	}
	if got, want := pl.share(), cap(pl.slots)/2; got != want {
		t.Fatalf("share %d with two rate limits in flight (one of them two providers'), want %d", got, want)
	}
}
