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

// wait polls a request until it is terminal. The gap between polls starts
// at PollMin and grows by half each time up to PollMax, so a short request
// is seen finished within a fraction of its duration and a long one costs
// few calls; RetryAfter, when the service gives it, is honoured.
func (p *Provider) wait(ctx context.Context, ev *types.ProgressEvent) (*types.ProgressEvent, error) {
	gap := p.opts.PollMin
	for !terminal(ev.OperationStatus) {
		d := gap
		if ev.RetryAfter != nil {
			if until := time.Until(*ev.RetryAfter); until > d {
				d = until
			}
		}
		if err := sleep(ctx, d); err != nil {
			return nil, err
		}
		gap = min(time.Duration(float64(gap)*1.5), p.opts.PollMax)
		token := aws.ToString(ev.RequestToken)
		out, err := call(ctx, p, Call{Operation: "GetResourceRequestStatus", TypeName: aws.ToString(ev.TypeName), RequestToken: token}, func() (*sdk.GetResourceRequestStatusOutput, error) {
			return p.api.GetResourceRequestStatus(ctx, &sdk.GetResourceRequestStatusInput{RequestToken: aws.String(token)})
		})
		if err != nil {
			return nil, &OperationError{Operation: string(ev.Operation), TypeName: aws.ToString(ev.TypeName), RequestToken: token, ErrorCode: Code(err), Message: apiMessage(err), Err: err}
		}
		ev = out.ProgressEvent
	}
	return ev, nil
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

// adaptiveLimiter is a token bucket whose rate halves when the service
// throttles and creeps back up (by a twentieth a second) while it does not.
type adaptiveLimiter struct {
	mu      sync.Mutex
	lim     *rate.Limiter
	ceiling float64
	last    time.Time
}

func newAdaptiveLimiter(rps float64) *adaptiveLimiter {
	return &adaptiveLimiter{lim: rate.NewLimiter(rate.Limit(rps), max(1, int(rps))), ceiling: rps, last: time.Now()}
}

func (a *adaptiveLimiter) wait(ctx context.Context) error {
	a.mu.Lock()
	if cur := float64(a.lim.Limit()); cur < a.ceiling {
		if secs := time.Since(a.last).Seconds(); secs >= 1 {
			a.lim.SetLimit(rate.Limit(math.Min(a.ceiling, cur*math.Pow(1.05, secs))))
			a.last = time.Now()
		}
	}
	a.mu.Unlock()
	return a.lim.Wait(ctx)
}

func (a *adaptiveLimiter) throttled() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.lim.SetLimit(rate.Limit(math.Max(1, float64(a.lim.Limit())/2)))
	a.last = time.Now()
}
