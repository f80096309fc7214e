package cloudcontrol_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/athanor-iac/athanor/internal/secrets"
	"github.com/athanor-iac/athanor/provider/cloudcontrol"
)

// TestSecretsSentRevealedAndScrubbedFromErrors: a marked secret reaches
// Cloud Control in plain text, and a refusal that quotes the request (as
// Cloud Control's validation messages do) comes back, and is observed for
// --verbose, without it, while its code still reads.
func TestSecretsSentRevealedAndScrubbedFromErrors(t *testing.T) {
	const pw = "hunter2-super-secret"
	var mu sync.Mutex
	var received []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		received = append(received, string(body))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		w.WriteHeader(400)
		msg, _ := json.Marshal("Model validation failed: " + string(body))
		w.Write([]byte(`{"__type":"com.amazonaws.cloudcontrol#ValidationException","Message":` + string(msg) + `}`))
	}))
	defer srv.Close()
	var calls []cloudcontrol.Call
	p := newProvider(t, srv.URL, cloudcontrol.Options{Observer: func(c cloudcontrol.Call) {
		mu.Lock()
		calls = append(calls, c)
		mu.Unlock()
	}})
	ctx := context.Background()
	props := map[string]any{"Name": "db", "SecretString": secrets.Mark(pw)}
	_, _, cerr := p.Create(ctx, "AWS::SecretsManager::Secret", props, "token-1", nil)
	_, uerr := p.Update(ctx, "AWS::SecretsManager::Secret", "arn:db", []cloudcontrol.PatchOp{{Op: "add", Path: "/SecretString", Value: "x" + secrets.Mark(pw)}}, "token-2", nil)
	for _, err := range []error{cerr, uerr} {
		if err == nil || strings.Contains(err.Error(), "hunter2") || !strings.Contains(err.Error(), "(sensitive)") {
			t.Fatalf("error %v", err)
		}
		if cloudcontrol.Code(err) != "ValidationException" {
			t.Fatalf("code %q of %v", cloudcontrol.Code(err), err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(received) < 2 || !strings.Contains(received[0], `\"SecretString\":\"`+pw+`\"`) || !strings.Contains(received[len(received)-1], `x`+pw) {
		t.Fatalf("the endpoint received %q", received)
	}
	for _, c := range calls {
		if c.Err != nil && strings.Contains(c.Err.Error(), "hunter2") {
			t.Fatalf("observed %s: %v", c.Operation, c.Err)
		}
	}
}
