package athanor_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/athanor-iac/athanor"
	"github.com/athanor-iac/athanor/aws/ec2"
	"github.com/athanor-iac/athanor/localcc"
	"github.com/athanor-iac/athanor/state"
)

// A run killed after submitting a create leaves the intent and its
// ClientToken in state; the next run finds the request again instead of
// creating a second flow log.
func TestResumesCreateLeftInFlight(t *testing.T) {
	e := newEnv(t, localcc.Options{})
	p := seedProps()["vpcFlowLog"]
	props := map[string]any{}
	b, _ := json.Marshal(p)
	json.Unmarshal(b, &props)
	const token = "6f1c2a3e-0000-4000-8000-000000000001"
	submitted := e.createDirectly("AWS::EC2::FlowLog", props, token)
	store, err := state.Open(context.Background(), e.state, "flowlogs", "test")
	if err != nil {
		t.Fatal(err)
	}
	rec := state.Record{LogicalID: "vpcFlowLog", Type: "AWS::EC2::FlowLog", Pending: &state.Intent{Operation: state.OpCreate, ClientToken: token, Props: props, StartedAt: time.Now()}}
	if err := store.Put(context.Background(), rec); err != nil {
		t.Fatal(err)
	}
	prog := programOf(map[string]ec2.FlowLogProps{"vpcFlowLog": p}, nil)
	// The summary counts the create the run finished.
	if code, out := e.run(prog); code != 0 || !strings.Contains(out, "1 created") {
		t.Fatalf("exit %d\n%s", code, out)
	}
	live := e.flowLogs()
	if len(live) != 1 || live[submitted] == nil {
		t.Fatalf("after resuming: %d flow logs %v, want only %s", len(live), live, submitted)
	}
}

// Recovering an update left in flight compares with what AWS reports:
// every declared property comes back from the read (a flow log's
// DeliverCrossAccountRole too), so nothing is replaced.
func TestRecoveredUpdateReadsEveryDeclaredProp(t *testing.T) {
	e := newEnv(t, localcc.Options{Fixtures: []localcc.Fixture{centralStreamFixture()}})
	decls := map[string]ec2.FlowLogProps{"crossAccountFirehose": crossAccountFirehoseProps()}
	if code, out := e.run(programOf(decls, nil)); code != 0 {
		t.Fatalf("exit %d\n%s", code, out)
	}
	store, err := state.Open(context.Background(), e.state, "flowlogs", "test")
	if err != nil {
		t.Fatal(err)
	}
	recs, err := store.Load(context.Background())
	if err != nil || len(recs) != 1 {
		t.Fatalf("%v %v", recs, err)
	}
	rec := recs[0]
	rec.Pending = &state.Intent{Operation: state.OpUpdate, Identifier: rec.Identifier, ClientToken: "6f1c2a3e-0000-4000-8000-000000000002", StartedAt: time.Now()}
	if err := store.Put(context.Background(), rec); err != nil {
		t.Fatal(err)
	}
	code, out := e.run(programOf(decls, nil))
	if code != 0 || strings.Contains(out, "replac") || !strings.Contains(out, "no changes") {
		t.Fatalf("after recovering the update: exit %d\n%s", code, out)
	}
}

// A create whose cancellation came too late still made the resource; the
// next run finds it instead of creating a second one (which EC2 refuses
// for a flow log as a duplicate).
func TestCancelledCreateThatHappenedAnyway(t *testing.T) {
	e := newEnv(t, localcc.Options{LateCancel: true, Latency: map[string]localcc.Range{"*": {Min: time.Second, Max: time.Second}}})
	decls := map[string]ec2.FlowLogProps{"vpcFlowLog": seedProps()["vpcFlowLog"]}
	e.runCancelledAfter("CreateResource", programOf(decls, nil))
	if code, out := e.run(programOf(decls, nil)); code != 0 {
		t.Fatalf("rerun: exit %d\n%s", code, out)
	}
	// One CreateFlowLogs in all: the cancelled request's, which the rerun
	// found and adopted.
	creates := 0
	for _, c := range e.srv.EC2Calls() {
		if c.Action == "CreateFlowLogs" {
			creates++
		}
	}
	if n := len(e.flowLogs()); n != 1 || creates != 1 {
		t.Fatalf("%d flow logs and %d CreateFlowLogs after the rerun, want 1 and 1", n, creates)
	}
	if code, out := e.run(programOf(decls, nil)); code != 0 || !strings.Contains(out, "no changes") {
		t.Fatalf("third run: exit %d\n%s", code, out)
	}
}

// runCancelledAfter runs program and cancels it once the run polls the
// request of call, as a second Ctrl-C would: the run must cancel the one
// request in flight and exit 1. The endpoint's clock stands still for the
// run, so that the request is certain to be in flight; afterwards it
// moves past the request's latency, so that the cancellation (or, with
// LateCancel, the request) is done by the next run's first call.
func (e *env) runCancelledAfter(call string, program func(*athanor.App) error) {
	e.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	e.clock.Stop()
	defer func() { e.clock.Advance(e.longest); e.clock.Start() }()
	// The run records the request token before it first polls.
	polled := e.calls.After(call, "GetResourceRequestStatus")
	go func() {
		select {
		case <-polled:
			cancel()
		case <-ctx.Done():
		}
	}()
	var out strings.Builder
	code := athanor.Main(ctx, "flowlogs", []string{"--yes", "--endpoint", e.srv.URL(), "--state", e.state, "--stage", "test"}, &out, &out, program)
	if code != 1 || !strings.Contains(out.String(), "cancelled 1 request") {
		e.t.Fatalf("abandoned run: exit %d\n%s", code, out.String())
	}
}
