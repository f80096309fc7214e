package cloudcontrol_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/athanor-iac/athanor/localcc"
	"github.com/athanor-iac/athanor/provider/cloudcontrol"
)

// A create without credentials is never sent: its error says so in one
// line with the fix, with none of the SDK's wrapping, and counts as
// refused, so that the engine keeps no intent for it.
func TestCreateWithoutCredentialsIsRefused(t *testing.T) {
	srv, err := localcc.Start(localcc.Options{Fixtures: localcc.SeedFixtures()}, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	p, err := cloudcontrol.New(context.Background(), cloudcontrol.Options{Endpoint: srv.URL()})
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = p.Create(context.Background(), "AWS::Logs::LogGroup", map[string]any{"LogGroupName": "g"}, cloudcontrol.NewClientToken(), nil)
	var te *cloudcontrol.TargetError
	if !errors.As(err, &te) || !cloudcontrol.Refused(err) {
		t.Fatalf("Refused %v, error %v", cloudcontrol.Refused(err), err)
	}
	if msg := err.Error(); !strings.HasPrefix(msg, "no AWS credentials found") || strings.Contains(msg, "operation error") || !strings.Contains(msg, "--local") {
		t.Fatalf("message: %s", msg)
	}
	if n := srv.Metrics().TotalCalls; n != 0 {
		t.Fatalf("%d calls reached the endpoint", n)
	}
	if err := p.Check(context.Background()); !errors.As(err, &te) {
		t.Fatalf("Check: %v", err)
	}
}

// Check passes against an endpoint that answers and accepts the
// credentials.
func TestCheckPasses(t *testing.T) {
	srv, err := localcc.Start(localcc.Options{}, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	p := newProvider(t, srv.URL(), cloudcontrol.Options{})
	if err := p.Check(context.Background()); err != nil {
		t.Fatal(err)
	}
}
