package athanor_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"

	"github.com/athanor-iac/athanor"
)

// ccOnlyProxy is a proxy in front of the endpoint that passes Cloud
// Control calls (they carry X-Amz-Target) and refuses everything else, as
// a Cloud Control-only proxy would: STS must be reached elsewhere.
func ccOnlyProxy(t *testing.T, target string) *httptest.Server {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(u)
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Amz-Target") == "" {
			http.Error(w, "this proxy serves Cloud Control only", http.StatusForbidden)
			return
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(proxy.Close)
	return proxy
}

// With --endpoint at a Cloud Control-only proxy, --sts-endpoint sends STS
// (the run's account, the scopes' roles) to its own address; without it,
// STS goes to --endpoint, and the proxy refuses it.
func TestSTSEndpointApartFromCloudControl(t *testing.T) {
	e := orgEnv(t, nil)
	proxy := ccOnlyProxy(t, e.srv.URL())
	run := func(args ...string) (int, string) {
		var out bytes.Buffer
		args = append(args, "--endpoint", proxy.URL, "--state", e.state, "--stage", "test", "--yes")
		code := athanor.Main(context.Background(), "flowlogs", args, &out, &out, orgProgram)
		return code, out.String()
	}
	if code, out := run(); code != 1 || !strings.Contains(out, "from STS at "+proxy.URL+" (--sts-endpoint, else --endpoint)") {
		t.Fatalf("STS through the Cloud Control-only proxy: exit %d\n%s", code, out)
	}
	if code, out := run("--sts-endpoint", e.srv.URL()); code != 0 || !strings.Contains(out, "13 created") {
		t.Fatalf("--sts-endpoint: exit %d\n%s", code, out)
	}
	if m := e.srv.Metrics(); m.Calls["AssumeRole"] != 2 {
		t.Fatalf("%d AssumeRole calls reached the endpoint, want 2", m.Calls["AssumeRole"])
	}
	// Without endpoint flags, the SDK's own settings still say where each
	// service is.
	t.Setenv("AWS_ENDPOINT_URL_CLOUDCONTROL", proxy.URL)
	t.Setenv("AWS_ENDPOINT_URL_STS", e.srv.URL())
	var out bytes.Buffer
	code := athanor.Main(context.Background(), "flowlogs", []string{"plan", "--detailed-exitcode", "--state", e.state, "--stage", "test"}, &out, &out, orgProgram)
	if code != 0 || !strings.Contains(out.String(), "No changes") {
		t.Fatalf("AWS_ENDPOINT_URL_STS: exit %d\n%s", code, out.String())
	}
}
