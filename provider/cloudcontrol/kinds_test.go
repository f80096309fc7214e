package cloudcontrol_test

import (
	"context"
	"testing"

	"github.com/athanor-iac/athanor/localcc"
	"github.com/athanor-iac/athanor/provider/cloudcontrol"
)

// The error kinds callers act on are found from the SDK's modelled
// exceptions and the handler's error code, through the real SDK.
func TestErrorKinds(t *testing.T) {
	srv, err := localcc.Start(localcc.Options{Latency: map[string]localcc.Range{"*": {}}}, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	p := newProvider(t, srv.URL(), cloudcontrol.Options{})
	ctx := context.Background()
	group := map[string]any{"LogGroupName": "g"}
	if _, _, err := p.Create(ctx, "AWS::Logs::LogGroup", group, cloudcontrol.NewClientToken(), nil); err != nil {
		t.Fatal(err)
	}
	_, _, err = p.Create(ctx, "AWS::Logs::LogGroup", group, cloudcontrol.NewClientToken(), nil)
	if got := cloudcontrol.HandlerCode(err); got != cloudcontrol.HandlerAlreadyExists {
		t.Errorf("second create of one log group: handler code %q, want %q (%v)", got, cloudcontrol.HandlerAlreadyExists, err)
	}
	if !cloudcontrol.Refused(err) || cloudcontrol.IsCancelled(err) || cloudcontrol.IsNotFound(err) {
		t.Errorf("a FAILED create: Refused %v, IsCancelled %v, IsNotFound %v; want true, false, false", cloudcontrol.Refused(err), cloudcontrol.IsCancelled(err), cloudcontrol.IsNotFound(err))
	}
	_, _, err = p.Wait(ctx, "AWS::Logs::LogGroup", "00000000-0000-4000-8000-000000000000")
	if !cloudcontrol.IsRequestTokenNotFound(err) {
		t.Errorf("wait on an unknown request token: %v, want RequestTokenNotFound", err)
	}
	if _, err := p.Read(ctx, "AWS::Logs::LogGroup", "missing"); !cloudcontrol.IsNotFound(err) || cloudcontrol.HandlerCode(err) != "" {
		t.Errorf("read of a missing log group: %v (handler code %q), want not found and no handler code", err, cloudcontrol.HandlerCode(err))
	}
}
