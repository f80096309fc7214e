package cloudcontrol_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/athanor-iac/athanor/localcc"
	"github.com/athanor-iac/athanor/provider/cloudcontrol"
)

func newProvider(t *testing.T, url string, opts cloudcontrol.Options) *cloudcontrol.Provider {
	t.Helper()
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDTEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	opts.Endpoint = url
	p, err := cloudcontrol.New(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// Conformance cases 1 and 2, client side: errors are dispatched on
// __type, namespaced or not, whatever the HTTP status.
func TestErrorDecoding(t *testing.T) {
	for _, tc := range []struct {
		status   int
		body     string
		code     string
		notFound bool
	}{
		{404, `{"__type":"com.amazonaws.cloudcontrol#ResourceNotFoundException","Message":"m"}`, "ResourceNotFoundException", true},
		{400, `{"__type":"com.amazonaws.cloudcontrol#ResourceNotFoundException","Message":"m"}`, "ResourceNotFoundException", true},
		{404, `{"__type":"com.amazon.cloudapiservice#ResourceNotFoundException","Message":"m"}`, "ResourceNotFoundException", true},
		{400, `{"__type":"ValidationException"}`, "ValidationException", false},
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/x-amz-json-1.0")
			w.WriteHeader(tc.status)
			w.Write([]byte(tc.body))
		}))
		p := newProvider(t, srv.URL, cloudcontrol.Options{})
		_, err := p.Read(context.Background(), "AWS::EC2::FlowLog", "fl-1")
		srv.Close()
		if got := cloudcontrol.IsNotFound(err); got != tc.notFound {
			t.Errorf("%d %s: IsNotFound %v, want %v (%v)", tc.status, tc.body, got, tc.notFound, err)
		}
		if !tc.notFound && cloudcontrol.Code(err) != tc.code {
			t.Errorf("%d %s: code %q, want %q", tc.status, tc.body, cloudcontrol.Code(err), tc.code)
		}
	}
}

// Throttling slows the provider down and never fails an operation: a
// burst of creates against an endpoint that allows 5 calls a second all
// succeed.
func TestThrottlingIsNotFailure(t *testing.T) {
	srv, err := localcc.Start(localcc.Options{ThrottleRPS: 5, ThrottleBurst: 2, Latency: map[string]localcc.Range{"*": {}}}, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	var calls atomic.Int64
	p := newProvider(t, srv.URL(), cloudcontrol.Options{Observer: func(cloudcontrol.Call) { calls.Add(1) }})
	errs := make(chan error, 8)
	for i := 0; i < 8; i++ {
		go func() {
			_, _, err := p.Create(context.Background(), "AWS::Logs::LogGroup", map[string]any{"LogGroupName": "g" + string(rune('a'+i))}, cloudcontrol.NewClientToken(), nil)
			errs <- err
		}()
	}
	deadline := time.After(30 * time.Second)
	for i := 0; i < 8; i++ {
		select {
		case err := <-errs:
			if err != nil {
				t.Fatalf("create failed under throttling: %v", err)
			}
		case <-deadline:
			t.Fatal("creates did not finish")
		}
	}
	if m := srv.Metrics(); m.Throttled == 0 {
		t.Fatalf("the endpoint never throttled (%d calls); the test proves nothing", m.TotalCalls)
	}
	if n := len(srv.Resources("AWS::Logs::LogGroup")); n != 8 {
		t.Fatalf("%d log groups, want 8", n)
	}
}

// RetryAfter is honoured: no status call comes before the time the
// service named.
func TestRetryAfterIsHonoured(t *testing.T) {
	count := func(retryAfter time.Duration) int64 {
		srv, err := localcc.Start(localcc.Options{RetryAfter: retryAfter, Latency: map[string]localcc.Range{"*": {Min: time.Second, Max: time.Second}}}, "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer srv.Close()
		p := newProvider(t, srv.URL(), cloudcontrol.Options{})
		if _, _, err := p.Create(context.Background(), "AWS::Logs::LogGroup", map[string]any{"LogGroupName": "g"}, cloudcontrol.NewClientToken(), nil); err != nil {
			t.Fatal(err)
		}
		return srv.Metrics().Calls["GetResourceRequestStatus"]
	}
	without, with := count(0), count(900*time.Millisecond)
	if with > 2 || with >= without {
		t.Fatalf("status calls: %d with RetryAfter 0.9 s on a 1 s request, %d without; RetryAfter was not honoured", with, without)
	}
}
