package cloudcontrol

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdk "github.com/aws/aws-sdk-go-v2/service/cloudcontrol"
	"github.com/aws/aws-sdk-go-v2/service/cloudcontrol/types"
	"github.com/aws/smithy-go"
)

// requestsAPI answers status calls for many requests: each is IN_PROGRESS
// until finished. It counts calls, and can refuse the list or leave
// requests out of it.
type requestsAPI struct {
	API
	mu       sync.Mutex
	running  map[string]bool
	unlisted map[string]bool // running, but missing from the list
	refuse   bool
	fail     int // list calls still to fail with a fault of the service
	gets     int
	lists    int
	listed   chan struct{} // told of every list call
	asked    chan struct{} // told of every status call by token
}

func newRequestsAPI(tokens ...string) *requestsAPI {
	r := &requestsAPI{running: map[string]bool{}, unlisted: map[string]bool{}, listed: make(chan struct{}, 1000), asked: make(chan struct{}, 1000)}
	for _, t := range tokens {
		r.running[t] = true
	}
	return r
}

func (r *requestsAPI) finish(tokens ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, t := range tokens {
		delete(r.running, t)
	}
}

func (r *requestsAPI) counts() (gets, lists int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.gets, r.lists
}

func (r *requestsAPI) GetResourceRequestStatus(_ context.Context, in *sdk.GetResourceRequestStatusInput, _ ...func(*sdk.Options)) (*sdk.GetResourceRequestStatusOutput, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.gets++
	select {
	case r.asked <- struct{}{}:
	default:
	}
	st := types.OperationStatusSuccess
	if r.running[aws.ToString(in.RequestToken)] {
		st = types.OperationStatusInProgress
	}
	return &sdk.GetResourceRequestStatusOutput{ProgressEvent: &types.ProgressEvent{
		RequestToken: in.RequestToken, OperationStatus: st, Operation: types.OperationDelete,
		TypeName: aws.String("AWS::Logs::LogGroup"), Identifier: aws.String("g"),
	}}, nil
}

func (r *requestsAPI) ListResourceRequests(_ context.Context, in *sdk.ListResourceRequestsInput, _ ...func(*sdk.Options)) (*sdk.ListResourceRequestsOutput, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lists++
	select {
	case r.listed <- struct{}{}:
	default:
	}
	if r.refuse {
		return nil, &smithy.GenericAPIError{Code: "AccessDeniedException", Message: "not authorized to perform cloudformation:ListResourceRequests"}
	}
	if r.fail > 0 {
		r.fail--
		return nil, &smithy.GenericAPIError{Code: "ServiceInternalError", Message: "try again", Fault: smithy.FaultServer}
	}
	out := &sdk.ListResourceRequestsOutput{}
	for t := range r.running {
		if !r.unlisted[t] {
			out.ResourceRequestStatusSummaries = append(out.ResourceRequestStatusSummaries, types.ProgressEvent{RequestToken: aws.String(t), OperationStatus: types.OperationStatusInProgress})
		}
	}
	return out, nil
}

func tokens(n int) []string {
	var ts []string
	for i := range n {
		ts = append(ts, fmt.Sprintf("tok-%d", i))
	}
	return ts
}

// sweepOptions poll every 20 ms, so that waits registered together are
// due together.
var sweepOptions = Options{PollMin: 50 * time.Millisecond, PollGap: 20 * time.Millisecond, PollLag: 20 * time.Millisecond, PollMax: 20 * time.Millisecond}

func waitAll(p *Provider, ctx context.Context, ts []string) []chan error {
	var chs []chan error
	for _, t := range ts {
		chs = append(chs, waitAsync(p, ctx, t))
	}
	return chs
}

// awaitCalls waits for n calls told on ch.
func awaitCalls(t *testing.T, ch chan struct{}, n int, what string) {
	t.Helper()
	for range n {
		select {
		case <-ch:
		case <-time.After(5 * time.Second):
			t.Fatalf("no %s", what)
		}
	}
}

// Requests of one provider in flight together are polled with one list
// call, not one status call each: while they run, no status call is made
// by token; when they finish, each is asked for once.
func TestSweepPollsManyRequestsWithOneCall(t *testing.T) {
	ts := tokens(6)
	api := newRequestsAPI(ts...)
	p := NewWithAPI(api, sweepOptions)
	chs := waitAll(p, context.Background(), ts)
	awaitCalls(t, api.listed, 3, "ListResourceRequests sweep")
	if gets, _ := api.counts(); gets != 0 {
		t.Fatalf("%d status calls by token while every request was listed running, want 0", gets)
	}
	api.finish(ts...)
	for i, ch := range chs {
		expectDone(t, ts[i], ch)
	}
	if gets, _ := api.counts(); gets != len(ts) {
		t.Fatalf("%d status calls by token for %d finished requests, want one each", gets, len(ts))
	}
}

// A request the list leaves out is asked for by token, and one still
// running by that answer goes on being polled: the list never ends a wait
// on its own.
func TestSweepNeverEndsAWaitOnTheListsWord(t *testing.T) {
	ts := tokens(3)
	api := newRequestsAPI(ts...)
	api.unlisted["tok-0"] = true
	p := NewWithAPI(api, sweepOptions)
	chs := waitAll(p, context.Background(), ts)
	awaitCalls(t, api.listed, 3, "ListResourceRequests sweep")
	select {
	case err := <-chs[0]:
		t.Fatalf("the wait on an unlisted, running request ended: %v", err)
	default:
	}
	api.finish(ts...)
	for i, ch := range chs {
		expectDone(t, ts[i], ch)
	}
}

// A provider whose role may not list requests polls by token after the
// first refusal, and its waits still end.
func TestSweepRefusedFallsBackToTokens(t *testing.T) {
	ts := tokens(4)
	api := newRequestsAPI(ts...)
	api.refuse = true
	p := NewWithAPI(api, sweepOptions)
	chs := waitAll(p, context.Background(), ts)
	awaitCalls(t, api.listed, 1, "ListResourceRequests sweep")
	awaitCalls(t, api.asked, 2*len(ts), "status calls by token after the list was refused")
	api.finish(ts...)
	for i, ch := range chs {
		expectDone(t, ts[i], ch)
	}
	if _, lists := api.counts(); lists != 1 {
		t.Fatalf("%d list calls, want the one refused", lists)
	}
}

// The gap between polls: a fifth of the age while young (at least
// PollGap), at most PollLag until 25 × PollLag, then 4 % of the age, at
// most PollMax.
func TestPollGap(t *testing.T) {
	o := NewWithAPI(nil, Options{}).opts
	for _, c := range []struct{ age, want time.Duration }{
		{0, 100 * time.Millisecond},
		{500 * time.Millisecond, 100 * time.Millisecond},
		{time.Second, 200 * time.Millisecond},
		{2 * time.Second, 400 * time.Millisecond},
		{5 * time.Second, 500 * time.Millisecond},
		{20 * time.Second, 800 * time.Millisecond},
		{10 * time.Minute, 5 * time.Second},
	} {
		if got := o.pollGap(c.age); got != c.want {
			t.Errorf("gap at age %v = %v, want %v", c.age, got, c.want)
		}
	}
	polls, age := 0, o.PollMin
	for age < 12*time.Second {
		age += o.pollGap(age)
		polls++
	}
	if polls > 33 {
		t.Errorf("%d polls to see a 12 s operation finish, want at most 33", polls)
	}
}

// When the requests a provider finds due have mostly finished (its rate
// limit, not the clock, is the bottleneck), a sweep saves nothing: each
// finished request needs its call by token anyway. After a sweep that
// listed none of them, the provider polls by token.
func TestSweepSkippedWhenDueRequestsHaveFinished(t *testing.T) {
	api := newRequestsAPI()
	p := NewWithAPI(api, sweepOptions)
	first := tokens(5)
	for i, ch := range waitAll(p, context.Background(), first) {
		expectDone(t, first[i], ch)
	}
	gets, lists := api.counts()
	if lists != 1 || gets != len(first) {
		t.Fatalf("first round: %d lists and %d calls by token, want 1 sweep and one call each", lists, gets)
	}
	second := []string{"a", "b", "c", "d", "e"}
	for i, ch := range waitAll(p, context.Background(), second) {
		expectDone(t, second[i], ch)
	}
	if _, lists := api.counts(); lists != 1 {
		t.Fatalf("%d lists, want no second sweep over requests that had all finished", lists)
	}
}

// A list that fails in passing (a fault of the service) does not turn
// sweeps off: the next sweep is made as usual.
func TestSweepFailureInPassingKeepsSweeps(t *testing.T) {
	ts := tokens(4)
	api := newRequestsAPI(ts...)
	api.fail = 1
	p := NewWithAPI(api, sweepOptions)
	chs := waitAll(p, context.Background(), ts)
	awaitCalls(t, api.listed, 3, "sweep after a failed one")
	if gets, _ := api.counts(); gets != 0 {
		t.Fatalf("%d status calls by token while every request was listed running, want 0", gets)
	}
	api.finish(ts...)
	for i, ch := range chs {
		expectDone(t, ts[i], ch)
	}
}
