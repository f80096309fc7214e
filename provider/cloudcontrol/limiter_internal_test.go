package cloudcontrol

import (
	"context"
	"testing"
	"time"
)

// Throttling keeps cutting the rate while it lasts: the slow recovery
// between cuts does not make the next throttle look like part of the last
// burst.
func TestLimiterKeepsCuttingAfterRecovering(t *testing.T) {
	a := newAdaptiveLimiter(40)
	a.last = time.Now().Add(-time.Hour) // long after it started
	a.throttled()
	first := float64(a.lim.Limit())
	if first >= 40 {
		t.Fatalf("rate %v after a throttle, want below 40", first)
	}
	time.Sleep(1100 * time.Millisecond)
	if err := a.wait(context.Background()); err != nil { // recovers a little
		t.Fatal(err)
	}
	recovered := float64(a.lim.Limit())
	a.throttled() // more than a second after the first cut
	if got := float64(a.lim.Limit()); got >= recovered || got >= first {
		t.Fatalf("a throttle %s after the first cut left the rate at %v (first cut to %v, recovered to %v)", 1100*time.Millisecond, got, first, recovered)
	}
}
