package athanor_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	sdk "github.com/aws/aws-sdk-go-v2/service/cloudcontrol"
	"github.com/aws/aws-sdk-go-v2/service/cloudcontrol/types"

	"github.com/athanor-iac/athanor"
	"github.com/athanor-iac/athanor/localcc"
)

// env is a local endpoint and a state folder, shared by the runs of one
// test, as an AWS account and a project folder are shared by a user's runs.
type env struct {
	t     *testing.T
	srv   *localcc.Server
	state string
	// clock is the endpoint's clock; nil when the test brings its own.
	clock *runClock
	// longest is the longest a mutation of the endpoint takes.
	longest time.Duration
	calls   *callWatch
}

func newEnv(t *testing.T, opts localcc.Options) *env {
	t.Helper()
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDTEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	if opts.Latency == nil {
		opts.Latency = map[string]localcc.Range{"*": {Min: 0, Max: 20 * time.Millisecond}}
	}
	opts.Fixtures = append(opts.Fixtures, localcc.SeedFixtures()...)
	e := &env{t: t, state: t.TempDir(), longest: longestLatency(opts.Latency), calls: &callWatch{}}
	if opts.Clock == nil {
		e.clock = &runClock{}
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

// runClock is the endpoint's clock in these tests. It follows real time,
// so that runs finish on their own; a test moves it on to finish its own
// requests at once (env.finish), or stops it to keep a run's requests in
// flight for as long as it needs them there.
type runClock struct {
	mu      sync.Mutex
	offset  time.Duration
	stopped bool
	at      time.Time // while stopped
}

func (c *runClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopped {
		return c.at
	}
	return time.Now().Add(c.offset)
}

// Advance moves the clock on by d.
func (c *runClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset += d
	c.at = c.at.Add(d)
}

// Stop holds the clock where it is: no request completes until Start.
func (c *runClock) Stop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.stopped {
		c.stopped, c.at = true, time.Now().Add(c.offset)
	}
}

// Start lets the clock follow real time again, from where it stopped.
func (c *runClock) Start() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopped {
		c.stopped, c.offset = false, time.Until(c.at)
	}
}

// callWatch hears of every call the endpoint answers, as its Logger, so
// that a test waits for a call instead of polling the endpoint's metrics.
type callWatch struct {
	mu      sync.Mutex
	waiters []*callWaiter
}

type callWaiter struct {
	ops  []string // still to be answered, in this order
	done chan struct{}
}

// after returns a channel closed once the endpoint has answered ops, one
// after the other (other calls in between).
func (w *callWatch) after(ops ...string) <-chan struct{} {
	w.mu.Lock()
	defer w.mu.Unlock()
	cw := &callWaiter{ops: ops, done: make(chan struct{})}
	w.waiters = append(w.waiters, cw)
	return cw.done
}

func (w *callWatch) Enabled(context.Context, slog.Level) bool { return true }
func (w *callWatch) WithAttrs([]slog.Attr) slog.Handler       { return w }
func (w *callWatch) WithGroup(string) slog.Handler            { return w }

func (w *callWatch) Handle(_ context.Context, r slog.Record) error {
	if r.Message != "call" {
		return nil
	}
	op := ""
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "op" {
			op = a.Value.String()
		}
		return op == ""
	})
	w.mu.Lock()
	defer w.mu.Unlock()
	waiting := w.waiters[:0]
	for _, cw := range w.waiters {
		if cw.ops[0] == op {
			cw.ops = cw.ops[1:]
		}
		if len(cw.ops) == 0 {
			close(cw.done)
			continue
		}
		waiting = append(waiting, cw)
	}
	w.waiters = waiting
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
