package athanor_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdk "github.com/aws/aws-sdk-go-v2/service/cloudcontrol"
	"github.com/aws/aws-sdk-go-v2/service/cloudcontrol/types"

	"github.com/athanor-iac/athanor"
	"github.com/athanor-iac/athanor/aws/ec2"
	"github.com/athanor-iac/athanor/aws/s3"
	"github.com/athanor-iac/athanor/localcc"
)

// Cross-account delivery to Amazon Data Firehose, as the VPC user guide
// sets it up: a stream in the destination account (210987654321), a role
// there the log delivery service assumes, and a role in the source account
// (the endpoint's, 123456789012) that may pass and assume it.
const (
	centralStream = "arn:aws:firehose:us-east-1:210987654321:deliverystream/central-flow-logs"
	centralRole   = "arn:aws:iam::210987654321:role/AWSLogDeliveryFirehoseCrossAccountRole"
	sourceRole    = "arn:aws:iam::123456789012:role/FlowLogsFirehoseSourceRole"
)

// centralStreamFixture is the other account's stream, which exists before
// the program runs.
func centralStreamFixture() localcc.Fixture {
	return localcc.Fixture{Type: "AWS::KinesisFirehose::DeliveryStream", Properties: map[string]any{
		"DeliveryStreamName": "central-flow-logs", "Arn": centralStream,
	}}
}

func crossAccountFirehoseProps() ec2.FlowLogProps {
	return ec2.FlowLogProps{
		ResourceId: "vpc-11223344", ResourceType: "VPC", TrafficType: "ALL",
		LogDestinationType: "kinesis-data-firehose", LogDestination: centralStream,
		DeliverLogsPermissionArn: sourceRole, DeliverCrossAccountRole: centralRole,
		Tags: []athanor.Tag{{Key: "Compliance", Value: "Audit"}},
	}
}

// A flow log to another account's Firehose stream, with both roles: reads
// return DeliverCrossAccountRole, so a rerun changes nothing and refresh
// finds no drift. Destroying it and deleting it again ends NotFound.
func TestFirehoseCrossAccountFlowLog(t *testing.T) {
	e := newEnv(t, localcc.Options{Fixtures: []localcc.Fixture{centralStreamFixture()}})
	got := map[string]*ec2.FlowLogResource{}
	prog := programOf(map[string]ec2.FlowLogProps{"crossAccountFirehose": crossAccountFirehoseProps()}, got)
	if code, out := e.run(prog); code != 0 || !strings.Contains(out, "1 created") {
		t.Fatalf("up: exit %d\n%s", code, out)
	}
	id := got["crossAccountFirehose"].Id
	if role := got["crossAccountFirehose"].DeliverCrossAccountRole; role != centralRole {
		t.Errorf("the program saw DeliverCrossAccountRole %q, want %q", role, centralRole)
	}
	read, err := e.client().GetResource(context.Background(), &sdk.GetResourceInput{TypeName: aws.String("AWS::EC2::FlowLog"), Identifier: aws.String(id)})
	if err != nil {
		t.Fatal(err)
	}
	if props := aws.ToString(read.ResourceDescription.Properties); !strings.Contains(props, `"DeliverCrossAccountRole":"`+centralRole+`"`) {
		t.Errorf("GetResource does not return DeliverCrossAccountRole: %s", props)
	}

	if code, out := e.run(prog); code != 0 || !strings.Contains(out, "no changes") {
		t.Fatalf("rerun: exit %d\n%s", code, out)
	}
	if code, out := e.run(prog, "refresh"); code != 0 || !strings.Contains(out, "No drift") {
		t.Fatalf("refresh: exit %d\n%s", code, out)
	}
	if code, out := e.run(prog, "plan", "--refresh"); code != 0 || !strings.Contains(out, "No changes") {
		t.Fatalf("plan --refresh: exit %d\n%s", code, out)
	}

	if code, out := e.run(prog, "destroy"); code != 0 {
		t.Fatalf("destroy: exit %d\n%s", code, out)
	}
	del, err := e.client().DeleteResource(context.Background(), &sdk.DeleteResourceInput{TypeName: aws.String("AWS::EC2::FlowLog"), Identifier: aws.String(id)})
	if err != nil {
		t.Fatal(err)
	}
	if ev := e.settle(del.ProgressEvent.RequestToken); ev.OperationStatus != types.OperationStatusFailed || ev.ErrorCode != types.HandlerErrorCodeNotFound {
		t.Fatalf("second delete: %s %s %q, want FAILED NotFound", ev.OperationStatus, ev.ErrorCode, aws.ToString(ev.StatusMessage))
	}
}

// A flow log deleted outside the program, which the program no longer
// declares, is deleted by the next run without a fuss: Cloud Control
// answers NotFound and the engine counts that as deleted, without
// reading the flow log to find out.
func TestDeleteOfAFlowLogDeletedOutside(t *testing.T) {
	e := newEnv(t, localcc.Options{})
	got := map[string]*ec2.FlowLogResource{}
	if code, out := e.run(programOf(map[string]ec2.FlowLogProps{"vpcFlowLog": seedProps()["vpcFlowLog"]}, got)); code != 0 {
		t.Fatalf("up: exit %d\n%s", code, out)
	}
	del, err := e.client().DeleteResource(context.Background(), &sdk.DeleteResourceInput{TypeName: aws.String("AWS::EC2::FlowLog"), Identifier: aws.String(got["vpcFlowLog"].Id)})
	if err != nil {
		t.Fatal(err)
	}
	e.settle(del.ProgressEvent.RequestToken)
	e.srv.ResetMetrics()
	// --refresh=false: the state still holds the flow log, as it does when
	// it was deleted between the refresh and the delete.
	if code, out := e.run(programOf(nil, nil), "--refresh=false"); code != 0 || !strings.Contains(out, "1 deleted") {
		t.Fatalf("run without the flow log: exit %d\n%s", code, out)
	}
	if m := e.srv.Metrics(); m.Calls["DeleteResource"] != 1 || m.Calls["GetResource"] != 0 {
		t.Errorf("calls %v, want one DeleteResource and no GetResource", m.Calls)
	}
}

// Schema write-only properties are the one thing reads leave out: a
// bucket's AccessControl is never drift and never re-applied.
func TestWriteOnlyPropertyIsNoDrift(t *testing.T) {
	e := newEnv(t, localcc.Options{})
	prog := func(app *athanor.App) error {
		_, err := s3.Bucket(app, "logs", s3.BucketProps{BucketName: "write-only-logs", AccessControl: "LogDeliveryWrite"})
		return err
	}
	if code, out := e.run(prog); code != 0 {
		t.Fatalf("up: exit %d\n%s", code, out)
	}
	for _, args := range [][]string{nil, {"refresh"}, {"--refresh"}, nil} {
		code, out := e.run(prog, args...)
		if code != 0 || !(strings.Contains(out, "no changes") || strings.Contains(out, "No drift")) {
			t.Fatalf("%v: exit %d\n%s", args, code, out)
		}
	}
}

// settle waits for a request and returns its last event.
func (e *env) settle(token *string) *types.ProgressEvent {
	e.t.Helper()
	for i := 0; i < 500; i++ {
		st, err := e.client().GetResourceRequestStatus(context.Background(), &sdk.GetResourceRequestStatusInput{RequestToken: token})
		if err != nil {
			e.t.Fatal(err)
		}
		switch st.ProgressEvent.OperationStatus {
		case types.OperationStatusSuccess, types.OperationStatusFailed, types.OperationStatusCancelComplete:
			return st.ProgressEvent
		}
		e.srv.Settle()
	}
	e.t.Fatal("request did not finish")
	return nil
}
