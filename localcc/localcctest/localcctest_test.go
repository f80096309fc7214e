package localcctest_test

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdk "github.com/aws/aws-sdk-go-v2/service/cloudcontrol"
	"github.com/aws/aws-sdk-go-v2/service/cloudcontrol/types"

	"github.com/athanor-iac/athanor/localcc"
	"github.com/athanor-iac/athanor/localcc/localcctest"
)

// endpoint starts a local endpoint on clock and calls whose mutations take
// an hour, and returns an SDK client of it.
func endpoint(t *testing.T, clock *localcctest.Clock, calls *localcctest.Calls) *sdk.Client {
	t.Helper()
	srv, err := localcc.Start(localcc.Options{Clock: clock, Logger: slog.New(calls), Latency: map[string]localcc.Range{"*": {Min: time.Hour, Max: time.Hour}}}, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return sdk.New(sdk.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(srv.URL()),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "AKIDTEST", SecretAccessKey: "secret", Source: "test"}, nil
		}),
	})
}

func createLogGroup(t *testing.T, cc *sdk.Client) *types.ProgressEvent {
	t.Helper()
	out, err := cc.CreateResource(context.Background(), &sdk.CreateResourceInput{TypeName: aws.String("AWS::Logs::LogGroup"), DesiredState: aws.String(`{"LogGroupName":"g"}`)})
	if err != nil {
		t.Fatal(err)
	}
	return out.ProgressEvent
}

func status(t *testing.T, cc *sdk.Client, ev *types.ProgressEvent) types.OperationStatus {
	t.Helper()
	st, err := cc.GetResourceRequestStatus(context.Background(), &sdk.GetResourceRequestStatusInput{RequestToken: ev.RequestToken})
	if err != nil {
		t.Fatal(err)
	}
	return st.ProgressEvent.OperationStatus
}

// A stopped clock keeps a request in flight however long the test takes;
// moving it past the latency ends the request by the next call.
func TestClockStopsAndAdvances(t *testing.T) {
	clock := &localcctest.Clock{}
	cc := endpoint(t, clock, &localcctest.Calls{})
	clock.Stop()
	stopped := clock.Now()
	ev := createLogGroup(t, cc)
	if got := status(t, cc, ev); got != types.OperationStatusInProgress {
		t.Fatalf("with the clock stopped: %s, want IN_PROGRESS", got)
	}
	if !clock.Now().Equal(stopped) {
		t.Fatalf("a stopped clock moved from %s to %s", stopped, clock.Now())
	}
	clock.Advance(time.Hour)
	if got := status(t, cc, ev); got != types.OperationStatusSuccess {
		t.Fatalf("an hour on: %s, want SUCCESS", got)
	}
	clock.Start()
	if now := clock.Now(); now.Before(stopped.Add(time.Hour)) {
		t.Fatalf("started again at %s, before %s where it stood: the endpoint's time went back", now, stopped.Add(time.Hour))
	}
}

// After closes once the endpoint has answered its calls in order, and
// OnEach hears every call.
func TestCallsAfterAndOnEach(t *testing.T) {
	calls := &localcctest.Calls{}
	cc := endpoint(t, &localcctest.Clock{}, calls)
	var mu sync.Mutex
	var heard []string
	calls.OnEach(func(op string) { mu.Lock(); heard = append(heard, op); mu.Unlock() })
	polled := calls.After("CreateResource", "GetResourceRequestStatus")
	ev := createLogGroup(t, cc)
	select {
	case <-polled:
		t.Fatal("After closed before the status call")
	default:
	}
	status(t, cc, ev)
	select {
	case <-polled:
	default:
		t.Fatal("After not closed once the endpoint answered both calls")
	}
	calls.OnEach(nil)
	status(t, cc, ev)
	mu.Lock()
	defer mu.Unlock()
	if want := []string{"CreateResource", "GetResourceRequestStatus"}; !slices.Equal(heard, want) {
		t.Fatalf("OnEach heard %v, want %v", heard, want)
	}
}
