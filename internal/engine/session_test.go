package engine

import (
	"context"
	"testing"

	"github.com/athanor-iac/athanor/state"
)

// loadCounter is a store that holds records and counts how often they
// are loaded; nothing in these tests writes.
type loadCounter struct {
	state.Store
	recs  []state.Record
	loads int
}

func (s *loadCounter) Load(context.Context) ([]state.Record, error) {
	s.loads++
	return append([]state.Record(nil), s.recs...), nil
}

func logGroupRecord(id string, pending *state.Intent) state.Record {
	props := map[string]any{"LogGroupName": id}
	return state.Record{LogicalID: id, Type: "AWS::Logs::LogGroup", Identifier: id, Props: props, Outputs: props, Pending: pending}
}

// The apply pass of a session starts from the plan pass: the state is
// loaded once, and what the plan pass validated is not validated again.
func TestSessionHandsThePlanToTheApplyPass(t *testing.T) {
	ctx := context.Background()
	store := &loadCounter{recs: []state.Record{logGroupRecord("logs", nil)}}
	sess, err := NewSession(ctx, Options{Store: store})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sess.Plan().Declare(ctx, Declaration{LogicalID: "logs", Type: "AWS::Logs::LogGroup", Props: map[string]any{"LogGroupName": "logs"}}); err != nil {
		t.Fatal(err)
	}
	if probs := sess.Plan().Problems(); len(probs) > 0 {
		t.Fatalf("plan problems: %v", probs)
	}
	if sess.Pending() {
		t.Error("Pending() with no operation in flight")
	}
	apply, err := sess.Apply(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if store.loads != 1 {
		t.Errorf("the state was loaded %d times; the apply pass should start from the plan pass's records", store.loads)
	}
	if got := apply.Loaded(); len(got) != 1 || got[0].LogicalID != "logs" {
		t.Errorf("apply pass starts from %v; want the plan pass's record", got)
	}
	if got := apply.opts.Checked; got["logs"] == "" {
		t.Errorf("apply pass's validated declarations: %v; want the plan pass's", got)
	}
}

// A run whose state holds an operation an earlier run left in flight calls
// AWS to finish it, even when the plan changes nothing: Pending says so,
// for an intent on a record and on a superseded resource alike.
func TestSessionPending(t *testing.T) {
	intent := &state.Intent{Operation: state.OpCreate, ClientToken: "t"}
	superseded := logGroupRecord("old", nil)
	superseded.Superseded = []state.Superseded{{Identifier: "old-1", Pending: intent}}
	for name, rec := range map[string]state.Record{"record": logGroupRecord("logs", intent), "superseded": superseded} {
		sess, err := NewSession(context.Background(), Options{Store: &loadCounter{recs: []state.Record{rec}}})
		if err != nil {
			t.Fatal(err)
		}
		if !sess.Pending() {
			t.Errorf("%s: Pending() is false with an intent in state", name)
		}
	}
}
