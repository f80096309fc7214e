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
//   - No request is polled before the shortest time a request of its type
//     and operation has taken in this run (or PollMin before any has
//     finished), since none can finish sooner.
//   - After that it is due again after a gap that grows with its age
//     (pollGap): a fifth of it while young, never more than PollLag until
//     it is 25 × PollLag old, then 4 % of it, up to PollMax. A request is
//     so seen finished within half a second, or 4 % of its duration,
//     at a cost that grows only slowly with the duration.
//   - When several requests of one provider are due, one
//     ListResourceRequests sweep (sweep.go) asks for all of them at once
//     and only those it no longer lists in progress are asked for by
//     token: a provider with twelve requests in flight makes one status
//     call where it would make twelve.
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
	limits   map[*adaptiveLimiter]int // requests in flight, by rate limit
	wakeAt   time.Time                // when the sleeping loop looks next; zero while it looks
	running  bool
	wake     chan struct{}
	learned  map[string]time.Duration // type|operation → shortest duration seen
	slots    chan struct{}            // bounds concurrent status calls
	sweeps   map[*Provider]*sweepStats
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
	// confirm is set when a sweep did not list the request in progress:
	// it has probably finished, and is asked for by token at once.
	confirm bool
	done    chan waitResult
}

type waitResult struct {
	ev  *types.ProgressEvent
	err error
}

func newPoller() *poller {
	return &poller{
		reqs: map[*waiter]bool{}, inflight: map[*adaptiveLimiter]int{}, limits: map[*adaptiveLimiter]int{}, wake: make(chan struct{}, 1),
		learned: map[string]time.Duration{}, slots: make(chan struct{}, 32), sweeps: map[*Provider]*sweepStats{},
	}
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
	pl.add(w)
	if !pl.running {
		pl.running = true
		go pl.loop()
	}
	// The loop need not look again before it meant to when w is not due
	// sooner: a burst of a thousand submissions would otherwise make it
	// scan every request a thousand times.
	kick := pl.wakeAt.IsZero() || pl.due(w).Before(pl.wakeAt)
	pl.mu.Unlock()
	if kick {
		pl.kick()
	}
	select {
	case r := <-w.done:
		return r.ev, r.err
	case <-ctx.Done():
		pl.mu.Lock()
		pl.remove(w)
		pl.mu.Unlock()
		return nil, ctx.Err()
	}
}

// add and remove keep the requests in flight and their count per rate
// limit. Called with pl.mu held.
func (pl *poller) add(w *waiter) {
	pl.reqs[w] = true
	pl.limits[w.p.limiter]++
}

func (pl *poller) remove(w *waiter) {
	if !pl.reqs[w] {
		return
	}
	delete(pl.reqs, w)
	if pl.limits[w.p.limiter]--; pl.limits[w.p.limiter] <= 0 {
		delete(pl.limits, w.p.limiter)
	}
}

func (pl *poller) kick() {
	select {
	case pl.wake <- struct{}{}:
	default:
	}
}

func learnKey(typeName string, op types.Operation) string { return typeName + "|" + string(op) }

// pollGap is how long after a poll a request of the given age is due
// again: a fifth of its age while young (at least PollGap), at most
// PollLag until 25 × PollLag, then 4 % of its age, at most PollMax.
// Against a steady 4 % (which needs 25 polls to reach even five
// seconds) this spends a third of the status calls on an operation of a
// few seconds while seeing a long one finish as soon.
func (o *Options) pollGap(age time.Duration) time.Duration {
	young := max(age/5, o.PollGap)
	settled := max(o.PollLag, age/25)
	return min(young, settled, o.PollMax)
}

// due is when w should next be polled. Called with pl.mu held.
func (pl *poller) due(w *waiter) time.Time {
	if w.confirm {
		return time.Time{}
	}
	opts := &w.p.opts
	t := w.submitted.Add(opts.PollMin)
	if !w.lastPoll.IsZero() {
		t = w.lastPoll.Add(opts.pollGap(w.lastPoll.Sub(w.submitted)))
	}
	if d, ok := pl.learned[learnKey(w.typeName, w.op)]; ok {
		if earliest := w.submitted.Add(d * 9 / 10); earliest.After(t) {
			t = earliest
		}
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
		pick, next := pl.pick(time.Now())
		pl.wakeAt = time.Time{} // looking again at once
		if pick == nil {
			pl.wakeAt = next
			if next.IsZero() {
				pl.wakeAt = time.Now().Add(time.Hour)
			}
		}
		var batch []*waiter
		if pick != nil {
			batch = pl.sweepBatch(pick, time.Now())
			for _, w := range batch {
				w.polling = true
			}
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
		if batch != nil {
			go pl.sweep(pick, batch)
		} else {
			go pl.pollOne(pick)
		}
	}
}

// pick chooses the request to poll now: among due requests, the one of
// the rate limit with the fewest polls under way, then the oldest. With
// none due, next is when the first will be. Called with pl.mu held.
func (pl *poller) pick(now time.Time) (pick *waiter, next time.Time) {
	share := pl.share()
	for w := range pl.reqs {
		if w.polling || pl.inflight[w.p.limiter] >= share {
			continue
		}
		d := pl.due(w)
		if !d.After(now) {
			if pick == nil || pl.inflight[w.p.limiter] < pl.inflight[pick.p.limiter] ||
				pl.inflight[w.p.limiter] == pl.inflight[pick.p.limiter] && w.submitted.Before(pick.submitted) {
				pick = w
			}
		} else if next.IsZero() || d.Before(next) {
			next = d
		}
	}
	return pick, next
}

// pollOne asks for one request by token.
func (pl *poller) pollOne(w *waiter) {
	// The provider's rate limit gates every call, polls behind
	// submissions; waiting for it here, not in the loop and not holding a
	// slot, leaves the other providers' polls free to go. The provider's
	// share bounds how many of its polls wait.
	if err := w.p.limiter.waitLow(w.ctx); err != nil {
		pl.finishPoll(w, nil, err)
		return
	}
	pl.slots <- struct{}{}
	defer func() { <-pl.slots }()
	ev, err := pl.poll(w)
	pl.finishPoll(w, ev, err)
}

// release counts one poll of p's rate limit as ended. Called with pl.mu
// held.
func (pl *poller) release(p *Provider) {
	if pl.inflight[p.limiter]--; pl.inflight[p.limiter] <= 0 {
		delete(pl.inflight, p.limiter)
	}
}

// share is how many concurrent polls the providers of one rate limit (one
// account and region) may hold: all of them when they are alone, an even
// part when several rate limits have requests in flight. Called with
// pl.mu held.
func (pl *poller) share() int {
	n := max(1, len(pl.limits))
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
	if !w.confirm && err == nil {
		pl.stats(w.p).polled(!terminal(ev.OperationStatus))
	}
	w.confirm = false
	w.lastPoll = time.Now()
	pl.release(w.p)
	if err != nil {
		if isThrottle(err) {
			return // due again after its gap; the limiter has slowed down
		}
		pl.remove(w)
		w.done <- waitResult{err: &OperationError{Operation: string(w.op), TypeName: w.typeName, RequestToken: w.token, ErrorCode: Code(err), Message: w.p.describe(err), Err: err}}
		return
	}
	if ev.RetryAfter != nil {
		w.notBefore = *ev.RetryAfter
	}
	if !terminal(ev.OperationStatus) {
		return
	}
	pl.remove(w)
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
