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

// A rate limit whose status calls hang (a slow or unreachable regional
// endpoint, tokens to spare) holds no more than its share of the
// concurrent polls: another rate limit's request with a wait of its own
// gets a slot and is seen finished.
func TestSchedulerSlowRateLimitLeavesSlots(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sched := NewScheduler()
		coldAPI := &statusAPI{}
		coldAPI.done.Store(true)
		cold := NewWithAPI(coldAPI, Options{Scheduler: sched, PollMin: 50 * time.Millisecond})
		coldDone := waitAsync(cold, context.Background(), "cold")
		synctest.Wait() // the cold wait is registered: two rate limits now share the slots
		hang := make(chan struct{})
		hotAPI := &statusAPI{gate: hang, entered: make(chan struct{}, 1)}
		hot := NewRateLimit(1000)
		ctx, cancel := context.WithCancel(context.Background())
		defer func() {
			cancel()
			close(hang)
			idleOut()
		}()
		slots := cap(sched.pl.slots)
		for i := range slots + 8 {
			// One provider a wait (roles into one account and region), so
			// that no sweep gathers them into one call.
			p := NewWithAPI(hotAPI, Options{Scheduler: sched, RateLimit: hot, PollMin: time.Millisecond})
			waitAsync(p, ctx, fmt.Sprintf("hot-%d", i))
		}
		time.Sleep(10 * time.Millisecond) // the bubble's time: the hot polls are due and hang
		sched.pl.mu.Lock()
		held := sched.pl.inflight[hot.a]
		sched.pl.mu.Unlock()
		if want := slots / 2; held != want {
			t.Errorf("the hanging rate limit holds %d polls, want its share %d of %d", held, want, slots)
		}
		expectDone(t, "the other rate limit's wait", coldDone)
	})
}

// When several rate limits have due requests, the one with the fewest
// polls under way goes first, even before an older request of a busier
// one: the oldest-first rule alone would serve a busy account and region
// ahead of one that waits with nothing under way.
func TestSchedulerPicksFewestPollsFirst(t *testing.T) {
	sched := NewScheduler()
	busy := NewWithAPI(&statusAPI{}, Options{Scheduler: sched, PollMin: time.Millisecond})
	idle := NewWithAPI(&statusAPI{}, Options{Scheduler: sched, PollMin: time.Millisecond})
	pl := sched.pl
	pl.mu.Lock()
	defer pl.mu.Unlock()
	now := time.Now()
	polling := &waiter{p: busy, submitted: now.Add(-time.Minute), polling: true}
	older := &waiter{p: busy, token: "older", submitted: now.Add(-30 * time.Second)}
	younger := &waiter{p: idle, token: "younger", submitted: now.Add(-time.Second)}
	for _, w := range []*waiter{polling, older, younger} {
		pl.add(w)
	}
	pl.inflight[busy.limiter] = 1
	if got, _ := pl.pick(now); got != younger {
		t.Fatalf("picked %q, want the request of the rate limit with no poll under way (%q)", token(got), younger.token)
	}
	// With the polls under way even, the oldest due request goes first.
	pl.inflight[idle.limiter] = 1
	if got, _ := pl.pick(now); got != older {
		t.Fatalf("picked %q, want the oldest due request (%q)", token(got), older.token)
	}
}

func token(w *waiter) string {
	if w == nil {
		return "none"
	}
	return w.token
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
