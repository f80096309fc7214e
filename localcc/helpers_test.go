package localcc_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/athanor-iac/athanor/localcc"
)

// fakeAuth is a well-formed SigV4 Authorization header; without configured
// credentials the endpoint accepts any such header.
const fakeAuth = "AWS4-HMAC-SHA256 Credential=AKID/20261124/us-east-1/cloudcontrolapi/aws4_request, SignedHeaders=host;x-amz-date;x-amz-target, Signature=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

var epochStart = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)

// startLocal starts an endpoint on a loopback port with a ManualClock, a
// fixed seed and the seed fixtures, closed when the test ends.
func startLocal(t *testing.T, opts localcc.Options) (*localcc.Server, *localcc.ManualClock) {
	t.Helper()
	clock, _ := opts.Clock.(*localcc.ManualClock)
	if clock == nil {
		clock = localcc.NewManualClock(epochStart)
		opts.Clock = clock
	}
	if opts.Seed == 0 {
		opts.Seed = 7
	}
	if opts.Fixtures == nil {
		opts.Fixtures = localcc.SeedFixtures()
	}
	srv, err := localcc.Start(opts, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv, clock
}

// rawResponse is an answer read off the wire.
type rawResponse struct {
	Status int
	Header http.Header
	Body   []byte
	JSON   map[string]any
}

func (r *rawResponse) errType() string { s, _ := r.JSON["__type"].(string); return s }
func (r *rawResponse) message() string { s, _ := r.JSON["Message"].(string); return s }

// shape is __type without its namespace.
func (r *rawResponse) shape() string {
	s := r.errType()
	if i := strings.LastIndex(s, "#"); i >= 0 {
		s = s[i+1:]
	}
	return s
}

// rawCall posts body to url with the target operation (none when op is
// ""), the fake signature, and whatever mod changes.
func rawCall(t *testing.T, url, op string, body []byte, mod func(*http.Request)) *rawResponse {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url+"/", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	if op != "" {
		req.Header.Set("X-Amz-Target", "CloudApiService."+op)
	}
	req.Header.Set("X-Amz-Date", "20261124T120000Z")
	req.Header.Set("Authorization", fakeAuth)
	if mod != nil {
		mod(req)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s: %v", op, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s: read body: %v", op, err)
	}
	out := &rawResponse{Status: resp.StatusCode, Header: resp.Header, Body: data}
	if err := json.Unmarshal(data, &out.JSON); err != nil {
		t.Fatalf("%s: status %d, body is not a JSON object: %v: %q", op, resp.StatusCode, err, data)
	}
	return out
}

// rawJSON is rawCall with a body encoded from v.
func rawJSON(t *testing.T, url, op string, v any) *rawResponse {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return rawCall(t, url, op, b, nil)
}

// wantShape checks an error answer: status, content type, a namespaced or
// plain __type naming shape, and a message.
func wantShape(t *testing.T, r *rawResponse, status int, shape string) {
	t.Helper()
	if r.Status != status {
		t.Errorf("status %d, want %d (body %s)", r.Status, status, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/x-amz-json-1.0" {
		t.Errorf("Content-Type %q", ct)
	}
	if r.errType() == "" || r.message() == "" {
		t.Errorf("error body without __type or Message: %s", r.Body)
	}
	if r.shape() != shape {
		t.Errorf("__type %q, want %s (body %s)", r.errType(), shape, r.Body)
	}
}

// event decodes a ProgressEvent from a successful mutation or status answer.
func event(t *testing.T, r *rawResponse) map[string]any {
	t.Helper()
	if r.Status != 200 {
		t.Fatalf("status %d: %s", r.Status, r.Body)
	}
	ev, ok := r.JSON["ProgressEvent"].(map[string]any)
	if !ok {
		t.Fatalf("no ProgressEvent in %s", r.Body)
	}
	return ev
}
