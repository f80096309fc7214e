package athanor_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdk "github.com/aws/aws-sdk-go-v2/service/cloudcontrol"

	"github.com/athanor-iac/athanor"
	"github.com/athanor-iac/athanor/aws/ec2"
	"github.com/athanor-iac/athanor/localcc"
)

// targetNet declares a VPC, a subnet in it (which depends on it) and a flow
// log that depends on neither, all tagged with tag.
func targetNet(tag string) func(*athanor.App) error {
	return func(app *athanor.App) error {
		tags := []athanor.Tag{{Key: "Rev", Value: tag}}
		vpc, err := app.Resource("AWS::EC2::VPC", "vpc", map[string]any{"CidrBlock": "10.0.0.0/16", "Tags": tags})
		if err != nil {
			return err
		}
		if _, err := app.Resource("AWS::EC2::Subnet", "subnet", map[string]any{"VpcId": vpc.String("VpcId"), "CidrBlock": "10.0.1.0/24", "Tags": tags}); err != nil {
			return err
		}
		p := seedProps()["vpcFlowLog"]
		p.Tags = tags
		_, err = ec2.FlowLog(app, "flowLog", p)
		return err
	}
}

// revOf returns the Rev tags of the resources of typeName created by
// the test (the seed fixtures have none).
func (e *env) revOf(typeName string) []string {
	e.t.Helper()
	var revs []string
	for _, r := range e.srv.Resources(typeName) {
		tags, _ := r.Properties["Tags"].([]any)
		for _, t := range tags {
			if m, _ := t.(map[string]any); m["Key"] == "Rev" {
				revs = append(revs, m["Value"].(string))
			}
		}
	}
	return revs
}

// --target limits plan, up, destroy and refresh to the targets and what
// they depend on (destroy: what depends on them); the plan names what it
// skipped.
func TestTarget(t *testing.T) {
	e := newEnv(t, localcc.Options{})
	code, out := e.run(targetNet("1"), "plan", "--target", "subnet")
	if code != 0 || !strings.Contains(out, "+ vpc (AWS::EC2::VPC)") || !strings.Contains(out, "+ subnet (AWS::EC2::Subnet)") ||
		strings.Contains(out, "+ flowLog") || !strings.Contains(out, "Skipped (not targeted by --target): 1 resource left as they are: flowLog") {
		t.Fatalf("plan --target subnet: exit %d, want the subnet and its VPC, the flow log skipped:\n%s", code, out)
	}
	var plan struct {
		Changes []struct{ LogicalID string } `json:"changes"`
		Skipped []string                     `json:"skipped"`
	}
	code, out = e.run(targetNet("1"), "plan", "--target", "subnet", "--json")
	if err := json.Unmarshal([]byte(out), &plan); code != 0 || err != nil || len(plan.Changes) != 2 || strings.Join(plan.Skipped, ",") != "flowLog" {
		t.Fatalf("plan --json --target subnet: exit %d, %v\n%s", code, err, out)
	}
	if code, out := e.run(targetNet("1"), "--target", "subnet"); code != 0 {
		t.Fatalf("up --target subnet: exit %d\n%s", code, out)
	}
	recs := e.testRecords()
	if _, ok := recs["flowLog"]; ok || recs["vpc"].Identifier == "" || recs["subnet"].Identifier == "" {
		t.Fatalf("after up --target subnet, state holds %v; want the VPC and the subnet only", recs)
	}
	if code, out := e.run(targetNet("1")); code != 0 || !strings.Contains(out, "1 created") {
		t.Fatalf("up: exit %d, want the flow log created\n%s", code, out)
	}

	// A change everywhere, applied to the flow log alone.
	if code, out := e.run(targetNet("2"), "--target", "flowLog"); code != 0 || !strings.Contains(out, "1 updated") {
		t.Fatalf("up --target flowLog: exit %d\n%s", code, out)
	}
	if got := e.revOf("AWS::EC2::VPC"); len(got) != 1 || got[0] != "1" {
		t.Errorf("the VPC, not targeted, has Rev %v; want it left at 1", got)
	}

	// Refresh reads the targets alone.
	patch, _ := json.Marshal([]map[string]any{{"op": "replace", "path": "/Tags", "value": []map[string]string{{"Key": "Rev", "Value": "hacked"}}}})
	up, err := e.client().UpdateResource(context.Background(), &sdk.UpdateResourceInput{TypeName: aws.String("AWS::EC2::VPC"), Identifier: aws.String(e.testRecords()["vpc"].Identifier), PatchDocument: aws.String(string(patch))})
	if err != nil {
		t.Fatal(err)
	}
	e.waitRequest(up.ProgressEvent.RequestToken)
	if code, out := e.run(targetNet("2"), "refresh", "--target", "flowLog"); code != 0 || !strings.Contains(out, "No drift") {
		t.Errorf("refresh --target flowLog: exit %d, want no drift (the VPC is not read)\n%s", code, out)
	}
	if code, out := e.run(targetNet("2"), "refresh", "--target", "subnet"); code != 0 || !strings.Contains(out, "vpc (AWS::EC2::VPC)") {
		t.Errorf("refresh --target subnet: exit %d, want the drift of the VPC it depends on\n%s", code, out)
	}

	// A resource no longer declared is deleted only when targeted.
	noFlowLog := func(app *athanor.App) error {
		vpc, err := app.Resource("AWS::EC2::VPC", "vpc", map[string]any{"CidrBlock": "10.0.0.0/16", "Tags": []athanor.Tag{{Key: "Rev", Value: "hacked"}}})
		if err != nil {
			return err
		}
		_, err = app.Resource("AWS::EC2::Subnet", "subnet", map[string]any{"VpcId": vpc.String("VpcId"), "CidrBlock": "10.0.1.0/24", "Tags": []athanor.Tag{{Key: "Rev", Value: "2"}}})
		return err
	}
	if code, out := e.run(noFlowLog, "plan", "--target", "subnet"); code != 0 || strings.Contains(out, "flowLog (AWS::EC2::FlowLog)") {
		t.Errorf("plan --target subnet without the flow log's declaration: exit %d, want the flow log's delete skipped\n%s", code, out)
	}
	if code, out := e.run(noFlowLog, "--target", "subnet"); code != 0 || e.testRecords()["flowLog"].Identifier == "" {
		t.Fatalf("up --target subnet without the flow log's declaration: exit %d, want the flow log kept\n%s", code, out)
	}

	// Destroying the VPC destroys the subnet that depends on it, and
	// nothing else.
	code, out = e.run(targetNet("2"), "destroy", "--target", "vpc")
	if code != 0 || !strings.Contains(out, "2 deleted") {
		t.Fatalf("destroy --target vpc: exit %d\n%s", code, out)
	}
	recs = e.testRecords()
	if len(recs) != 1 || recs["flowLog"].Identifier == "" {
		t.Errorf("after destroy --target vpc, state holds %v; want the flow log alone", recs)
	}
	if code, out := e.run(targetNet("2"), "plan", "--target", "subnt"); code != 2 || !strings.Contains(out, `--target subnt: no resource "subnt" is declared or in state; did you mean "subnet"?`) {
		t.Errorf("an unknown target: exit %d\n%s", code, out)
	}
}

// A move of a resource outside the targets waits for a run that includes
// it, as its plan line does.
func TestTargetLeavesOtherMoves(t *testing.T) {
	e := newEnv(t, localcc.Options{})
	prog := func(vpcID string, opts ...athanor.ResourceOption) func(*athanor.App) error {
		return func(app *athanor.App) error {
			if _, err := app.Resource("AWS::EC2::VPC", vpcID, map[string]any{"CidrBlock": "10.2.0.0/16"}, opts...); err != nil {
				return err
			}
			_, err := app.Resource("AWS::Logs::LogGroup", "logs", map[string]any{"LogGroupName": "target-moves"})
			return err
		}
	}
	if code, out := e.run(prog("network")); code != 0 {
		t.Fatalf("up: exit %d\n%s", code, out)
	}
	renamed := prog("mainVpc", athanor.Aliases("network"))
	if code, out := e.run(renamed, "--target", "logs"); code != 0 {
		t.Fatalf("up --target logs: exit %d\n%s", code, out)
	}
	if recs := e.testRecords(); recs["network"].Identifier == "" {
		t.Errorf("up --target logs moved the VPC's record, which it did not target: %v", recs)
	}
	if code, out := e.run(renamed, "--target", "mainVpc"); code != 0 || e.testRecords()["mainVpc"].Identifier == "" {
		t.Errorf("up --target mainVpc: exit %d, want the move\n%s", code, out)
	}
}
