package athanor_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdk "github.com/aws/aws-sdk-go-v2/service/cloudcontrol"

	"github.com/athanor-iac/athanor/aws/ec2"
	"github.com/athanor-iac/athanor/internal/cli"
	"github.com/athanor-iac/athanor/localcc"
)

// waitRequest waits for a request that must succeed.
func (e *env) waitRequest(token *string) {
	e.t.Helper()
	if ev := e.settle(token); ev.OperationStatus != "SUCCESS" {
		e.t.Fatalf("request %s: %s", ev.OperationStatus, aws.ToString(ev.StatusMessage))
	}
}

// Drift made by another client is reported by refresh and undone by
// up --refresh; what AWS fills in by default is never drift.
func TestDriftRefreshAndRestore(t *testing.T) {
	e := newEnv(t, localcc.Options{})
	got := map[string]*ec2.FlowLogResource{}
	decls := map[string]ec2.FlowLogProps{"vpcFlowLog": seedProps()["vpcFlowLog"], "interfaceFlowLog": seedProps()["interfaceFlowLog"], "crossAccountFlowLog": seedProps()["crossAccountFlowLog"]}
	prog := programOf(decls, got)
	if code, out := e.run(prog); code != 0 {
		t.Fatalf("up: exit %d\n%s", code, out)
	}
	if code, out := e.run(prog, "refresh"); code != 0 || !strings.Contains(out, "No drift") {
		t.Fatalf("refresh right after up: exit %d\n%s", code, out)
	}

	// Another client retags one flow log and deletes the other.
	patch, _ := json.Marshal([]map[string]any{{"op": "replace", "path": "/Tags", "value": []map[string]string{{"Key": "Environment", "Value": "Hacked"}}}})
	up, err := e.client().UpdateResource(context.Background(), &sdk.UpdateResourceInput{TypeName: aws.String("AWS::EC2::FlowLog"), Identifier: aws.String(got["vpcFlowLog"].Id), PatchDocument: aws.String(string(patch))})
	if err != nil {
		t.Fatal(err)
	}
	e.waitRequest(up.ProgressEvent.RequestToken)
	del, err := e.client().DeleteResource(context.Background(), &sdk.DeleteResourceInput{TypeName: aws.String("AWS::EC2::FlowLog"), Identifier: aws.String(got["interfaceFlowLog"].Id)})
	if err != nil {
		t.Fatal(err)
	}
	e.waitRequest(del.ProgressEvent.RequestToken)

	code, out := e.run(prog, "refresh")
	if code != 0 {
		t.Fatalf("refresh: exit %d\n%s", code, out)
	}
	for _, want := range []string{"interfaceFlowLog (AWS::EC2::FlowLog) " + got["interfaceFlowLog"].Id + ": deleted", `Tags: [{"Key":"Environment","Value":"Production"}] → [{"Key":"Environment","Value":"Hacked"}]`, "2 resources drifted"} {
		if !strings.Contains(out, want) {
			t.Errorf("refresh output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "LogFormat") || strings.Contains(out, "MaxAggregationInterval") || strings.Contains(out, "LogDestination:") {
		t.Errorf("AWS defaults reported as drift:\n%s", out)
	}

	e.srv.ResetMetrics()
	code, out = e.run(prog, "--refresh")
	// AWS is read once per resource, not once per pass: two reads, since
	// the refresh above already recorded the third as deleted.
	if m := e.srv.Metrics(); m.Calls["GetResource"] != 2 {
		t.Errorf("up --refresh read %d times for 2 existing resources: %v", m.Calls["GetResource"], m.Calls)
	}
	if code != 0 || !strings.Contains(out, "1 created, 1 updated") {
		t.Fatalf("up --refresh: exit %d\n%s", code, out)
	}
	live := e.flowLogs()
	if len(live) != 3 {
		t.Fatalf("%d flow logs after up --refresh, want 3", len(live))
	}
	if tags, _ := json.Marshal(live[got["vpcFlowLog"].Id]["Tags"]); string(tags) != `[{"Key":"Environment","Value":"Production"}]` {
		t.Fatalf("tags not restored: %s", tags)
	}
	if code, out = e.run(prog, "refresh"); code != 0 || !strings.Contains(out, "No drift") {
		t.Fatalf("refresh after restore: exit %d\n%s", code, out)
	}
}

func (e *env) athanor(args ...string) (int, string) {
	e.t.Helper()
	var out bytes.Buffer
	code := cli.Execute(context.Background(), append(args, "--endpoint", e.srv.URL(), "--state", e.state, "--stage", "test", "--app", "flowlogs"), nil, &out, &out)
	return code, out.String()
}

// Import round-trips: the next plan shows no changes for a program that
// declares the same props, or exactly the differing properties.
func TestImport(t *testing.T) {
	e := newEnv(t, localcc.Options{})
	p := seedProps()["vpcFlowLog"]
	id := e.createDirectly("AWS::EC2::FlowLog", p, "")

	if code, out := e.athanor("import", "AWS::EC2::FlowLog", "fl-00000000000000000", "--as", "vpcFlowLog"); code != 1 || !strings.Contains(out, "does not exist") {
		t.Fatalf("import of a missing flow log: exit %d\n%s", code, out)
	}
	if code, out := e.athanor("import", "AWS::EC2::FlowLog", id, "--as", "vpcFlowLog"); code != 0 || !strings.Contains(out, "imported AWS::EC2::FlowLog "+id) {
		t.Fatalf("import: exit %d\n%s", code, out)
	}
	if code, out := e.athanor("import", "AWS::EC2::FlowLog", id, "--as", "other"); code != 1 || !strings.Contains(out, `already managed as "vpcFlowLog"`) {
		t.Fatalf("second import: exit %d\n%s", code, out)
	}

	same := programOf(map[string]ec2.FlowLogProps{"vpcFlowLog": p}, nil)
	if code, out := e.run(same, "plan"); code != 0 || !strings.Contains(out, "No changes. 1 resource up to date") {
		t.Fatalf("plan after import: exit %d\n%s", code, out)
	}
	retagged := p
	retagged.Tags = append(retagged.Tags, seedProps()["advancedFlowLog"].Tags...)
	code, out := e.run(programOf(map[string]ec2.FlowLogProps{"vpcFlowLog": retagged}, nil), "plan")
	if code != 0 || !strings.Contains(out, "~ vpcFlowLog (AWS::EC2::FlowLog) "+id+": update in place") || strings.Count(out, "→") != 1 {
		t.Fatalf("plan of a different program after import: exit %d\n%s", code, out)
	}
	if code, out := e.run(same); code != 0 || !strings.Contains(out, "no changes") {
		t.Fatalf("up after import: exit %d\n%s", code, out)
	}
	if live := e.flowLogs(); len(live) != 1 || live[id] == nil {
		t.Fatalf("after adopting the import: %v", live)
	}
}

// Refreshing many resources of one type lists them instead of reading
// each one.
func TestRefreshManyListsThem(t *testing.T) {
	e := newEnv(t, localcc.Options{FlowLogsPerResource: 100})
	decls := map[string]ec2.FlowLogProps{}
	for i := 0; i < 12; i++ {
		p := seedProps()["vpcFlowLog"]
		p.LogGroupName = fmt.Sprintf("group-%02d", i)
		decls[fmt.Sprintf("fl%02d", i)] = p
	}
	got := map[string]*ec2.FlowLogResource{}
	if code, out := e.run(programOf(decls, got)); code != 0 {
		t.Fatalf("up: exit %d\n%s", code, out)
	}
	del, err := e.client().DeleteResource(context.Background(), &sdk.DeleteResourceInput{TypeName: aws.String("AWS::EC2::FlowLog"), Identifier: aws.String(got["fl03"].Id)})
	if err != nil {
		t.Fatal(err)
	}
	e.waitRequest(del.ProgressEvent.RequestToken)
	e.srv.ResetMetrics()
	code, out := e.run(programOf(decls, nil), "refresh")
	if code != 0 || !strings.Contains(out, "fl03 (AWS::EC2::FlowLog) "+got["fl03"].Id+": deleted") || !strings.Contains(out, "1 resource drifted") {
		t.Fatalf("refresh: exit %d\n%s", code, out)
	}
	// One listing, and one read to confirm that the flow log missing from
	// it is really gone.
	if m := e.srv.Metrics(); m.Calls["GetResource"] != 1 || m.Calls["ListResources"] != 1 {
		t.Fatalf("refresh of 12 flow logs made %v", m.Calls)
	}
}

// A resource imported without tags gets the tags its program declares:
// a tag property reads leave out is no tags, not "as declared".
func TestImportUntaggedGetsDeclaredTags(t *testing.T) {
	e := newEnv(t, localcc.Options{})
	p := seedProps()["vpcFlowLog"]
	untagged := p
	untagged.Tags = nil
	id := e.createDirectly("AWS::EC2::FlowLog", untagged, "")
	if code, out := e.athanor("import", "AWS::EC2::FlowLog", id, "--as", "vpcFlowLog"); code != 0 {
		t.Fatalf("import: exit %d\n%s", code, out)
	}
	prog := programOf(map[string]ec2.FlowLogProps{"vpcFlowLog": p}, nil)
	if code, out := e.run(prog, "plan"); code != 0 || !strings.Contains(out, "~ vpcFlowLog (AWS::EC2::FlowLog) "+id+": update in place") {
		t.Fatalf("plan after importing an untagged flow log: exit %d\n%s", code, out)
	}
	if code, out := e.run(prog); code != 0 || !strings.Contains(out, "1 updated") {
		t.Fatalf("up after import: exit %d\n%s", code, out)
	}
	live := e.flowLogs()[id]
	if tags, _ := json.Marshal(live["Tags"]); string(tags) != `[{"Key":"Environment","Value":"Production"}]` {
		t.Fatalf("tags after up: %s (%v)", tags, live)
	}
}
