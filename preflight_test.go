package athanor_test

import (
	"strings"
	"testing"

	"github.com/athanor-iac/athanor"
	"github.com/athanor-iac/athanor/aws/ec2"
	"github.com/athanor-iac/athanor/localcc"
)

// With the endpoint down, or without credentials, or with credentials AWS
// refuses, every resource failed on its own after the SDK's ten attempts
// (13 s) with "create failed after 13.28s: : operation error CloudControl:
// CreateResource, exceeded maximum number of attempts, 10, ...", leaving
// CREATE (pending) records for requests never sent. Now one call before
// the first intent fails the run at once, in one line with the fix, and
// the state holds nothing.
func TestTargetIsCheckedBeforeTheFirstIntent(t *testing.T) {
	decls := map[string]ec2.FlowLogProps{"vpcFlowLog": seedProps()["vpcFlowLog"], "advancedFlowLog": seedProps()["advancedFlowLog"]}
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T, e *env)
		opts  localcc.Options
		want  string
	}{
		{name: "endpoint down", setup: func(t *testing.T, e *env) { e.srv.Close() },
			want: "cannot reach the Cloud Control endpoint http://127.0.0.1:"},
		{name: "no credentials", setup: func(t *testing.T, e *env) {
			t.Setenv("AWS_ACCESS_KEY_ID", "")
			t.Setenv("AWS_SECRET_ACCESS_KEY", "")
			t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
		}, want: "no AWS credentials found"},
		{name: "refused credentials", opts: localcc.Options{Credentials: &localcc.Credentials{AccessKeyID: "AKIDOTHER", SecretAccessKey: "other"}},
			want: "AWS refused the credentials (UnrecognizedClientException"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, tc.opts)
			e.t = t
			if tc.setup != nil {
				tc.setup(t, e)
			}
			code, out := e.run(programOf(decls, nil))
			if code != athanor.ExitError || !strings.Contains(out, tc.want) || strings.Contains(out, "failed after") || strings.Contains(out, ": :") ||
				strings.Contains(out, "operation error") || !strings.Contains(out, "--local") {
				t.Fatalf("exit %d\n%s", code, out)
			}
			if recs := e.load("test"); len(recs) != 0 {
				t.Fatalf("records left for requests never sent: %+v", recs)
			}
		})
	}
}

// A run with nothing to change makes no check (its refresh reads AWS).
func TestNoChangeRunMakesNoCheck(t *testing.T) {
	e := newEnv(t, localcc.Options{})
	decls := map[string]ec2.FlowLogProps{"vpcFlowLog": seedProps()["vpcFlowLog"]}
	if code, out := e.run(programOf(decls, nil)); code != 0 {
		t.Fatalf("exit %d\n%s", code, out)
	}
	if n := e.srv.Metrics().Calls["ListResourceRequests"]; n != 1 {
		t.Fatalf("%d checks before the first create, want 1", n)
	}
	e.srv.ResetMetrics()
	if code, out := e.run(programOf(decls, nil)); code != 0 || e.srv.Metrics().Calls["ListResourceRequests"] != 0 {
		t.Fatalf("exit %d, calls %v\n%s", code, e.srv.Metrics().Calls, out)
	}
}
