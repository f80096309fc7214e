package athanor_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/athanor-iac/athanor/localcc"
	"github.com/athanor-iac/athanor/state"
)

// leftoverPlan is what a test reads of plan --json.
type leftoverPlan struct {
	Changes []struct {
		LogicalID, Action string
		Leftovers         []struct {
			Identifier string
			HeldBy     *struct{ App, Stage, LogicalID string }
		}
	}
	Summary map[string]int
}

// A replaced resource whose delete an earlier run did not finish, which
// the record still lists, is in the plan, text and --json: the run deletes
// it; and when another stage holds it too, the plan says so and counts it
// refused, and the run leaves it to that stage.
func TestLeftoverReplacedResourceIsPlanned(t *testing.T) {
	for _, held := range []bool{false, true} {
		name := "deleted"
		if held {
			name = "held by another stage"
		}
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, localcc.Options{})
			if code, out := e.runIn("test", logGroups("lg", "current", "old", "old-group")); code != 0 {
				t.Fatalf("up: exit %d\n%s", code, out)
			}
			// What a replacement of lg leaves when its delete of the old
			// log group does not finish.
			ctx := context.Background()
			store := e.stageStore("test")
			var lg state.Record
			for _, r := range e.load("test") {
				if r.LogicalID == "lg" {
					lg = r
				}
			}
			lg.Superseded = []state.Superseded{{Identifier: "old-group", Props: map[string]any{"LogGroupName": "old-group"}}}
			if err := store.Put(ctx, lg); err != nil {
				t.Fatal(err)
			}
			if err := store.Delete(ctx, "old"); err != nil {
				t.Fatal(err)
			}
			if held {
				keeper := state.Record{LogicalID: "keeper", Type: "AWS::Logs::LogGroup", Identifier: "old-group", Props: map[string]any{"LogGroupName": "old-group"}}
				if err := e.stageStore("prod").Put(ctx, keeper); err != nil {
					t.Fatal(err)
				}
			}
			prog := logGroups("lg", "current")
			code, out := e.runIn("test", prog, "plan", "--json", "--detailed-exitcode")
			var plan leftoverPlan
			if err := json.Unmarshal([]byte(out), &plan); err != nil || code != 2 {
				t.Fatalf("plan --json: exit %d, %v\n%s", code, err, out)
			}
			if len(plan.Changes) != 1 || plan.Changes[0].Action != "no-op" || len(plan.Changes[0].Leftovers) != 1 || plan.Changes[0].Leftovers[0].Identifier != "old-group" {
				t.Fatalf("plan %+v; want lg unchanged, its leftover old-group", plan)
			}
			h := plan.Changes[0].Leftovers[0].HeldBy
			if (h != nil) != held || held && (h.Stage != "prod" || h.LogicalID != "keeper") || plan.Summary["refused"] != map[bool]int{false: 0, true: 1}[held] {
				t.Fatalf("leftover held by %+v, summary %v; want held %v by prod's keeper", h, plan.Summary, held)
			}
			code, out = e.runIn("test", prog, "plan")
			want := "replaced old-group (left over from an earlier run): delete"
			if held {
				want = `not deleted: app flowlogs, stage prod holds it too, as "keeper"`
			}
			if code != 0 || !strings.Contains(out, want) {
				t.Fatalf("plan: exit %d, want %q in\n%s", code, want, out)
			}
			code, out = e.runIn("test", prog)
			if code != map[bool]int{false: 0, true: 1}[held] || e.logGroupExists("old-group") != held {
				t.Fatalf("up: exit %d, old-group exists %v; want it deleted unless held\n%s", code, e.logGroupExists("old-group"), out)
			}
		})
	}
}
