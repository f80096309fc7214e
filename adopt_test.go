package athanor_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/athanor-iac/athanor"
	"github.com/athanor-iac/athanor/aws/ec2"
	"github.com/athanor-iac/athanor/internal/engine"
	"github.com/athanor-iac/athanor/localcc"
	"github.com/athanor-iac/athanor/state"
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

// runIn runs program with args in stage of the env's state store.
func (e *env) runIn(stage string, program func(*athanor.App) error, args ...string) (int, string) {
	e.t.Helper()
	var out bytes.Buffer
	args = append(args, "--endpoint", e.srv.URL(), "--state", e.state, "--stage", stage)
	code := athanor.Main(context.Background(), "flowlogs", args, &out, &out, program)
	return code, out.String()
}

// logGroups declares log groups by logical ID → LogGroupName, in the
// order given.
func logGroups(pairs ...string) func(*athanor.App) error {
	return func(app *athanor.App) error {
		for i := 0; i+1 < len(pairs); i += 2 {
			if _, err := app.Resource("AWS::Logs::LogGroup", pairs[i], map[string]any{"LogGroupName": pairs[i+1]}); err != nil {
				return err
			}
		}
		return nil
	}
}

// records returns the stage's records: logical ID → identifier.
func (e *env) records(stage string) map[string]string {
	e.t.Helper()
	store, err := state.Open(context.Background(), e.state, "flowlogs", stage)
	if err != nil {
		e.t.Fatal(err)
	}
	recs, err := store.Load(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	out := map[string]string{}
	for _, r := range recs {
		out[r.LogicalID] = r.Identifier
	}
	return out
}

func (e *env) logGroupExists(name string) bool {
	for _, r := range e.srv.Resources("AWS::Logs::LogGroup") {
		if r.Identifier == name {
			return true
		}
	}
	return false
}

// mutations counts the create, update and delete calls the endpoint
// received.
func (e *env) mutations() map[string]int64 {
	c := e.srv.Metrics().Calls
	return map[string]int64{"create": c["CreateResource"], "update": c["UpdateResource"], "delete": c["DeleteResource"]}
}

// A log group renamed in the program (same LogGroupName, new logical ID)
// is the same log group: the plan shows the move, and the run renames the
// record without a create or a delete. Before, the run failed with
// AlreadyExists, and --adopt then had the new ID take the group over and
// deleted it as the old ID's orphan.
func TestRenamedResourceIsMoved(t *testing.T) {
	e := newEnv(t, localcc.Options{})
	if code, out := e.run(logGroups("first", "chk-group")); code != 0 {
		t.Fatalf("first run: exit %d\n%s", code, out)
	}
	renamed := logGroups("second", "chk-group")
	code, out := e.run(renamed, "plan", "--detailed-exitcode")
	if code != 2 || !strings.Contains(out, "→ second (AWS::Logs::LogGroup) chk-group: moved: first → second") || !strings.Contains(out, "0 to create") || !strings.Contains(out, "0 to delete, 1 to move") {
		t.Fatalf("plan of the rename: exit %d\n%s", code, out)
	}
	code, out = e.run(renamed, "plan", "--json")
	var plan struct {
		Changes []engine.Change
		Summary map[string]int
	}
	if err := json.Unmarshal([]byte(out), &plan); err != nil || code != 0 {
		t.Fatalf("plan --json: exit %d, %v\n%s", code, err, out)
	}
	if len(plan.Changes) != 1 || plan.Changes[0].MovedFrom != "first" || plan.Changes[0].Action != engine.NoOp || plan.Summary["move"] != 1 || plan.Summary["no-op"] != 0 {
		t.Fatalf("plan --json of the rename: %+v", plan)
	}
	before := e.mutations()
	if code, out = e.run(renamed, "--adopt"); code != 0 || !strings.Contains(out, "second (AWS::Logs::LogGroup) moved from first") || !strings.Contains(out, "1 moved") {
		t.Fatalf("up: exit %d\n%s", code, out)
	}
	if after := e.mutations(); after["create"] != before["create"] || after["delete"] != before["delete"] {
		t.Fatalf("the move called the endpoint: %v before, %v after", before, after)
	}
	if recs := e.records("test"); len(recs) != 1 || recs["second"] != "chk-group" || !e.logGroupExists("chk-group") {
		t.Fatalf("after the move: records %v, log group exists %v", recs, e.logGroupExists("chk-group"))
	}
	if code, out = e.run(renamed, "plan"); code != 0 || !strings.Contains(out, "No changes") {
		t.Fatalf("plan after the move: exit %d\n%s", code, out)
	}
}
