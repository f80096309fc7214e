package athanor_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/athanor-iac/athanor"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdk "github.com/aws/aws-sdk-go-v2/service/cloudcontrol"

	"github.com/athanor-iac/athanor/aws/ec2"
	"github.com/athanor-iac/athanor/localcc"
	"github.com/athanor-iac/athanor/state"
)

// A delete whose request was cancelled (a second Ctrl-C) is sent again by
// the next destroy: resending its ClientToken would only return the
// cancelled request again, run after run.
func TestDestroyAfterCancelledDelete(t *testing.T) {
	e := newEnv(t, localcc.Options{Latency: map[string]localcc.Range{"*": {Min: time.Second, Max: time.Second}}})
	got := map[string]*ec2.FlowLogResource{}
	prog := programOf(map[string]ec2.FlowLogProps{"vpcFlowLog": seedProps()["vpcFlowLog"]}, got)
	if code, out := e.run(prog); code != 0 {
		t.Fatalf("up: exit %d\n%s", code, out)
	}
	id := got["vpcFlowLog"].Id

	// What an interrupted destroy leaves: the delete's intent in state,
	// and its request cancelled.
	ctx := context.Background()
	token := "11111111-2222-4333-8444-555555555555"
	del, err := e.client().DeleteResource(ctx, &sdk.DeleteResourceInput{TypeName: aws.String("AWS::EC2::FlowLog"), Identifier: aws.String(id), ClientToken: aws.String(token)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.client().CancelResourceRequest(ctx, &sdk.CancelResourceRequestInput{RequestToken: del.ProgressEvent.RequestToken}); err != nil {
		t.Fatal(err)
	}
	store, err := state.Open(ctx, e.state, "flowlogs", "test")
	if err != nil {
		t.Fatal(err)
	}
	recs, err := store.Load(ctx)
	if err != nil || len(recs) != 1 {
		t.Fatalf("state: %v %v", recs, err)
	}
	rec := recs[0]
	rec.Pending = &state.Intent{Operation: state.OpDelete, Identifier: id, ClientToken: token, RequestToken: aws.ToString(del.ProgressEvent.RequestToken), StartedAt: time.Now().UTC()}
	if err := store.Put(ctx, rec); err != nil {
		t.Fatal(err)
	}

	if code, out := e.run(prog, "destroy"); code != 0 || !strings.Contains(out, "1 deleted") {
		t.Fatalf("destroy after a cancelled delete: exit %d\n%s", code, out)
	}
	if live := e.flowLogs(); live[id] != nil {
		t.Fatalf("%s still exists", id)
	}
}

// Abandoning a run while a replaced resource is being deleted records
// that delete's request token and cancels it; the next run converges.
func TestAbandonedSupersededDeleteIsCancelled(t *testing.T) {
	e := newEnv(t, localcc.Options{Latency: map[string]localcc.Range{"*": {Min: 0, Max: 0}, "AWS::EC2::FlowLog": {Min: 1500 * time.Millisecond, Max: 1500 * time.Millisecond}}})
	p := seedProps()["advancedFlowLog"]
	decls := map[string]ec2.FlowLogProps{"advancedFlowLog": p}
	if code, out := e.run(programOf(decls, nil)); code != 0 {
		t.Fatalf("exit %d\n%s", code, out)
	}
	// MaxAggregationInterval changes the flow log but not its EC2
	// configuration key: the two would collide, so the old one goes first.
	p.MaxAggregationInterval = athanor.Int(600)
	decls["advancedFlowLog"] = p
	e.runCancelledAfter("DeleteResource", programOf(decls, nil))
	if code, out := e.run(programOf(decls, nil)); code != 0 {
		t.Fatalf("rerun: exit %d\n%s", code, out)
	}
	live := e.flowLogs()
	if len(live) != 1 {
		t.Fatalf("%d flow logs after the rerun, want 1", len(live))
	}
	for _, m := range live {
		if fmt.Sprint(m["MaxAggregationInterval"]) != "600" {
			t.Fatalf("the flow log is %v", m)
		}
	}
}
