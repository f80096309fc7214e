package engine

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/athanor-iac/athanor/state"
)

// With --adopt, a create the service refuses because the resource exists
// takes over the existing one, found by the identity under its type's
// rules: a flow log of the same resource, traffic type and destination,
// even though another createOnly setting differs (it is then replaced).
func TestAdoptFindsTheExistingResourceByIdentity(t *testing.T) {
	store, prov := stage(t), newFakeProvider()
	prov.resources[flowLogType] = map[string]map[string]any{
		"fl-other": flowLog("ResourceId", "vpc-87654321", "Id", "fl-other"),
		"fl-1":     flowLog("MaxAggregationInterval", 60, "Id", "fl-1"),
	}
	var notes []string
	e, err := New(context.Background(), ModeApply, Options{Store: store, Provider: prov, Adopt: true, Events: func(ev Event) {
		if ev.Phase == PhaseNote {
			notes = append(notes, ev.Detail)
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Declare(context.Background(), Declaration{LogicalID: "fl", Type: flowLogType, Props: flowLog("MaxAggregationInterval", 600)}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(notes, "\n"), "took over the existing fl-1") {
		t.Fatalf("notes %q; want fl-1 taken over (calls %q)", notes, prov.Calls())
	}
	if _, ok := prov.resources[flowLogType]["fl-other"]; !ok {
		t.Fatal("the flow log of another VPC was touched")
	}
}

// --adopt never takes over the old resource of a replacement that is still
// to be deleted: the record that replaced it would delete it at the end of
// a run, leaving the adopter's record pointing at nothing.
func TestAdoptRefusesTheOldResourceOfAReplacement(t *testing.T) {
	const lg = "AWS::Logs::LogGroup"
	store, prov := stage(t), newFakeProvider()
	prov.resources[lg] = map[string]map[string]any{
		"chk-group": {"LogGroupName": "chk-group"},
		"chk-new":   {"LogGroupName": "chk-new"},
	}
	if err := store.Put(context.Background(), state.Record{
		LogicalID: "first", Type: lg, Identifier: "chk-new", Props: map[string]any{"LogGroupName": "chk-new"},
		Superseded: []state.Superseded{{Identifier: "chk-group", Props: map[string]any{"LogGroupName": "chk-group"}}},
	}); err != nil {
		t.Fatal(err)
	}
	e, err := New(context.Background(), ModeApply, Options{Store: store, Provider: prov, Adopt: true, Where: state.StageRef{App: "app", Stage: "dev"}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.Declare(context.Background(), Declaration{LogicalID: "second", Type: lg, Props: map[string]any{"LogGroupName": "chk-group"}})
	var he *HeldError
	if !errors.As(err, &he) || !he.Superseded || he.Holder.LogicalID != "first" {
		t.Fatalf("Declare = %v; want a *HeldError naming the replacement of first still to delete it (calls %q)", err, prov.Calls())
	}
	if _, ok := records(t, store)["second"]; ok {
		t.Error("second was recorded as managing chk-group")
	}
}
