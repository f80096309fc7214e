package athanor_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/athanor-iac/athanor"
	"github.com/athanor-iac/athanor/aws/ec2"
	"github.com/athanor-iac/athanor/localcc"
)

// --adopt takes over an existing flow log whose tags differ from the
// program's: the run ends with AWS as declared, or at least the next plan
// shows the difference. Recording the program's props as applied hides it
// for good.
func TestAdoptedResourceGetsDeclaredTags(t *testing.T) {
	e := newEnv(t, localcc.Options{})
	p := seedProps()["vpcFlowLog"]
	other := p
	other.Tags = []athanor.Tag{{Key: "Environment", Value: "Staging"}}
	existing := e.createDirectly("AWS::EC2::FlowLog", other, "")
	prog := programOf(map[string]ec2.FlowLogProps{"vpcFlowLog": p}, nil)
	if code, out := e.run(prog, "--adopt"); code != 0 {
		t.Fatalf("--adopt: exit %d\n%s", code, out)
	}
	live := e.flowLogs()
	if len(live) != 1 || live[existing] == nil {
		t.Fatalf("after adopt: %v, want only %s", live, existing)
	}
	tags, _ := json.Marshal(live[existing]["Tags"])
	code, out := e.run(prog, "plan")
	if string(tags) != `[{"Key":"Environment","Value":"Production"}]` && (code != 0 || strings.Contains(out, "No changes")) {
		t.Fatalf("adopted flow log has tags %s, and the plan says:\n%s", tags, out)
	}
}
