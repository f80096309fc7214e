package athanor_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	sdk "github.com/aws/aws-sdk-go-v2/service/cloudcontrol"
	"github.com/aws/aws-sdk-go-v2/service/cloudcontrol/types"

	"github.com/athanor-iac/athanor"
	"github.com/athanor-iac/athanor/localcc"
	"github.com/athanor-iac/athanor/localcc/localcctest"
)

// env is a local endpoint and a state folder, shared by the runs of one
// test, as an AWS account and a project folder are shared by a user's runs.
type env struct {
	t     *testing.T
	srv   *localcc.Server
	state string
	// clock is the endpoint's clock; nil when the test brings its own.
	clock *localcctest.Clock
	// longest is the longest a mutation of the endpoint takes.
	longest time.Duration
	calls   *localcctest.Calls
}

func newEnv(t *testing.T, opts localcc.Options) *env {
	t.Helper()
	localcctest.AWSEnv(t)
	if opts.Latency == nil {
		opts.Latency = map[string]localcc.Range{"*": {Min: 0, Max: 20 * time.Millisecond}}
	}
	opts.Fixtures = append(opts.Fixtures, localcc.SeedFixtures()...)
	e := &env{t: t, state: t.TempDir(), longest: longestLatency(opts.Latency), calls: &localcctest.Calls{}}
	if opts.Clock == nil {
		e.clock = &localcctest.Clock{}
		opts.Clock = e.clock
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(e.calls)
	}
	srv, err := localcc.Start(opts, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	e.srv = srv
	return e
}

// longestLatency is the longest a mutation takes with these latencies.
func longestLatency(latency map[string]localcc.Range) time.Duration {
	longest := time.Duration(0)
	if _, ok := latency["*"]; !ok {
		longest = localcc.DefaultLatency.Max
	}
	for _, r := range latency {
		longest = max(longest, r.Max)
	}
	return longest
}

// run runs program with args against the endpoint and returns the exit
// code and the output.
func (e *env) run(program func(*athanor.App) error, args ...string) (int, string) {
	e.t.Helper()
	var out bytes.Buffer
	args = append(withYes(args), "--endpoint", e.srv.URL(), "--state", e.state, "--stage", "test")
	code := athanor.Main(context.Background(), "flowlogs", args, &out, &out, program)
	return code, out.String()
}

// withYes adds --yes to the args of an up or destroy, which without a
// terminal change nothing unless told to.
func withYes(args []string) []string {
	for _, a := range args {
		if a == "plan" || a == "refresh" {
			return args
		}
	}
	return append(args, "--yes")
}

// flowLogs returns the flow logs the endpoint holds, by Id.
func (e *env) flowLogs() map[string]map[string]any {
	e.t.Helper()
	got := map[string]map[string]any{}
	for _, r := range e.srv.Resources("AWS::EC2::FlowLog") {
		got[r.Identifier] = r.Properties
	}
	return got
}

// client is a plain SDK client on the endpoint: another tool changing
// things behind the program's back.
func (e *env) client() *sdk.Client {
	e.t.Helper()
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	return sdk.NewFromConfig(cfg, func(o *sdk.Options) { o.BaseEndpoint = aws.String(e.srv.URL()) })
}

func (e *env) createDirectly(typeName string, props any, clientToken string) string {
	e.t.Helper()
	b, _ := json.Marshal(props)
	in := &sdk.CreateResourceInput{TypeName: aws.String(typeName), DesiredState: aws.String(string(b))}
	if clientToken != "" {
		in.ClientToken = aws.String(clientToken)
	}
	out, err := e.client().CreateResource(context.Background(), in)
	if err != nil {
		e.t.Fatal(err)
	}
	ev := e.finish(out.ProgressEvent)
	if ev.OperationStatus != types.OperationStatusSuccess {
		e.t.Fatalf("direct create ended %s: %s", ev.OperationStatus, aws.ToString(ev.StatusMessage))
	}
	return aws.ToString(ev.Identifier)
}

// finish ends a request the test sent itself, without waiting: it moves
// the endpoint's clock past the longest latency, so that the request is
// done by the next call, and returns the request's final event.
func (e *env) finish(ev *types.ProgressEvent) *types.ProgressEvent {
	e.t.Helper()
	if e.clock == nil {
		e.t.Fatal("finish needs the endpoint's clock: this test brings its own")
	}
	e.clock.Advance(e.longest)
	st, err := e.client().GetResourceRequestStatus(context.Background(), &sdk.GetResourceRequestStatusInput{RequestToken: ev.RequestToken})
	if err != nil {
		e.t.Fatal(err)
	}
	switch st.ProgressEvent.OperationStatus {
	case types.OperationStatusSuccess, types.OperationStatusFailed, types.OperationStatusCancelComplete:
		return st.ProgressEvent
	}
	e.t.Fatalf("request %s is still %s after the longest latency", aws.ToString(ev.RequestToken), st.ProgressEvent.OperationStatus)
	return nil
}

// await waits for ch, failing the test after a minute: a guard against a
// hang, not a wait for time to pass.
func (e *env) await(ch <-chan struct{}, what string) {
	e.t.Helper()
	select {
	case <-ch:
	case <-time.After(time.Minute):
		e.t.Fatalf("%s never happened", what)
	}
}
