package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudcontrol"
	"github.com/aws/aws-sdk-go-v2/service/cloudcontrol/types"
)

// localRun is `athanor local` running in a goroutine.
type localRun struct {
	URL    string
	lines  chan string // stdout after the listening line
	cancel context.CancelFunc
	done   chan struct{} // closed when Execute has returned
	code   int
	stderr *syncBuffer
}

// startLocal runs `athanor local` with args and waits for its listening line.
func startLocal(t *testing.T, args ...string) *localRun {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	r := &localRun{lines: make(chan string, 16), cancel: cancel, done: make(chan struct{}), stderr: &syncBuffer{}}
	go func() {
		r.code = Execute(ctx, append([]string{"local"}, args...), strings.NewReader(""), pw, r.stderr)
		pw.Close()
		close(r.done)
	}()
	go func() {
		defer close(r.lines)
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			r.lines <- sc.Text()
		}
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-r.done:
		case <-time.After(10 * time.Second):
			t.Error("athanor local did not stop within 10s of cancel")
		}
	})
	select {
	case first, ok := <-r.lines:
		if !ok {
			t.Fatalf("athanor local exited before listening; stderr: %s", r.stderr)
		}
		url, found := strings.CutPrefix(first, "listening on http://")
		if !found {
			t.Fatalf("first line %q, want listening on http://ADDR", first)
		}
		r.URL = "http://" + url
	case <-time.After(10 * time.Second):
		t.Fatal("no listening line within 10s")
	}
	return r
}

// stop cancels the command's context and returns its exit status and the
// rest of its stdout.
func (r *localRun) stop(t *testing.T) (int, string) {
	t.Helper()
	r.cancel()
	var rest []string
	for l := range r.lines {
		rest = append(rest, l)
	}
	select {
	case <-r.done:
		return r.code, strings.Join(rest, "\n")
	case <-time.After(10 * time.Second):
		t.Fatal("athanor local did not stop within 10s of cancel")
		return -1, ""
	}
}

func ccClient(url string) *cloudcontrol.Client {
	return cloudcontrol.New(cloudcontrol.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(url),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "test", SecretAccessKey: "test", Source: "test"}, nil
		}),
	})
}

func TestLocalPersistsAcrossRestarts(t *testing.T) {
	dataFile := filepath.Join(t.TempDir(), "data.json")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	lr := startLocal(t, "--addr", "127.0.0.1:0", "--data", dataFile, "--latency", "0s")
	if strings.HasSuffix(lr.URL, ":0") {
		t.Fatalf("listening line shows the requested port, not the real one: %s", lr.URL)
	}
	hint := <-lr.lines
	if !strings.Contains(hint, "AWS_ENDPOINT_URL_CLOUDCONTROL="+lr.URL) || !strings.Contains(hint, "--endpoint-url "+lr.URL) {
		t.Errorf("hint line: %q", hint)
	}

	cc := ccClient(lr.URL)
	props := `{"ResourceType":"VPC","ResourceId":"vpc-12345678","TrafficType":"ALL","LogGroupName":"g","DeliverLogsPermissionArn":"arn:aws:iam::123456789012:role/FlowLogsDeliveryRole"}`
	created, err := cc.CreateResource(ctx, &cloudcontrol.CreateResourceInput{TypeName: aws.String("AWS::EC2::FlowLog"), DesiredState: aws.String(props)})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	id := succeeded(ctx, t, cc, aws.ToString(created.ProgressEvent.RequestToken))
	if !strings.HasPrefix(id, "fl-") {
		t.Fatalf("identifier %q", id)
	}

	code, rest := lr.stop(t)
	if code != 0 {
		t.Fatalf("exit %d after cancel; stderr: %s", code, lr.stderr)
	}
	if want := "stopped; data saved to " + dataFile; rest != want {
		t.Errorf("after stop, stdout %q, want %q", rest, want)
	}
	if _, err := os.Stat(dataFile); err != nil {
		t.Fatalf("data file: %v", err)
	}

	lr = startLocal(t, "--addr", "127.0.0.1:0", "--data", dataFile, "--latency", "0s")
	got, err := ccClient(lr.URL).GetResource(ctx, &cloudcontrol.GetResourceInput{TypeName: aws.String("AWS::EC2::FlowLog"), Identifier: aws.String(id)})
	if err != nil {
		t.Fatalf("get after restart: %v", err)
	}
	var model map[string]any
	if err := json.Unmarshal([]byte(aws.ToString(got.ResourceDescription.Properties)), &model); err != nil {
		t.Fatal(err)
	}
	if model["ResourceId"] != "vpc-12345678" || model["Id"] != id {
		t.Errorf("model after restart: %v", model)
	}
	if code, _ := lr.stop(t); code != 0 {
		t.Fatalf("second run exit %d; stderr: %s", code, lr.stderr)
	}
}

// succeeded reads how a request ended and returns the identifier. With
// --latency 0s a request is over by the endpoint's next call: one status
// call tells, without polling.
func succeeded(ctx context.Context, t *testing.T, cc *cloudcontrol.Client, token string) string {
	t.Helper()
	st, err := cc.GetResourceRequestStatus(ctx, &cloudcontrol.GetResourceRequestStatusInput{RequestToken: aws.String(token)})
	if err != nil {
		t.Fatalf("status: %v", err)
	}
	ev := st.ProgressEvent
	if ev.OperationStatus != types.OperationStatusSuccess {
		t.Fatalf("request %s: %s %s", ev.OperationStatus, ev.ErrorCode, aws.ToString(ev.StatusMessage))
	}
	return aws.ToString(ev.Identifier)
}

func TestLocalWithoutDataFile(t *testing.T) {
	lr := startLocal(t, "--addr", "127.0.0.1:0", "--seed-fixtures=false")
	<-lr.lines // hint
	code, rest := lr.stop(t)
	if code != 0 || rest != "stopped" {
		t.Fatalf("exit %d, stdout %q", code, rest)
	}
}

func TestLocalAddressInUse(t *testing.T) {
	lr := startLocal(t, "--addr", "127.0.0.1:0")
	addr := strings.TrimPrefix(lr.URL, "http://")
	code, _, errOut := run(t, "", "local", "--addr", addr)
	if code != 1 || !strings.Contains(errOut, "athanor: starting the local endpoint: listen on "+addr) {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
}

func TestLocalFixturesFile(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "fx.json")
	if err := os.WriteFile(bad, []byte(`{"resources": [{"properties": {}}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := run(t, "", "local", "--addr", "127.0.0.1:0", "--fixtures", bad)
	if code != 1 || !strings.Contains(errOut, "athanor: --fixtures: fixtures "+bad+": resource 0 has no type") {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
}
