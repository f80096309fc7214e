package athanor_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/athanor-iac/athanor"
	"github.com/athanor-iac/athanor/aws/ec2"
	"github.com/athanor-iac/athanor/localcc"
	"github.com/athanor-iac/athanor/state"
)

// A run killed during a replacement whose new flow log would collide with
// the old one, after the old one was recorded as superseded but before its
// delete was sent, must be finished by the next run: the old one goes
// first, then the new one is created. It must not fail with AlreadyExists
// on every later run.
func TestCollidingReplacementInterruptedBeforeDelete(t *testing.T) {
	for _, withIntent := range []bool{false, true} {
		t.Run(fmt.Sprintf("deleteIntent=%v", withIntent), func(t *testing.T) {
			e := newEnv(t, localcc.Options{})
			decls := map[string]ec2.FlowLogProps{"advancedFlowLog": seedProps()["advancedFlowLog"]}
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
			// What replace() leaves when the process dies right after it
			// recorded the old flow log as superseded (and, with the intent,
			// right after it recorded the delete intent).
			rec := recs[0]
			sup := state.Superseded{Identifier: rec.Identifier, Props: rec.Props}
			if withIntent {
				sup.Pending = &state.Intent{Operation: state.OpDelete, Identifier: rec.Identifier, ClientToken: "6f1c2a3e-0000-4000-8000-000000000009", StartedAt: time.Now()}
			}
			rec.Superseded = []state.Superseded{sup}
			rec.Identifier, rec.Outputs = "", nil
			if err := store.Put(context.Background(), rec); err != nil {
				t.Fatal(err)
			}
			p := decls["advancedFlowLog"]
			p.MaxAggregationInterval = athanor.Int(600)
			decls["advancedFlowLog"] = p
			for i := 0; i < 2; i++ {
				code, out := e.run(programOf(decls, nil))
				if code != 0 {
					t.Fatalf("run %d: exit %d\n%s", i+1, code, out)
				}
			}
			live := e.flowLogs()
			if len(live) != 1 {
				t.Fatalf("%d flow logs, want 1: %v", len(live), live)
			}
			for _, m := range live {
				if fmt.Sprint(m["MaxAggregationInterval"]) != "600" {
					t.Fatalf("flow log has %v", m["MaxAggregationInterval"])
				}
			}
			recs, _ = store.Load(context.Background())
			if len(recs) != 1 || len(recs[0].Superseded) != 0 || recs[0].Pending != nil || recs[0].Identifier == "" {
				t.Fatalf("state after recovery: %+v", recs)
			}
			_ = strings.Contains
		})
	}
}
