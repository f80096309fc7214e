package athanor_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdk "github.com/aws/aws-sdk-go-v2/service/cloudcontrol"

	"github.com/athanor-iac/athanor/aws/ec2"
	"github.com/athanor-iac/athanor/localcc"
)

// Destroying a resource someone already deleted outside the program
// counts it as deleted rather than failing.
func TestDeletingWhatIsAlreadyGone(t *testing.T) {
	e := newEnv(t, localcc.Options{})
	got := map[string]*ec2.FlowLogResource{}
	prog := programOf(map[string]ec2.FlowLogProps{"vpcFlowLog": seedProps()["vpcFlowLog"]}, got)
	if code, out := e.run(prog); code != 0 {
		t.Fatalf("exit %d\n%s", code, out)
	}
	del, err := e.client().DeleteResource(context.Background(), &sdk.DeleteResourceInput{TypeName: aws.String("AWS::EC2::FlowLog"), Identifier: aws.String(got["vpcFlowLog"].Id)})
	if err != nil {
		t.Fatal(err)
	}
	if ev := e.finish(del.ProgressEvent); ev.OperationStatus != "SUCCESS" {
		t.Fatalf("the delete outside the program ended %s", ev.OperationStatus)
	}
	if code, out := e.run(prog, "destroy"); code != 0 || !strings.Contains(out, "1 deleted") {
		t.Fatalf("destroy of a flow log deleted outside: exit %d\n%s", code, out)
	}
}
