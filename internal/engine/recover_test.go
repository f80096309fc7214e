package engine

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cloudcontrol/types"

	"github.com/athanor-iac/athanor/provider/cloudcontrol"
	"github.com/athanor-iac/athanor/state"
)

// A stage whose log group "logs" (g) has an update an earlier run left in
// flight under request token "req-1".
func stageWithPendingUpdate(t *testing.T, prov *fakeProvider) state.Store {
	t.Helper()
	store := stage(t)
	props := map[string]any{"LogGroupName": "g", "RetentionInDays": 7}
	prov.resources["AWS::Logs::LogGroup"] = map[string]map[string]any{"g": {"LogGroupName": "g", "RetentionInDays": 7}}
	rec := state.Record{LogicalID: "logs", Type: "AWS::Logs::LogGroup", Identifier: "g", Props: props, Outputs: props,
		Pending:   &state.Intent{Operation: state.OpUpdate, Identifier: "g", ClientToken: "ct-1", RequestToken: "req-1", StartedAt: time.Now().UTC()},
		UpdatedAt: time.Now().UTC()}
	if err := store.Put(context.Background(), rec); err != nil {
		t.Fatal(err)
	}
	return store
}

// An earlier run's update is awaited before the resource is read again.
// When how it ended cannot be learned (the status poll fails), the run
// stops with that error and the intent stays in state for the next run;
// when it ended, however it ended, the run goes on.
func TestRecoverAwaitsTheEarlierRequest(t *testing.T) {
	decl := Declaration{LogicalID: "logs", Type: "AWS::Logs::LogGroup", Props: map[string]any{"LogGroupName": "g", "RetentionInDays": 7}}
	for _, tc := range []struct {
		name     string
		waitErr  error
		wantFail bool
	}{
		{"poll fails", errors.New("connection reset by peer"), true},
		{"request failed", failed("UPDATE", "AWS::Logs::LogGroup", types.HandlerErrorCodeInvalidRequest, "bad"), false},
		{"request cancelled", &cloudcontrol.OperationError{Operation: "UPDATE", Status: types.OperationStatusCancelComplete}, false},
		{"request succeeded", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			prov := newFakeProvider()
			prov.waitErr = tc.waitErr
			store := stageWithPendingUpdate(t, prov)
			err := run(t, store, prov, decl)
			rec := records(t, store)["logs"]
			if tc.wantFail {
				if !errors.Is(err, tc.waitErr) || rec.Pending == nil || rec.Pending.RequestToken != "req-1" {
					t.Fatalf("err %v, pending %+v; want the poll's error and the intent kept", err, rec.Pending)
				}
				return
			}
			if err != nil || rec.Pending != nil {
				t.Fatalf("err %v, pending %+v; want the intent settled", err, rec.Pending)
			}
		})
	}
}

// The delete of a replaced resource that an earlier run left in flight is
// awaited the same way.
func TestRecoverAwaitsTheEarlierDeleteOfAReplacedResource(t *testing.T) {
	prov := newFakeProvider()
	prov.waitErr = errors.New("connection reset by peer")
	store := stage(t)
	props := map[string]any{"LogGroupName": "b"}
	prov.resources["AWS::Logs::LogGroup"] = map[string]map[string]any{"a": {"LogGroupName": "a"}, "b": props}
	rec := state.Record{LogicalID: "logs", Type: "AWS::Logs::LogGroup", Identifier: "b", Props: props, Outputs: props,
		Superseded: []state.Superseded{{Identifier: "a", Props: map[string]any{"LogGroupName": "a"},
			Pending: &state.Intent{Operation: state.OpDelete, Identifier: "a", ClientToken: "ct-1", RequestToken: "req-1", StartedAt: time.Now().UTC()}}},
		UpdatedAt: time.Now().UTC()}
	if err := store.Put(context.Background(), rec); err != nil {
		t.Fatal(err)
	}
	err := run(t, store, prov, Declaration{LogicalID: "logs", Type: "AWS::Logs::LogGroup", Props: props})
	got := records(t, store)["logs"]
	if !errors.Is(err, prov.waitErr) || len(got.Superseded) != 1 || got.Superseded[0].Pending == nil {
		t.Fatalf("err %v, superseded %+v; want the poll's error and the delete's intent kept", err, got.Superseded)
	}
	if _, ok := prov.resources["AWS::Logs::LogGroup"]["a"]; !ok {
		t.Fatal("the replaced resource was deleted again before the earlier delete was known to have ended")
	}
}
