package localcc_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudcontrol"

	"github.com/athanor-iac/athanor/localcc"
)

// aws-sdk-go-v2 finds the endpoint through AWS_ENDPOINT_URL_CLOUDCONTROL,
// with no option in the program.
func TestSDKEndpointFromEnvironment(t *testing.T) {
	srv, err := localcc.Start(localcc.Options{Fixtures: localcc.SeedFixtures()}, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	t.Setenv("AWS_ENDPOINT_URL_CLOUDCONTROL", srv.URL())
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out, err := cloudcontrol.NewFromConfig(cfg).GetResource(context.Background(), &cloudcontrol.GetResourceInput{TypeName: aws.String("AWS::EC2::VPC"), Identifier: aws.String("vpc-12345678")})
	if err != nil {
		t.Fatalf("GetResource through AWS_ENDPOINT_URL_CLOUDCONTROL: %v", err)
	}
	if !strings.Contains(aws.ToString(out.ResourceDescription.Properties), `"CidrBlock":"10.0.0.0/16"`) {
		t.Fatalf("properties %s", aws.ToString(out.ResourceDescription.Properties))
	}
}

// The AWS CLI (botocore, as boto3 uses it) creates, reads, tags and
// deletes a flow log with --endpoint-url, as the README shows. Skipped
// where the CLI is not installed.
func TestAWSCLI(t *testing.T) {
	cli, err := exec.LookPath("aws")
	if err != nil {
		t.Skip("the AWS CLI is not installed")
	}
	if testing.Short() {
		t.Skip("starts the CLI several times")
	}
	srv, err := localcc.Start(localcc.Options{Fixtures: localcc.SeedFixtures(), Latency: map[string]localcc.Range{"*": {Min: 50 * time.Millisecond, Max: 50 * time.Millisecond}}}, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	env := append(os.Environ(), "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_DEFAULT_REGION=us-east-1",
		"AWS_CONFIG_FILE="+filepath.Join(t.TempDir(), "none"), "AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(t.TempDir(), "none"))
	run := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(cli, append([]string{"cloudcontrol", "--endpoint-url", srv.URL(), "--output", "json"}, args...)...)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if err != nil {
			if strings.Contains(string(out), "Invalid choice") || strings.Contains(string(out), "not found") {
				t.Skipf("this AWS CLI has no cloudcontrol commands: %s", out)
			}
			t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	token := func(out string) string {
		var v struct{ ProgressEvent struct{ RequestToken string } }
		if err := json.Unmarshal([]byte(out), &v); err != nil || v.ProgressEvent.RequestToken == "" {
			t.Fatalf("no request token in %s", out)
		}
		return v.ProgressEvent.RequestToken
	}
	desired := `{"ResourceType":"VPC","ResourceId":"vpc-12345678","TrafficType":"ALL","LogGroupName":"vpc-flow-logs","DeliverLogsPermissionArn":"arn:aws:iam::123456789012:role/FlowLogsDeliveryRole"}`
	tok := token(run("create-resource", "--type-name", "AWS::EC2::FlowLog", "--desired-state", desired))
	run("wait", "resource-request-success", "--request-token", tok)
	var st struct{ ProgressEvent struct{ Identifier string } }
	json.Unmarshal([]byte(run("get-resource-request-status", "--request-token", tok)), &st)
	id := st.ProgressEvent.Identifier
	if !strings.HasPrefix(id, "fl-") {
		t.Fatalf("identifier %q", id)
	}
	if got := run("get-resource", "--type-name", "AWS::EC2::FlowLog", "--identifier", id); !strings.Contains(got, `\"MaxAggregationInterval\":600`) {
		t.Fatalf("get-resource: %s", got)
	}
	tok = token(run("update-resource", "--type-name", "AWS::EC2::FlowLog", "--identifier", id, "--patch-document", `[{"op":"add","path":"/Tags","value":[{"Key":"Environment","Value":"Production"}]}]`))
	run("wait", "resource-request-success", "--request-token", tok)
	if got := run("get-resource", "--type-name", "AWS::EC2::FlowLog", "--identifier", id); !strings.Contains(got, `Production`) {
		t.Fatalf("tag not applied: %s", got)
	}
	tok = token(run("delete-resource", "--type-name", "AWS::EC2::FlowLog", "--identifier", id))
	run("wait", "resource-request-success", "--request-token", tok)
	if n := len(srv.Resources("AWS::EC2::FlowLog")); n != 0 {
		t.Fatalf("%d flow logs after delete", n)
	}
}
