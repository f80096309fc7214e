package athanor_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/athanor-iac/athanor"
	"github.com/athanor-iac/athanor/aws/ec2"
	"github.com/athanor-iac/athanor/localcc"
)

// One stage publishes outputs; up prints them, `athanor state outputs`
// shows them, another stage's program reads them and uses them, and
// destroy removes them.
func TestOutputs(t *testing.T) {
	e := newEnv(t, localcc.Options{})
	network := func(app *athanor.App) error {
		fl, err := ec2.FlowLog(app, "vpcFlowLog", seedProps()["vpcFlowLog"])
		if err != nil {
			return err
		}
		app.Output("flowLogId", fl.Id)
		app.Output("vpc", map[string]any{"id": "vpc-87654321", "azs": []string{"a", "b"}})
		return nil
	}
	code, out := e.run(network)
	if code != 0 {
		t.Fatalf("up: exit %d\n%s", code, out)
	}
	id := e.testRecords()["vpcFlowLog"].Identifier
	if !strings.Contains(out, "Outputs:\n  flowLogId = \""+id+"\"\n  vpc = {\"azs\":[\"a\",\"b\"],\"id\":\"vpc-87654321\"}") {
		t.Errorf("up does not print the outputs:\n%s", out)
	}
	code, out = e.stateCmd("outputs", "--json")
	var doc struct {
		Outputs map[string]any `json:"outputs"`
	}
	if err := json.Unmarshal([]byte(out), &doc); code != 0 || err != nil || doc.Outputs["flowLogId"] != id {
		t.Fatalf("state outputs --json: exit %d, %v\n%s", code, err, out)
	}
	if code, out := e.stateCmd("outputs"); code != 0 || !strings.Contains(out, "flowLogId  "+id) {
		t.Errorf("state outputs: exit %d\n%s", code, out)
	}

	// Another stage reads them and declares a flow log on the VPC.
	var read map[string]any
	consumer := func(app *athanor.App) error {
		outs, err := athanor.ReadOutputs(app.Context(), e.state, "flowlogs", "test")
		if err != nil {
			return err
		}
		read = outs
		vpc, _ := outs["vpc"].(map[string]any)
		p := seedProps()["advancedFlowLog"]
		p.ResourceId, _ = vpc["id"].(string)
		_, err = ec2.FlowLog(app, "appFlowLog", p)
		return err
	}
	var buf bytes.Buffer
	args := []string{"--endpoint", e.srv.URL(), "--state", e.state, "--stage", "app", "--yes"}
	if code := athanor.Main(context.Background(), "consumer", args, &buf, &buf, consumer); code != 0 {
		t.Fatalf("the consuming stage: exit %d\n%s", code, buf.String())
	}
	if read["flowLogId"] != id {
		t.Errorf("ReadOutputs returned %v", read)
	}
	found := false
	for _, fl := range e.flowLogs() {
		found = found || fl["ResourceId"] == "vpc-87654321"
	}
	if !found {
		t.Error("the consuming stage did not use the output")
	}

	// Dropping an output drops it from state.
	if code, out := e.run(func(app *athanor.App) error {
		_, err := ec2.FlowLog(app, "vpcFlowLog", seedProps()["vpcFlowLog"])
		app.Output("only", "this")
		return err
	}); code != 0 {
		t.Fatalf("up: exit %d\n%s", code, out)
	}
	if outs, err := athanor.ReadOutputs(context.Background(), e.state, "flowlogs", "test"); err != nil || len(outs) != 1 || outs["only"] != "this" {
		t.Errorf("outputs after the program changed them: %v, %v", outs, err)
	}
	if code, out := e.run(network, "destroy"); code != 0 {
		t.Fatalf("destroy: exit %d\n%s", code, out)
	}
	if outs, err := athanor.ReadOutputs(context.Background(), e.state, "flowlogs", "test"); err != nil || len(outs) != 0 {
		t.Errorf("outputs after destroy: %v, %v", outs, err)
	}
	dup := func(app *athanor.App) error {
		app.Output("x", 1)
		app.Output("x", 2)
		return nil
	}
	if code, out := e.run(dup, "plan"); code != 1 || !strings.Contains(out, `output "x" is declared twice`) {
		t.Errorf("an output declared twice: exit %d\n%s", code, out)
	}
}
