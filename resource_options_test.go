package athanor_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdk "github.com/aws/aws-sdk-go-v2/service/cloudcontrol"

	"github.com/athanor-iac/athanor"
	"github.com/athanor-iac/athanor/aws/ec2"
	"github.com/athanor-iac/athanor/localcc"
	"github.com/athanor-iac/athanor/state"
)

// optionProgram declares flow logs, each with its options.
func optionProgram(decls map[string]ec2.FlowLogProps, opts map[string][]athanor.ResourceOption) func(*athanor.App) error {
	return func(app *athanor.App) error {
		for id, p := range decls {
			if _, err := ec2.FlowLog(app, id, p, opts[id]...); err != nil {
				return err
			}
		}
		return nil
	}
}

// testRecords returns the records of stage "test" by logical ID.
func (e *env) testRecords() map[string]state.Record {
	e.t.Helper()
	out := map[string]state.Record{}
	for _, r := range e.load("test") {
		out[r.LogicalID] = r
	}
	return out
}

// mutationCount is the number of create, update and delete calls the
// endpoint received.
func (e *env) mutationCount() int64 {
	var n int64
	for _, c := range e.mutations() {
		n += c
	}
	return n
}

// A protected resource survives a changed createOnly property, a removed
// declaration and destroy: each plan fails before anything is sent, naming
// the resource and the option. Removing the option lets the change go.
func TestProtect(t *testing.T) {
	e := newEnv(t, localcc.Options{})
	p := seedProps()["vpcFlowLog"]
	prot := map[string][]athanor.ResourceOption{"vpcFlowLog": {athanor.Protect()}}
	if code, out := e.run(optionProgram(map[string]ec2.FlowLogProps{"vpcFlowLog": p}, prot)); code != 0 {
		t.Fatalf("up: exit %d\n%s", code, out)
	}
	id := e.testRecords()["vpcFlowLog"].Identifier
	if !e.testRecords()["vpcFlowLog"].Protect {
		t.Fatal("Protect is not kept in state")
	}
	before := e.mutationCount()
	refused := func(what string, code int, out string) {
		t.Helper()
		if code != 1 || !strings.Contains(out, "vpcFlowLog (AWS::EC2::FlowLog): protected (athanor.Protect())") {
			t.Errorf("%s: exit %d, want 1 and the protected resource named:\n%s", what, code, out)
		}
		if n := e.mutationCount(); n != before {
			t.Errorf("%s: %d mutations sent, want none", what, n-before)
		}
		if _, ok := e.flowLogs()[id]; !ok {
			t.Fatalf("%s: the protected flow log %s is gone", what, id)
		}
	}

	changed := p
	changed.TrafficType = "REJECT"
	code, out := e.run(optionProgram(map[string]ec2.FlowLogProps{"vpcFlowLog": changed}, prot))
	refused("a changed createOnly property", code, out)
	if !strings.Contains(out, "TrafficType forces replacement") {
		t.Errorf("the refusal does not say why the plan would replace it:\n%s", out)
	}
	code, out = e.run(optionProgram(map[string]ec2.FlowLogProps{"vpcFlowLog": changed}, prot), "plan")
	refused("plan with a changed createOnly property", code, out)
	code, out = e.run(optionProgram(nil, nil))
	refused("a removed declaration", code, out)
	code, out = e.run(optionProgram(nil, nil), "destroy")
	refused("destroy", code, out)

	// Removing the option is the way out: the replacement goes ahead.
	if code, out := e.run(optionProgram(map[string]ec2.FlowLogProps{"vpcFlowLog": changed}, nil)); code != 0 || !strings.Contains(out, "replaced") {
		t.Fatalf("up without Protect: exit %d\n%s", code, out)
	}
	if code, out := e.run(optionProgram(nil, nil), "destroy"); code != 0 {
		t.Fatalf("destroy without Protect: exit %d\n%s", code, out)
	}
	if n := len(e.flowLogs()); n != 0 {
		t.Errorf("%d flow logs left after destroy, want 0", n)
	}
}

// A retained resource is left on the endpoint by destroy and by a removed
// declaration, and is gone from state; the plan says so.
func TestRetainOnDelete(t *testing.T) {
	e := newEnv(t, localcc.Options{})
	decls := map[string]ec2.FlowLogProps{"vpcFlowLog": seedProps()["vpcFlowLog"], "interfaceFlowLog": seedProps()["interfaceFlowLog"]}
	keep := map[string][]athanor.ResourceOption{"vpcFlowLog": {athanor.RetainOnDelete()}, "interfaceFlowLog": {athanor.RetainOnDelete()}}
	if code, out := e.run(optionProgram(decls, keep)); code != 0 {
		t.Fatalf("up: exit %d\n%s", code, out)
	}
	recs := e.testRecords()
	kept, dropped := recs["vpcFlowLog"].Identifier, recs["interfaceFlowLog"].Identifier

	// A removed declaration: the record goes, the flow log stays.
	code, out := e.run(optionProgram(map[string]ec2.FlowLogProps{"vpcFlowLog": decls["vpcFlowLog"]}, keep), "plan")
	if code != 0 || !strings.Contains(out, "interfaceFlowLog (AWS::EC2::FlowLog) "+dropped+": remove from state, leave in AWS") {
		t.Fatalf("plan: exit %d, want the retained resource's removal from state:\n%s", code, out)
	}
	if code, out := e.run(optionProgram(map[string]ec2.FlowLogProps{"vpcFlowLog": decls["vpcFlowLog"]}, keep)); code != 0 || !strings.Contains(out, "1 removed from state (left in AWS)") {
		t.Fatalf("up: exit %d\n%s", code, out)
	}
	if _, ok := e.testRecords()["interfaceFlowLog"]; ok {
		t.Error("the retained interfaceFlowLog is still in state")
	}

	var plan struct {
		Changes []struct {
			LogicalID string `json:"logicalId"`
			Action    string `json:"action"`
			Retain    bool   `json:"retain"`
		} `json:"changes"`
	}
	code, out = e.run(optionProgram(nil, nil), "plan", "--json")
	if err := json.Unmarshal([]byte(out), &plan); code != 0 || err != nil || len(plan.Changes) != 1 || plan.Changes[0].Action != "forget" || !plan.Changes[0].Retain {
		t.Fatalf("plan --json after removing the declaration: exit %d, %v\n%s", code, err, out)
	}
	if code, out := e.run(optionProgram(nil, nil), "destroy"); code != 0 {
		t.Fatalf("destroy: exit %d\n%s", code, out)
	}
	if len(e.testRecords()) != 0 {
		t.Errorf("records left after destroy: %v", e.testRecords())
	}
	for _, id := range []string{kept, dropped} {
		if _, ok := e.flowLogs()[id]; !ok {
			t.Errorf("retained flow log %s was deleted", id)
		}
	}
	if n := e.srv.Metrics().Calls["DeleteResource"]; n != 0 {
		t.Errorf("%d DeleteResource calls, want none", n)
	}
}

// Drift on an ignored path is neither planned as a change nor undone, and
// a program change there is not applied either.
func TestIgnoreChanges(t *testing.T) {
	e := newEnv(t, localcc.Options{})
	p := seedProps()["vpcFlowLog"]
	ign := map[string][]athanor.ResourceOption{"vpcFlowLog": {athanor.IgnoreChanges("Tags")}}
	prog := optionProgram(map[string]ec2.FlowLogProps{"vpcFlowLog": p}, ign)
	if code, out := e.run(prog); code != 0 {
		t.Fatalf("up: exit %d\n%s", code, out)
	}
	id := e.testRecords()["vpcFlowLog"].Identifier
	hacked := []map[string]string{{"Key": "Environment", "Value": "Hacked"}}
	patch, _ := json.Marshal([]map[string]any{{"op": "replace", "path": "/Tags", "value": hacked}})
	up, err := e.client().UpdateResource(context.Background(), &sdk.UpdateResourceInput{TypeName: aws.String("AWS::EC2::FlowLog"), Identifier: aws.String(id), PatchDocument: aws.String(string(patch))})
	if err != nil {
		t.Fatal(err)
	}
	e.waitRequest(up.ProgressEvent.RequestToken)

	code, out := e.run(prog, "plan", "--refresh")
	if code != 0 || !strings.Contains(out, "No changes") || !strings.Contains(out, "ignoring changes to Tags (IgnoreChanges)") {
		t.Fatalf("plan --refresh: exit %d, want no changes and the ignored path named:\n%s", code, out)
	}
	// A program change on the ignored path is not applied either.
	retagged := p
	retagged.Tags = []athanor.Tag{{Key: "Environment", Value: "Staging"}}
	code, out = e.run(optionProgram(map[string]ec2.FlowLogProps{"vpcFlowLog": retagged}, ign), "--refresh")
	if code != 0 || !strings.Contains(out, "no changes") {
		t.Fatalf("up --refresh: exit %d\n%s", code, out)
	}
	if n := e.srv.Metrics().Calls["UpdateResource"]; n != 1 {
		t.Errorf("%d UpdateResource calls, want only the one made outside the program", n)
	}
	tags, _ := json.Marshal(e.flowLogs()[id]["Tags"])
	if !strings.Contains(string(tags), "Hacked") {
		t.Errorf("the drift on the ignored path was undone: Tags are %s", tags)
	}
	// Without the option the same drift is planned back.
	if code, out := e.run(optionProgram(map[string]ec2.FlowLogProps{"vpcFlowLog": p}, nil), "plan", "--refresh"); code != 0 || !strings.Contains(out, "1 to update") {
		t.Errorf("plan --refresh without IgnoreChanges: exit %d, want the drift planned back:\n%s", code, out)
	}
	// A path the type does not have is a mistake in the program.
	bad := map[string][]athanor.ResourceOption{"vpcFlowLog": {athanor.IgnoreChanges("Tag")}}
	if code, out := e.run(optionProgram(map[string]ec2.FlowLogProps{"vpcFlowLog": p}, bad), "plan"); code != 1 || !strings.Contains(out, `IgnoreChanges("Tag"): AWS::EC2::FlowLog has no property "Tag"; did you mean "Tags"?`) {
		t.Errorf("a mistyped path: exit %d\n%s", code, out)
	}
}

// A change on a ReplaceOnChanges path replaces the resource; without the
// option the same change is an update in place.
func TestReplaceOnChanges(t *testing.T) {
	e := newEnv(t, localcc.Options{})
	p := seedProps()["vpcFlowLog"]
	opts := map[string][]athanor.ResourceOption{"vpcFlowLog": {athanor.ReplaceOnChanges("Tags/0/Value")}}
	if code, out := e.run(optionProgram(map[string]ec2.FlowLogProps{"vpcFlowLog": p}, opts)); code != 0 {
		t.Fatalf("up: exit %d\n%s", code, out)
	}
	old := e.testRecords()["vpcFlowLog"].Identifier
	retagged := p
	retagged.Tags = []athanor.Tag{{Key: "Environment", Value: "Staging"}}
	prog := optionProgram(map[string]ec2.FlowLogProps{"vpcFlowLog": retagged}, opts)
	if code, out := e.run(optionProgram(map[string]ec2.FlowLogProps{"vpcFlowLog": retagged}, nil), "plan"); code != 0 || !strings.Contains(out, "1 to update") {
		t.Fatalf("plan without the option: exit %d\n%s", code, out)
	}
	if code, out := e.run(prog, "plan"); code != 0 || !strings.Contains(out, "Tags forces replacement (ReplaceOnChanges)") {
		t.Fatalf("plan: exit %d, want a replacement forced by the option:\n%s", code, out)
	}
	if code, out := e.run(prog); code != 0 {
		t.Fatalf("up: exit %d\n%s", code, out)
	}
	fls := e.flowLogs()
	if _, ok := fls[old]; ok || len(fls) != 1 {
		t.Errorf("flow logs after the replacement: %v; want one, not %s", fls, old)
	}
}

// DeleteBeforeReplace deletes the old resource before creating the new
// one; without it the new one is created first.
func TestDeleteBeforeReplace(t *testing.T) {
	for _, first := range []bool{false, true} {
		e := newEnv(t, localcc.Options{})
		p := seedProps()["vpcFlowLog"]
		var opts map[string][]athanor.ResourceOption
		if first {
			opts = map[string][]athanor.ResourceOption{"vpcFlowLog": {athanor.DeleteBeforeReplace()}}
		}
		if code, out := e.run(optionProgram(map[string]ec2.FlowLogProps{"vpcFlowLog": p}, opts)); code != 0 {
			t.Fatalf("up: exit %d\n%s", code, out)
		}
		changed := p
		changed.TrafficType = "REJECT"
		prog := optionProgram(map[string]ec2.FlowLogProps{"vpcFlowLog": changed}, opts)
		var plan struct {
			Changes []struct {
				DeleteBeforeReplace bool `json:"deleteBeforeReplace"`
			} `json:"changes"`
		}
		code, out := e.run(prog, "plan", "--json")
		if err := json.Unmarshal([]byte(out), &plan); code != 0 || err != nil || len(plan.Changes) != 1 || plan.Changes[0].DeleteBeforeReplace != first {
			t.Fatalf("plan --json: exit %d, %v, want deleteBeforeReplace %v:\n%s", code, err, first, out)
		}
		if code, out := e.run(prog); code != 0 {
			t.Fatalf("up: exit %d\n%s", code, out)
		}
		reqs, err := e.client().ListResourceRequests(context.Background(), &sdk.ListResourceRequestsInput{})
		if err != nil {
			t.Fatal(err)
		}
		var ops []string // newest first
		for _, r := range reqs.ResourceRequestStatusSummaries {
			ops = append(ops, string(r.Operation))
		}
		want := []string{"DELETE", "CREATE", "CREATE"}
		if first {
			want = []string{"CREATE", "DELETE", "CREATE"}
		}
		if strings.Join(ops, " ") != strings.Join(want, " ") {
			t.Errorf("DeleteBeforeReplace %v: requests newest first %v, want %v", first, ops, want)
		}
	}
}

// Timeout overrides the run's timeout for its resource alone.
func TestTimeoutOption(t *testing.T) {
	e := newEnv(t, localcc.Options{Clock: localcc.NewManualClock(time.Unix(0, 0))})
	opts := map[string][]athanor.ResourceOption{"vpcFlowLog": {athanor.Timeout(200 * time.Millisecond)}}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var out strings.Builder
	args := []string{"--endpoint", e.srv.URL(), "--state", e.state, "--stage", "test", "--timeout", "1h", "--yes"}
	code := athanor.Main(ctx, "flowlogs", args, &out, &out, optionProgram(map[string]ec2.FlowLogProps{"vpcFlowLog": seedProps()["vpcFlowLog"]}, opts))
	if code != 1 || !strings.Contains(out.String(), "did not finish within 200ms (the resource's athanor.Timeout option") {
		t.Fatalf("exit %d, want the option's timeout:\n%s", code, out.String())
	}
	if ctx.Err() != nil {
		t.Fatal("the run's timeout applied, not the option's")
	}
}
