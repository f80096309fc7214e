package cloudcontrol

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdk "github.com/aws/aws-sdk-go-v2/service/cloudcontrol"
	"github.com/aws/aws-sdk-go-v2/service/cloudcontrol/types"
)

// statusAPI answers GetResourceRequestStatus: IN_PROGRESS until done is
// set, SUCCESS after. While gate is set, a status call waits for it.
type statusAPI struct {
	API
	done    atomic.Bool
	mu      sync.Mutex
	gate    chan struct{}
	entered chan struct{}
}

func (s *statusAPI) GetResourceRequestStatus(ctx context.Context, in *sdk.GetResourceRequestStatusInput, _ ...func(*sdk.Options)) (*sdk.GetResourceRequestStatusOutput, error) {
	s.mu.Lock()
	gate, entered := s.gate, s.entered
	s.mu.Unlock()
	if gate != nil {
		select {
		case entered <- struct{}{}:
		default:
		}
		<-gate
	}
	st := types.OperationStatusInProgress
	if s.done.Load() {
		st = types.OperationStatusSuccess
	}
	return &sdk.GetResourceRequestStatusOutput{ProgressEvent: &types.ProgressEvent{
		RequestToken: in.RequestToken, OperationStatus: st, Operation: types.OperationDelete,
		TypeName: aws.String("AWS::Logs::LogGroup"), Identifier: aws.String("g"),
	}}, nil
}

// ListResourceRequests lists the one request while it runs.
func (s *statusAPI) ListResourceRequests(context.Context, *sdk.ListResourceRequestsInput, ...func(*sdk.Options)) (*sdk.ListResourceRequestsOutput, error) {
	out := &sdk.ListResourceRequestsOutput{}
	if !s.done.Load() {
		out.ResourceRequestStatusSummaries = []types.ProgressEvent{{RequestToken: aws.String("tok"), OperationStatus: types.OperationStatusInProgress}}
	}
	return out, nil
}

func waitAsync(p *Provider, ctx context.Context, token string) chan error {
	ch := make(chan error, 1)
	go func() {
		_, _, err := p.Wait(ctx, "AWS::Logs::LogGroup", token)
		ch <- err
	}()
	return ch
}

// idleOut lets a synctest bubble's time run on until the provider's
// background goroutines (the limiter's dispatcher, the poller) stop for
// want of work: the bubble must end with every goroutine of its own.
func idleOut() { time.Sleep(time.Hour) }

func expectDone(t *testing.T, what string, ch chan error) {
	t.Helper()
	select {
	case err := <-ch:
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("%s: still waiting after the request finished", what)
	}
}

// Two waits on one request token both learn how it ended. In a synctest
// bubble, whose time moves only when every goroutine waits for it: the
// sleeps take none, and are exact.
func TestPollerTwoWaitersOnOneToken(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		api := &statusAPI{}
		p := NewWithAPI(api, Options{PollMin: time.Millisecond, PollGap: 5 * time.Millisecond, PollMax: 10 * time.Millisecond})
		a := waitAsync(p, context.Background(), "tok")
		time.Sleep(20 * time.Millisecond) // the bubble's time: a has polled
		b := waitAsync(p, context.Background(), "tok")
		time.Sleep(20 * time.Millisecond) // b has polled too
		api.done.Store(true)
		expectDone(t, "first wait", a)
		expectDone(t, "second wait", b)
		idleOut()
	})
}

// A wait abandoned while its status call is in flight does not take a
// later wait on the same token with it when that call returns.
func TestPollerAbandonedWaitKeepsLaterOne(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		api := &statusAPI{gate: make(chan struct{}), entered: make(chan struct{}, 1)}
		p := NewWithAPI(api, Options{PollMin: 300 * time.Millisecond, PollGap: 5 * time.Millisecond, PollMax: 10 * time.Millisecond})
		ctx, cancel := context.WithCancel(context.Background())
		a := waitAsync(p, ctx, "tok")
		<-api.entered // a's status call is in flight
		cancel()
		if err := <-a; err == nil {
			t.Fatal("abandoned wait returned no error")
		}
		b := waitAsync(p, context.Background(), "tok")
		synctest.Wait() // b is registered; the bubble's time stands still, so it is not yet due
		api.mu.Lock()
		gate := api.gate
		api.gate = nil
		api.mu.Unlock()
		api.done.Store(true)
		close(gate) // a's status call returns SUCCESS
		expectDone(t, "the later wait", b)
		idleOut()
	})
}

// ctxAPI's status calls block until their context ends, and say so.
type ctxAPI struct {
	API
	entered, ended chan struct{}
}

func (c *ctxAPI) GetResourceRequestStatus(ctx context.Context, _ *sdk.GetResourceRequestStatusInput, _ ...func(*sdk.Options)) (*sdk.GetResourceRequestStatusOutput, error) {
	c.entered <- struct{}{}
	<-ctx.Done()
	c.ended <- struct{}{}
	return nil, ctx.Err()
}

// A status call runs under the waiting caller's context: when the caller
// gives up, the call in flight is abandoned too instead of holding a slot.
func TestPollEndsWithTheWaitersContext(t *testing.T) {
	api := &ctxAPI{entered: make(chan struct{}, 1), ended: make(chan struct{}, 1)}
	p := NewWithAPI(api, Options{PollMin: time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	ch := waitAsync(p, ctx, "tok")
	<-api.entered
	cancel()
	if err := <-ch; err == nil {
		t.Fatal("a cancelled wait returned no error")
	}
	select {
	case <-api.ended:
	case <-time.After(5 * time.Second):
		t.Fatal("the status call outlived its caller's context")
	}
}

// A request due sooner than the sleeping loop meant to look wakes it:
// the loop sleeps until a provider's first poll an hour away, and
// another provider's request, due at once, is still polled at once. In a
// synctest bubble, so that the loop is surely asleep when it comes.
func TestPollerWakesForARequestDueSooner(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sched := NewScheduler()
		slow := NewWithAPI(&statusAPI{}, Options{Scheduler: sched, PollMin: time.Hour})
		ctx, cancel := context.WithCancel(context.Background())
		waitAsync(slow, ctx, "slow")
		synctest.Wait() // the loop sleeps until the slow request is due
		api := &statusAPI{}
		api.done.Store(true)
		fast := NewWithAPI(api, Options{Scheduler: sched, PollMin: time.Millisecond})
		expectDone(t, "the request due at once", waitAsync(fast, context.Background(), "fast"))
		cancel()
		time.Sleep(2 * time.Hour) // the loop wakes, finds nothing to wait for, and ends
	})
}
