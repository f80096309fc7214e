package cloudcontrol

import (
	"context"
	"testing"
	"testing/synctest"
	"time"
)

// The limiter's tests run in synctest bubbles: time is the bubble's, and
// moves only when every goroutine of the test waits for it, so that a
// second of it passes at once and exactly.

// Throttling keeps cutting the rate while it lasts: the slow recovery
// between cuts does not make the next throttle look like part of the last
// burst.
func TestLimiterKeepsCuttingAfterRecovering(t *testing.T) {
	synctest.Test(t, testLimiterKeepsCuttingAfterRecovering)
}

func testLimiterKeepsCuttingAfterRecovering(t *testing.T) {
	a := newAdaptiveLimiter(40)
	a.last = time.Now().Add(-time.Hour) // long after it started
	a.throttled()
	first := float64(a.lim.Limit())
	if first >= 40 {
		t.Fatalf("rate %v after a throttle, want below 40", first)
	}
	// The bubble's time: over a second after the first cut.
	time.Sleep(1100 * time.Millisecond)
	if err := a.wait(context.Background()); err != nil { // recovers a little
		t.Fatal(err)
	}
	recovered := float64(a.lim.Limit())
	a.throttled() // more than a second after the first cut
	if got := float64(a.lim.Limit()); got >= recovered || got >= first {
		t.Fatalf("a throttle %s after the first cut left the rate at %v (first cut to %v, recovered to %v)", 1100*time.Millisecond, got, first, recovered)
	}
	idleOut()
}

// A cut applies at once to callers already waiting: tokens are handed out
// one at a time at the current rate, not reserved ahead at the old one.
func TestLimiterCutAppliesToWaiters(t *testing.T) {
	synctest.Test(t, testLimiterCutAppliesToWaiters)
}

func testLimiterCutAppliesToWaiters(t *testing.T) {
	a := newAdaptiveLimiter(20) // burst 2
	granted := make(chan time.Time, 100)
	for i := 0; i < 100; i++ {
		go func() {
			if a.wait(context.Background()) == nil {
				granted <- time.Now()
			}
		}()
	}
	for i := 0; i < 4; i++ { // the burst is spent
		<-granted
	}
	a.mu.Lock()
	a.lim.SetLimit(5)
	a.last = time.Now() // no recovery during the test
	a.mu.Unlock()
	<-granted // the token already taken at the old rate
	start := time.Now()
	for i := 0; i < 5; i++ {
		<-granted
	}
	// Five tokens at 5/s take about a second; reserved ahead at 20/s they
	// would take a quarter of that.
	if took := time.Since(start); took < 600*time.Millisecond {
		t.Fatalf("five calls after a cut to 5/s took %s: the cut did not apply to waiting callers", took)
	}
	idleOut()
}
