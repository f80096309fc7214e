package athanor_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/athanor-iac/athanor"
	"github.com/athanor-iac/athanor/aws/ec2"
	"github.com/athanor-iac/athanor/localcc"
)

// A replacement whose new flow log would collide with the old one (same
// resource, traffic type and destination) deletes the old one first.
func TestReplaceThatWouldCollide(t *testing.T) {
	e := newEnv(t, localcc.Options{})
	decls := map[string]ec2.FlowLogProps{"advancedFlowLog": seedProps()["advancedFlowLog"]}
	if code, out := e.run(programOf(decls, nil)); code != 0 {
		t.Fatalf("exit %d\n%s", code, out)
	}
	p := decls["advancedFlowLog"]
	p.MaxAggregationInterval = athanor.Int(600)
	decls["advancedFlowLog"] = p
	creates := e.srv.Metrics().Calls["CreateResource"]
	code, out := e.run(programOf(decls, nil))
	if code != 0 || !strings.Contains(out, "1 replaced") {
		t.Fatalf("exit %d\n%s", code, out)
	}
	// The old one was deleted first: no create was sent that EC2 refused
	// as a duplicate (the AlreadyExists fallback reaches the same end).
	if n := e.srv.Metrics().Calls["CreateResource"] - creates; n != 1 {
		t.Fatalf("%d CreateResource calls for the replacement, want 1\n%s", n, out)
	}
	live := e.flowLogs()
	if len(live) != 1 {
		t.Fatalf("%d flow logs, want 1", len(live))
	}
	for _, m := range live {
		if fmt.Sprint(m["MaxAggregationInterval"]) != "600" {
			t.Fatalf("replacement has %v", m["MaxAggregationInterval"])
		}
	}
}
