package cloudcontrol

import (
	"context"
	"crypto/rand"
	"fmt"
	"math"
	mrand "math/rand/v2"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdk "github.com/aws/aws-sdk-go-v2/service/cloudcontrol"
	"github.com/aws/aws-sdk-go-v2/service/cloudcontrol/types"
	"golang.org/x/time/rate"
)

// NewClientToken returns a fresh idempotency token (a random UUID).
func NewClientToken() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

func terminal(s types.OperationStatus) bool {
	return s == types.OperationStatusSuccess || s == types.OperationStatusFailed || s == types.OperationStatusCancelComplete
}

// wait waits for a request to finish, through the provider's poller.
func (p *Provider) wait(ctx context.Context, ev *types.ProgressEvent) (*types.ProgressEvent, error) {
	if terminal(ev.OperationStatus) {
		return ev, nil
	}
	return p.poller.wait(ctx, p, ev)
}

// Scheduler is a poll scheduler that several providers share
// (Options.Scheduler): a run reaching many accounts and regions has one
// provider per role, account and region, one rate limit per account and
// region, and one scheduler that spreads status calls fairly over the
// rate limits.
type Scheduler struct{ pl *poller }

// NewScheduler returns a scheduler for providers to share.
func NewScheduler() *Scheduler { return &Scheduler{pl: newPoller()} }

// poller is the one scheduler of status calls for every request the
// providers that share it have in flight. It spends each provider's
// request budget where completions are likely:
//
//   - A request is first polled after the shortest time a request of its
//     type and operation has taken in this run (or PollMin before any has
//     finished), since none can finish sooner.
//   - After that it is due again after a gap that grows with its age (4 %
//     of it, within PollGap..PollMax), so a request is seen finished within
//     a few percent of its duration at a cost that grows only with the
//     logarithm of the duration.
//   - RetryAfter, when the service gives it, is honoured.
//   - When the rate limit, not the clock, is the bottleneck, the oldest due
//     request is polled first: it is the likeliest to be finished.
//   - Polls yield to submissions, so work starts as early as possible.
//   - Rate limits take turns: the due request of the rate limit (account
//     and region) with the fewest polls under way goes first, and none
//     holds more than its share of the concurrent polls, so the providers
//     of an exhausted rate limit (a throttled account and region, however
//     many roles reach it) wait for their tokens without holding up the
//     others'.
type poller struct {
	mu       sync.Mutex
	reqs     map[*waiter]bool         // by waiter, not token: a token may be awaited twice
	inflight map[*adaptiveLimiter]int // polls under way, by the rate limit they spend
	running  bool
	wake     chan struct{}
	learned  map[string]time.Duration // type|operation → shortest duration seen
	slots    chan struct{}            // bounds concurrent status calls
}

type waiter struct {
	p               *Provider
	ctx             context.Context // the waiting caller's: its polls end with it
	token, typeName string
	op              types.Operation
	submitted       time.Time
	lastPoll        time.Time
	notBefore       time.Time
	polling         bool
	done            chan waitResult
}

type waitResult struct {
	ev  *types.ProgressEvent
	err error
}

func newPoller() *poller {
	return &poller{reqs: map[*waiter]bool{}, inflight: map[*adaptiveLimiter]int{}, wake: make(chan struct{}, 1), learned: map[string]time.Duration{}, slots: make(chan struct{}, 32)}
}

func (pl *poller) wait(ctx context.Context, p *Provider, ev *types.ProgressEvent) (*types.ProgressEvent, error) {
	w := &waiter{
		p:         p,
		ctx:       ctx,
		token:     aws.ToString(ev.RequestToken),
		typeName:  aws.ToString(ev.TypeName),
		op:        ev.Operation,
		submitted: time.Now(),
		done:      make(chan waitResult, 1),
	}
	if ev.RetryAfter != nil {
		w.notBefore = *ev.RetryAfter
	}
	pl.mu.Lock()
	pl.reqs[w] = true
	if !pl.running {
		pl.running = true
		go pl.loop()
	}
	pl.mu.Unlock()
	pl.kick()
	select {
	case r := <-w.done:
		return r.ev, r.err
	case <-ctx.Done():
		pl.mu.Lock()
		delete(pl.reqs, w)
		pl.mu.Unlock()
		return nil, ctx.Err()
	}
}

func (pl *poller) kick() {
	select {
	case pl.wake <- struct{}{}:
	default:
	}
}

func learnKey(typeName string, op types.Operation) string { return typeName + "|" + string(op) }

// due is when w should next be polled. Called with pl.mu held.
func (pl *poller) due(w *waiter) time.Time {
	opts := w.p.opts
	var t time.Time
	if w.lastPoll.IsZero() {
		first := opts.PollMin
		if d, ok := pl.learned[learnKey(w.typeName, w.op)]; ok && d*9/10 > first {
			first = d * 9 / 10
		}
		t = w.submitted.Add(first)
	} else {
		age := w.lastPoll.Sub(w.submitted)
		gap := min(max(age/25, opts.PollGap), opts.PollMax)
		t = w.lastPoll.Add(gap)
	}
	if w.notBefore.After(t) {
		t = w.notBefore
	}
	return t
}

// loop runs while requests are in flight.
func (pl *poller) loop() {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		pl.mu.Lock()
		if len(pl.reqs) == 0 {
			pl.running = false
			pl.mu.Unlock()
			return
		}
		now := time.Now()
		share := pl.share()
		var pick *waiter
		var next time.Time
		for w := range pl.reqs {
			if w.polling || pl.inflight[w.p.limiter] >= share {
				continue
			}
			d := pl.due(w)
			if !d.After(now) {
				// Among due requests, the provider with the fewest polls
				// under way first, then the oldest.
				if pick == nil || pl.inflight[w.p.limiter] < pl.inflight[pick.p.limiter] ||
					pl.inflight[w.p.limiter] == pl.inflight[pick.p.limiter] && w.submitted.Before(pick.submitted) {
					pick = w
				}
			} else if next.IsZero() || d.Before(next) {
				next = d
			}
		}
		if pick != nil {
			pick.polling = true
			pl.inflight[pick.p.limiter]++
		}
		pl.mu.Unlock()

		if pick == nil {
			wait := time.Hour
			if !next.IsZero() {
				wait = time.Until(next)
			}
			timer.Reset(wait)
			select {
			case <-timer.C:
			case <-pl.wake:
				if !timer.Stop() {
					<-timer.C
				}
			}
			continue
		}
		go func(w *waiter) {
			// The provider's rate limit gates every call, polls behind
			// submissions; waiting for it here, not in the loop and not
			// holding a slot, leaves the other providers' polls free to go.
			// The provider's share bounds how many of its polls wait.
			if err := w.p.limiter.waitLow(w.ctx); err != nil {
				pl.finishPoll(w, nil, err)
				return
			}
			pl.slots <- struct{}{}
			defer func() { <-pl.slots }()
			ev, err := pl.poll(w)
			pl.finishPoll(w, ev, err)
		}(pick)
	}
}

// share is how many concurrent polls the providers of one rate limit (one
// account and region) may hold: all of them when they are alone, an even
// part when several rate limits have requests in flight. Called with
// pl.mu held.
func (pl *poller) share() int {
	limits := map[*adaptiveLimiter]bool{}
	for w := range pl.reqs {
		limits[w.p.limiter] = true
	}
	n := max(1, len(limits))
	return max(1, (cap(pl.slots)+n-1)/n)
}

func (pl *poller) poll(w *waiter) (*types.ProgressEvent, error) {
	p := w.p
	start := time.Now()
	out, err := p.api.GetResourceRequestStatus(w.ctx, &sdk.GetResourceRequestStatusInput{RequestToken: aws.String(w.token)})
	if err != nil && isThrottle(err) {
		p.limiter.throttled()
	}
	p.observe(Call{Operation: "GetResourceRequestStatus", TypeName: w.typeName, RequestToken: w.token, Err: err}, start)
	if err != nil {
		return nil, err
	}
	return out.ProgressEvent, nil
}

// finishPoll records a poll's outcome: a terminal event or an error ends
// the wait; otherwise the request is due again later.
func (pl *poller) finishPoll(w *waiter, ev *types.ProgressEvent, err error) {
	pl.mu.Lock()
	defer pl.kick()
	defer pl.mu.Unlock()
	w.polling = false
	w.lastPoll = time.Now()
	if pl.inflight[w.p.limiter]--; pl.inflight[w.p.limiter] <= 0 {
		delete(pl.inflight, w.p.limiter)
	}
	if err != nil {
		if isThrottle(err) {
			return // due again after its gap; the limiter has slowed down
		}
		delete(pl.reqs, w)
		w.done <- waitResult{err: &OperationError{Operation: string(w.op), TypeName: w.typeName, RequestToken: w.token, ErrorCode: Code(err), Message: w.p.describe(err), Err: err}}
		return
	}
	if ev.RetryAfter != nil {
		w.notBefore = *ev.RetryAfter
	}
	if !terminal(ev.OperationStatus) {
		return
	}
	delete(pl.reqs, w)
	if ev.OperationStatus == types.OperationStatusSuccess {
		// The time the service took is at most what this wait saw.
		took := time.Since(w.submitted)
		k := learnKey(w.typeName, w.op)
		if d, ok := pl.learned[k]; !ok || took < d {
			pl.learned[k] = took
		}
	}
	w.done <- waitResult{ev: ev}
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// backoff is the jittered wait before resubmitting a failed request.
func backoff(attempt int) time.Duration {
	d := time.Duration(math.Min(float64(time.Second)*math.Pow(2, float64(attempt)), float64(20*time.Second)))
	return d/2 + time.Duration(mrand.Int64N(int64(d/2)+1))
}

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
