package athanor_test

import (
	"context"
	"strings"
	"testing"

	"github.com/athanor-iac/athanor"
	"github.com/athanor-iac/athanor/aws/ec2"
	"github.com/athanor-iac/athanor/localcc"
	"github.com/athanor-iac/athanor/state"
)

// network declares a VPC, a subnet in it and a flow log on the subnet,
// wired by passing outputs into props.
func network(app *athanor.App) error {
	vpc, err := app.Resource("AWS::EC2::VPC", "vpc", map[string]any{"CidrBlock": "10.20.0.0/16"})
	if err != nil {
		return err
	}
	subnet, err := app.Resource("AWS::EC2::Subnet", "subnet", map[string]any{"VpcId": vpc.String("VpcId"), "CidrBlock": "10.20.1.0/24"})
	if err != nil {
		return err
	}
	_, err = ec2.FlowLog(app, "subnetFlowLog", ec2.FlowLogProps{
		ResourceId: subnet.String("SubnetId"), ResourceType: "Subnet", TrafficType: "ALL",
		LogDestinationType: "s3", LogDestination: "arn:aws:s3:::advanced-vpc-flow-logs",
		DestinationOptions: &ec2.FlowLogDestinationOptions{FileFormat: "parquet", PerHourPartition: true},
	})
	return err
}

// Resources wired by passing one's outputs into another's props are planned
// with those values unknown, created in dependency order, and destroyed
// dependents first.
func TestDependenciesPlanApplyDestroy(t *testing.T) {
	e := newEnv(t, localcc.Options{})
	code, out := e.run(network, "plan")
	if code != 0 {
		t.Fatalf("plan: exit %d\n%s", code, out)
	}
	for _, want := range []string{"+ subnet (AWS::EC2::Subnet): create", "VpcId: (known after apply)", "ResourceId: (known after apply)", "Plan: 3 to create"} {
		if !strings.Contains(out, want) {
			t.Errorf("plan lacks %q:\n%s", want, out)
		}
	}
	if code, out = e.run(network); code != 0 {
		t.Fatalf("up: exit %d\n%s", code, out)
	}
	if code, out = e.run(network); code != 0 || !strings.Contains(out, "no changes; 3 resources") {
		t.Fatalf("rerun: exit %d\n%s", code, out)
	}
	store, err := state.Open(context.Background(), e.state, "flowlogs", "test")
	if err != nil {
		t.Fatal(err)
	}
	recs, err := store.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	deps := map[string]string{}
	for _, r := range recs {
		deps[r.LogicalID] = strings.Join(r.DependsOn, ",")
	}
	if deps["subnet"] != "vpc" || deps["subnetFlowLog"] != "subnet" {
		t.Fatalf("recorded dependencies %v", deps)
	}
	// The endpoint refuses to delete a VPC a subnet still uses, so a wrong
	// order fails this.
	if code, out = e.run(network, "destroy"); code != 0 || !strings.Contains(out, "3 deleted") {
		t.Fatalf("destroy: exit %d\n%s", code, out)
	}
	if n := len(e.srv.Resources("AWS::EC2::VPC")); n != 3 {
		t.Fatalf("%d VPCs left, want the 3 fixtures", n)
	}
}

// A value that is one resource's identifier and another's read-only copy
// (a network interface reports its VPC's VpcId) belongs to the first.
func TestDependencyOnTheIdentifiersOwner(t *testing.T) {
	e := newEnv(t, localcc.Options{})
	prog := func(app *athanor.App) error {
		vpc, err := app.Resource("AWS::EC2::VPC", "vpc", map[string]any{"CidrBlock": "10.50.0.0/16"})
		if err != nil {
			return err
		}
		subnet, err := app.Resource("AWS::EC2::Subnet", "subnet", map[string]any{"VpcId": vpc.String("VpcId"), "CidrBlock": "10.50.1.0/24"})
		if err != nil {
			return err
		}
		if _, err := app.Resource("AWS::EC2::NetworkInterface", "eni", map[string]any{"SubnetId": subnet.String("SubnetId")}); err != nil {
			return err
		}
		_, err = app.Resource("AWS::EC2::SecurityGroup", "sg", map[string]any{"GroupDescription": "test", "VpcId": vpc.String("VpcId")})
		return err
	}
	if code, out := e.run(prog); code != 0 {
		t.Fatalf("exit %d\n%s", code, out)
	}
	store, err := state.Open(context.Background(), e.state, "flowlogs", "test")
	if err != nil {
		t.Fatal(err)
	}
	recs, err := store.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if r.LogicalID == "sg" && strings.Join(r.DependsOn, ",") != "vpc" {
			t.Fatalf("the security group depends on %v, want [vpc]", r.DependsOn)
		}
	}
}
