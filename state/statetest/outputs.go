package statetest

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/athanor-iac/athanor/state"
)

// RunOutputs checks a store's outputs (state.OutputStore): none at first,
// a round trip of nested JSON values, replacement as a whole, removal, and
// stages kept apart. open is as for Run.
func RunOutputs(t *testing.T, open func(t *testing.T) state.Store) {
	ctx := context.Background()
	s := open(t)
	got, err := state.LoadOutputs(ctx, s)
	if err != nil || len(got) != 0 {
		t.Fatalf("outputs of a new stage: %v, %v; want none", got, err)
	}
	want := map[string]any{"vpcId": "vpc-123", "subnets": []any{"subnet-1", "subnet-2"}, "sizes": map[string]any{"min": 1.0, "max": 3.0}}
	if err := state.PutOutputs(ctx, s, want); err != nil {
		t.Fatal(err)
	}
	if got, err := state.LoadOutputs(ctx, open(t)); err != nil || canon(got) != canon(want) {
		t.Fatalf("outputs read back through another handle: %s, %v; want %s", canon(got), err, canon(want))
	}
	t.Run("other stage", func(t *testing.T) {
		if got, err := state.LoadOutputs(ctx, open(t)); err != nil || len(got) != 0 {
			t.Errorf("another stage sees outputs %v, %v", got, err)
		}
	})
	if err := state.PutOutputs(ctx, s, map[string]any{"vpcId": "vpc-456"}); err != nil {
		t.Fatal(err)
	}
	if got, err := state.LoadOutputs(ctx, s); err != nil || canon(got) != `{"vpcId":"vpc-456"}` {
		t.Fatalf("outputs after a replacement: %s, %v", canon(got), err)
	}
	if err := state.PutOutputs(ctx, s, nil); err != nil {
		t.Fatal(err)
	}
	if got, err := state.LoadOutputs(ctx, s); err != nil || len(got) != 0 {
		t.Fatalf("outputs after removal: %v, %v", got, err)
	}
	if recs, err := s.Load(ctx); err != nil || len(recs) != 0 {
		t.Fatalf("outputs show as records: %v, %v", recs, err)
	}
}

func canon(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
