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

func networkWith(cidr, subnetCidr string) func(app *athanor.App) error {
	return func(app *athanor.App) error {
		vpc, err := app.Resource("AWS::EC2::VPC", "vpc", map[string]any{"CidrBlock": cidr})
		if err != nil {
			return err
		}
		subnet, err := app.Resource("AWS::EC2::Subnet", "subnet", map[string]any{"VpcId": vpc.String("VpcId"), "CidrBlock": subnetCidr})
		if err != nil {
			return err
		}
		_, err = ec2.FlowLog(app, "subnetFlowLog", ec2.FlowLogProps{
			ResourceId: subnet.String("SubnetId"), ResourceType: "Subnet", TrafficType: "ALL",
			LogDestinationType: "s3", LogDestination: "arn:aws:s3:::advanced-vpc-flow-logs",
		})
		return err
	}
}

// Replacing a resource that others refer to: the old one can only go once
// its dependents have moved to the new one.
func TestReplaceResourceOthersDependOn(t *testing.T) {
	e := newEnv(t, localcc.Options{})
	if code, out := e.run(networkWith("10.20.0.0/16", "10.20.1.0/24")); code != 0 {
		t.Fatalf("exit %d\n%s", code, out)
	}
	code, out := e.run(networkWith("10.30.0.0/16", "10.30.1.0/24"))
	if code != 0 {
		t.Fatalf("replacing the VPC: exit %d\n%s", code, out)
	}
	for _, typ := range []string{"AWS::EC2::VPC", "AWS::EC2::Subnet", "AWS::EC2::FlowLog"} {
		for _, r := range e.srv.Resources(typ) {
			if cidr, _ := r.Properties["CidrBlock"].(string); strings.HasPrefix(cidr, "10.20.") {
				t.Errorf("the replaced %s %s still exists", typ, r.Identifier)
			}
		}
	}
	if n := len(e.srv.Resources("AWS::EC2::FlowLog")); n != 1 {
		t.Errorf("%d flow logs, want 1", n)
	}
	if code, out := e.run(networkWith("10.30.0.0/16", "10.30.1.0/24"), "plan"); code != 0 || !strings.Contains(out, "No changes") {
		t.Fatalf("after replacing: exit %d\n%s", code, out)
	}
}

// A run with the old behaviour tried to delete the replaced VPC before its
// subnet moved, and left that failed delete's intent on the superseded VPC.
// The next run must still converge: resending that ClientToken only
// returns the failed request again.
func TestReplacedVPCWithFailedDeleteIntent(t *testing.T) {
	e := newEnv(t, localcc.Options{})
	if code, out := e.run(networkWith("10.20.0.0/16", "10.20.1.0/24")); code != 0 {
		t.Fatalf("exit %d\n%s", code, out)
	}
	ctx := context.Background()
	store, err := state.Open(ctx, e.state, "flowlogs", "test")
	if err != nil {
		t.Fatal(err)
	}
	recs, err := store.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var vpc state.Record
	for _, r := range recs {
		if r.LogicalID == "vpc" {
			vpc = r
		}
	}
	token := "11111111-2222-4333-8444-000000000077"
	del, err := e.client().DeleteResource(ctx, &sdk.DeleteResourceInput{TypeName: aws.String("AWS::EC2::VPC"), Identifier: aws.String(vpc.Identifier), ClientToken: aws.String(token)})
	if err != nil {
		t.Fatal(err)
	}
	if ev := e.finish(del.ProgressEvent); ev.OperationStatus != "FAILED" {
		t.Fatalf("the VPC's delete did not fail: %s", ev.OperationStatus)
	}
	newID := e.createDirectly("AWS::EC2::VPC", map[string]any{"CidrBlock": "10.30.0.0/16"}, "")
	vpc.Superseded = []state.Superseded{{Identifier: vpc.Identifier, Props: vpc.Props, Pending: &state.Intent{Operation: state.OpDelete, Identifier: vpc.Identifier, ClientToken: token, StartedAt: time.Now()}}}
	vpc.Identifier, vpc.Props = newID, map[string]any{"CidrBlock": "10.30.0.0/16"}
	got, err := e.client().GetResource(ctx, &sdk.GetResourceInput{TypeName: aws.String("AWS::EC2::VPC"), Identifier: aws.String(newID)})
	if err != nil {
		t.Fatal(err)
	}
	vpc.Outputs = nil
	if err := json.Unmarshal([]byte(aws.ToString(got.ResourceDescription.Properties)), &vpc.Outputs); err != nil {
		t.Fatal(err)
	}
	if err := store.Put(ctx, vpc); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		if code, out := e.run(networkWith("10.30.0.0/16", "10.30.1.0/24")); code != 0 {
			t.Fatalf("run %d: exit %d\n%s", i+1, code, out)
		}
	}
	for _, r := range e.srv.Resources("AWS::EC2::VPC") {
		if r.Properties["CidrBlock"] == "10.20.0.0/16" {
			t.Fatalf("the replaced VPC %s still exists", r.Identifier)
		}
	}
}

func networkIn(vpcID, cidr, subnetCidr string) func(app *athanor.App) error {
	return func(app *athanor.App) error {
		vpc, err := app.Resource("AWS::EC2::VPC", vpcID, map[string]any{"CidrBlock": cidr})
		if err != nil {
			return err
		}
		subnet, err := app.Resource("AWS::EC2::Subnet", "subnet", map[string]any{"VpcId": vpc.String("VpcId"), "CidrBlock": subnetCidr})
		if err != nil {
			return err
		}
		_, err = ec2.FlowLog(app, "subnetFlowLog", ec2.FlowLogProps{
			ResourceId: subnet.String("SubnetId"), ResourceType: "Subnet", TrafficType: "ALL",
			LogDestinationType: "s3", LogDestination: "arn:aws:s3:::advanced-vpc-flow-logs",
		})
		return err
	}
}

// The subnet moves to a VPC under a new logical ID; the old VPC is no
// longer declared. The old subnet still refers to the old VPC, so the old
// VPC goes after it.
func TestReplacedResourceGoesBeforeWhatItReferredTo(t *testing.T) {
	e := newEnv(t, localcc.Options{Latency: map[string]localcc.Range{"AWS::EC2::Subnet": {Min: 300 * time.Millisecond, Max: 300 * time.Millisecond}, "*": {Min: 0, Max: 20 * time.Millisecond}}})
	if code, out := e.run(networkIn("vpcA", "10.60.0.0/16", "10.60.1.0/24")); code != 0 {
		t.Fatalf("exit %d\n%s", code, out)
	}
	if code, out := e.run(networkIn("vpcB", "10.61.0.0/16", "10.61.1.0/24")); code != 0 {
		t.Fatalf("moving the subnet: exit %d\n%s", code, out)
	}
	for _, typ := range []string{"AWS::EC2::VPC", "AWS::EC2::Subnet"} {
		for _, r := range e.srv.Resources(typ) {
			if cidr, _ := r.Properties["CidrBlock"].(string); strings.HasPrefix(cidr, "10.60.") {
				t.Errorf("the old %s %s still exists", typ, r.Identifier)
			}
		}
	}
}
