package engine

import (
	"context"
	"strings"
	"testing"
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
