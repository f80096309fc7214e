package cloudcontrol

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdk "github.com/aws/aws-sdk-go-v2/service/cloudcontrol"
	"github.com/aws/aws-sdk-go-v2/service/cloudcontrol/types"
	"github.com/aws/smithy-go"
)

// A sweep learns which of a provider's requests are still running with
// ListResourceRequests, filtered to unfinished requests, instead of one
// GetResourceRequestStatus per request. Requests it lists are polled; the
// ones it does not list have probably finished and are asked for by token
// at once (their final event carries the identifier or the error), so a
// request is never taken as finished on the list's word alone.
//
// Inferred, not documented: that the list reads the same request records
// as GetResourceRequestStatus. Were it to lag, a finished request would be
// seen late, never wrongly.
//
// A sweep is made only when it is cheaper than asking for the due
// requests one by one. A finished request costs its call by token either
// way, so what a sweep saves is the calls on due requests still running.
// Polls by token go to the oldest due request first, so the estimate that
// counts is how often the oldest are still running: the share of the
// oldest quarter of the last sweep that it listed, then of the provider's
// polls by token since. A sweep is made when the due requests times that
// share outnumber the pages the last sweep read (other clients' requests
// in the account and region are listed too). And none is made while
// calls wait for the provider's rate limit: when the budget, not the
// clock, is the bottleneck, polls by token of the oldest requests, which
// have mostly finished by the time their turn comes, waste nothing. A
// sweep stops early once every request it looks for has been listed, and
// never reads more pages than it has requests to find.

// sweepPageSize is ListResourceRequests' largest page.
const sweepPageSize = 100

// unfinished are the statuses a sweep lists.
var unfinished = []types.OperationStatus{types.OperationStatusPending, types.OperationStatusInProgress, types.OperationStatusCancelInProgress}

// sweepStats is what the poller knows of one provider's sweeps.
type sweepStats struct {
	pages   int     // pages the last complete sweep read
	running float64 // share of recent polls that found their request running
	refused bool    // the service refused the list: poll by token only
}

func newSweepStats() *sweepStats { return &sweepStats{pages: 1, running: 1} }

// stats returns the sweep statistics of p. Called with pl.mu held.
func (pl *poller) stats(p *Provider) *sweepStats {
	st := pl.sweeps[p]
	if st == nil {
		st = newSweepStats()
		pl.sweeps[p] = st
	}
	return st
}

// oldestRunning is the share of the oldest quarter of batch (at least
// one) that a sweep listed running.
func oldestRunning(batch []*waiter, listed map[string]*types.ProgressEvent) float64 {
	sorted := slices.Clone(batch)
	slices.SortFunc(sorted, func(a, b *waiter) int { return a.submitted.Compare(b.submitted) })
	oldest := sorted[:max(1, len(sorted)/4)]
	n := 0
	for _, w := range oldest {
		if listed[w.token] != nil {
			n++
		}
	}
	return float64(n) / float64(len(oldest))
}

// polled learns from a poll by token of a request not pointed at by a
// sweep whether requests are still running when due.
func (st *sweepStats) polled(running bool) {
	x := 0.0
	if running {
		x = 1
	}
	st.running = 0.8*st.running + 0.2*x
}

// sweepBatch returns the requests of lead's provider to sweep for now, or
// nil when asking for lead alone is as cheap. It counts the requests due
// within half their gap: a sweep asks for them a little early at no cost.
// Called with pl.mu held.
func (pl *poller) sweepBatch(lead *waiter, now time.Time) []*waiter {
	st := pl.stats(lead.p)
	if lead.confirm || st.refused || lead.p.limiter.queued() > 0 {
		return nil
	}
	var batch []*waiter
	due := 0
	for w := range pl.reqs {
		if w.p != lead.p || w.polling || w.confirm {
			continue
		}
		batch = append(batch, w)
		age := now.Sub(w.submitted)
		if !pl.due(w).After(now.Add(w.p.opts.pollGap(age) / 2)) {
			due++
		}
	}
	if float64(due)*st.running <= float64(max(1, st.pages)) {
		return nil
	}
	return batch
}

// sweep lists the provider's unfinished requests for batch, lead first
// among them, under lead's context.
func (pl *poller) sweep(lead *waiter, batch []*waiter) {
	want := make(map[string]bool, len(batch))
	for _, w := range batch {
		want[w.token] = true
	}
	listed := map[string]*types.ProgressEvent{}
	pages, complete, err := 0, false, error(nil)
	var next *string
	for !complete && pages < len(batch) {
		var out *sdk.ListResourceRequestsOutput
		out, err = pl.listPage(lead, next)
		if err != nil {
			break
		}
		pages++
		for i := range out.ResourceRequestStatusSummaries {
			ev := &out.ResourceRequestStatusSummaries[i]
			if tok := aws.ToString(ev.RequestToken); want[tok] {
				listed[tok] = ev
			}
		}
		next = out.NextToken
		complete = next == nil || len(listed) == len(want)
	}
	pl.finishSweep(lead.p, batch, listed, sweepOutcome{pages: pages, complete: complete, err: err})
}

// listPage reads one page of the provider's unfinished requests, under
// its rate limit behind submissions.
func (pl *poller) listPage(lead *waiter, next *string) (*sdk.ListResourceRequestsOutput, error) {
	p := lead.p
	if err := p.limiter.waitLow(lead.ctx); err != nil {
		return nil, err
	}
	pl.slots <- struct{}{}
	defer func() { <-pl.slots }()
	start := time.Now()
	out, err := p.api.ListResourceRequests(lead.ctx, &sdk.ListResourceRequestsInput{
		MaxResults:                  aws.Int32(sweepPageSize),
		NextToken:                   next,
		ResourceRequestStatusFilter: &types.ResourceRequestStatusFilter{OperationStatuses: unfinished},
	})
	if err != nil && isThrottle(err) {
		p.limiter.throttled()
	}
	p.observe(Call{Operation: "ListResourceRequests", Err: err}, start)
	return out, err
}

type sweepOutcome struct {
	pages    int
	complete bool // every page read, or every request found
	err      error
}

// refusedList reports whether err is the service refusing the list
// itself (a role may lack cloudformation:ListResourceRequests): an answer
// that is neither throttling nor a fault of the service's own, which a
// later sweep would get again.
func refusedList(err error) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && !isThrottle(err) && ae.ErrorFault() != smithy.FaultServer
}

// finishSweep records a sweep's outcome. Listed requests were polled;
// the others are asked for by token next. A sweep that failed in passing
// (throttled, a fault of the service, the network) leaves the batch due
// again after its gap; a refused one turns sweeps off for the provider and
// leaves the batch to polls by token.
func (pl *poller) finishSweep(p *Provider, batch []*waiter, listed map[string]*types.ProgressEvent, o sweepOutcome) {
	pl.mu.Lock()
	defer pl.kick()
	defer pl.mu.Unlock()
	pl.release(p)
	st := pl.stats(p)
	now := time.Now()
	cancelled := errors.Is(o.err, context.Canceled) || errors.Is(o.err, context.DeadlineExceeded)
	refused := refusedList(o.err)
	switch {
	case refused:
		st.refused = true
	case o.err == nil && o.complete:
		st.pages = o.pages
		st.running = oldestRunning(batch, listed)
	case o.err == nil:
		st.pages = o.pages + 1
	}
	for _, w := range batch {
		w.polling = false
		if !pl.reqs[w] {
			continue // abandoned by its caller meanwhile
		}
		switch ev, ok := listed[w.token]; {
		case ok:
			w.lastPoll = now
			if ev.RetryAfter != nil {
				w.notBefore = *ev.RetryAfter
			}
		case o.err == nil:
			w.confirm = true
		case !refused && !cancelled:
			w.lastPoll = now
		}
	}
}
