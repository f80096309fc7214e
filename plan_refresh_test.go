package athanor_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdk "github.com/aws/aws-sdk-go-v2/service/cloudcontrol"

	"github.com/athanor-iac/athanor"
	"github.com/athanor-iac/athanor/localcc"
)

// After a bucket was deleted by hand, plan said "No changes": it compared
// the program with the state only. plan and up now read the managed
// resources first; --refresh=false is the old, state-only plan.
func TestPlanReadsAWSByDefault(t *testing.T) {
	e := newEnv(t, localcc.Options{})
	prog := func(app *athanor.App) error {
		_, err := app.Resource("AWS::S3::Bucket", "assets", map[string]any{"BucketName": "refresh-by-default"})
		return err
	}
	if code, out := e.run(prog); code != 0 {
		t.Fatalf("up: exit %d\n%s", code, out)
	}
	del, err := e.client().DeleteResource(context.Background(), &sdk.DeleteResourceInput{TypeName: aws.String("AWS::S3::Bucket"), Identifier: aws.String("refresh-by-default")})
	if err != nil {
		t.Fatal(err)
	}
	e.waitRequest(del.ProgressEvent.RequestToken)

	code, out := e.run(prog, "plan")
	if code != 0 || !strings.Contains(out, "assets (AWS::S3::Bucket) refresh-by-default: deleted") || !strings.Contains(out, "+ assets (AWS::S3::Bucket): create") || strings.Contains(out, "No changes") {
		t.Fatalf("plan after the bucket was deleted by hand: exit %d\n%s", code, out)
	}
	var plan struct {
		Target struct{ Read bool }
		Drift  []struct {
			LogicalID string `json:"logicalId"`
			Deleted   bool
		}
		Summary map[string]int
	}
	code, out, errOut := e.runSplit(prog, "plan", "--json")
	if err := json.Unmarshal([]byte(out), &plan); code != 0 || err != nil || !plan.Target.Read || len(plan.Drift) != 1 || !plan.Drift[0].Deleted || plan.Summary["create"] != 1 {
		t.Fatalf("plan --json: exit %d, %v\n%s\nstderr:\n%s", code, err, out, errOut)
	}

	code, out = e.run(prog, "plan", "--refresh=false")
	if code != 0 || !strings.Contains(out, "No changes") || !strings.Contains(out, "AWS not read (--refresh=false)") {
		t.Fatalf("plan --refresh=false: exit %d\n%s", code, out)
	}
	if code, out = e.run(prog); code != 0 || !strings.Contains(out, "1 created") || !strings.Contains(out, "refresh-by-default in") {
		t.Fatalf("up recreates the bucket: exit %d\n%s", code, out)
	}
}
