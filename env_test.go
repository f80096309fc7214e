package athanor_test

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	sdk "github.com/aws/aws-sdk-go-v2/service/cloudcontrol"

	"github.com/athanor-iac/athanor"
	"github.com/athanor-iac/athanor/localcc"
)

// env is a local endpoint and a state folder, shared by the runs of one
// test, as an AWS account and a project folder are shared by a user's runs.
type env struct {
	t     *testing.T
	srv   *localcc.Server
	state string
}

func newEnv(t *testing.T, opts localcc.Options) *env {
	t.Helper()
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDTEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	if opts.Latency == nil {
		opts.Latency = map[string]localcc.Range{"*": {Min: 0, Max: 20 * time.Millisecond}}
	}
	opts.Fixtures = append(opts.Fixtures, localcc.SeedFixtures()...)
	srv, err := localcc.Start(opts, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return &env{t: t, srv: srv, state: t.TempDir()}
}

// run runs program with args against the endpoint and returns the exit
// code and the output.
func (e *env) run(program func(*athanor.App) error, args ...string) (int, string) {
	e.t.Helper()
	var out bytes.Buffer
	args = append(withYes(args), "--endpoint", e.srv.URL(), "--state", e.state, "--stage", "test")
	code := athanor.Main(context.Background(), "flowlogs", args, &out, &out, program)
	return code, out.String()
}

// withYes adds --yes to the args of an up or destroy, which without a
// terminal change nothing unless told to.
func withYes(args []string) []string {
	for _, a := range args {
		if a == "plan" || a == "refresh" {
			return args
		}
	}
	return append(args, "--yes")
}

// flowLogs returns the flow logs the endpoint holds, by Id.
func (e *env) flowLogs() map[string]map[string]any {
	e.t.Helper()
	got := map[string]map[string]any{}
	for _, r := range e.srv.Resources("AWS::EC2::FlowLog") {
		got[r.Identifier] = r.Properties
	}
	return got
}

// client is a plain SDK client on the endpoint: another tool changing
// things behind the program's back.
func (e *env) client() *sdk.Client {
	e.t.Helper()
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	return sdk.NewFromConfig(cfg, func(o *sdk.Options) { o.BaseEndpoint = aws.String(e.srv.URL()) })
}

func (e *env) createDirectly(typeName string, props any, clientToken string) string {
	e.t.Helper()
	b, _ := json.Marshal(props)
	in := &sdk.CreateResourceInput{TypeName: aws.String(typeName), DesiredState: aws.String(string(b))}
	if clientToken != "" {
		in.ClientToken = aws.String(clientToken)
	}
	out, err := e.client().CreateResource(context.Background(), in)
	if err != nil {
		e.t.Fatal(err)
	}
	for i := 0; i < 200; i++ {
		st, err := e.client().GetResourceRequestStatus(context.Background(), &sdk.GetResourceRequestStatusInput{RequestToken: out.ProgressEvent.RequestToken})
		if err != nil {
			e.t.Fatal(err)
		}
		if s := st.ProgressEvent.OperationStatus; s == "SUCCESS" {
			return aws.ToString(st.ProgressEvent.Identifier)
		} else if s == "FAILED" {
			e.t.Fatalf("direct create failed: %s", aws.ToString(st.ProgressEvent.StatusMessage))
		}
		time.Sleep(10 * time.Millisecond)
	}
	e.t.Fatal("direct create did not finish")
	return ""
}
