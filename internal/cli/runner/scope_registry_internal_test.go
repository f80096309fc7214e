package runner

import (
	"context"
	"testing"

	"github.com/athanor-iac/athanor/localcc"
	"github.com/athanor-iac/athanor/localcc/localcctest"
	"github.com/athanor-iac/athanor/provider/cloudcontrol"
	"github.com/athanor-iac/athanor/state"
)

// Two roles into one account and region get providers of their own (each
// signs with its role's credentials) under one rate limit: a throttle one
// of them meets slows the other too, as AWS throttles the account and
// region whoever calls.
func TestScopeRegistrySharesRateLimitAcrossRoles(t *testing.T) {
	localcctest.AWSEnv(t)
	const home, other = "111111111111", "222222222222"
	hot := localcc.Scope{Account: other, Region: "us-east-1"}
	trust := map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{"Effect": "Allow", "Principal": map[string]any{"AWS": home}, "Action": "sts:AssumeRole"}}}
	var fx []localcc.Fixture
	for _, role := range []string{"Deploy", "Audit"} {
		fx = append(fx, localcc.Fixture{Type: "AWS::IAM::Role", Account: other, Properties: map[string]any{"RoleName": role, "AssumeRolePolicyDocument": trust}})
	}
	srv, err := localcc.Start(localcc.Options{Account: home, Fixtures: fx, ScopeThrottle: map[localcc.Scope]localcc.Throttle{hot: {RPS: 5, Burst: 1}}}, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	ctx := context.Background()
	base := cloudcontrol.Options{Scheduler: cloudcontrol.NewScheduler(), Endpoint: srv.URL(), STSEndpoint: srv.URL()}
	def, err := cloudcontrol.New(ctx, base)
	if err != nil {
		t.Fatal(err)
	}
	r := newScopeRegistry(def, base)
	provs := map[string]*cloudcontrol.Provider{}
	for _, role := range []string{"Deploy", "Audit"} {
		sc, err := r.Resolve(ctx, state.Scope{RoleARN: "arn:aws:iam::" + other + ":role/" + role, SessionName: "athanor"})
		if err != nil {
			t.Fatal(err)
		}
		if sc.Key() != hot.String() {
			t.Fatalf("%s leads to %s, want %s", role, sc.Key(), hot)
		}
		p, err := r.provider(ctx, sc)
		if err != nil {
			t.Fatal(err)
		}
		provs[role] = p.(*cloudcontrol.Provider)
	}
	deploy, audit := provs["Deploy"], provs["Audit"]
	if deploy == audit {
		t.Fatal("two roles into one account and region share a provider, and so one role's credentials")
	}
	start := audit.RateLimit().Rate()
	// Two calls in quick succession through Deploy: the endpoint lets one
	// through a second and throttles the other.
	for range 2 {
		if _, err := deploy.List(ctx, "AWS::Logs::LogGroup"); err != nil {
			t.Fatal(err)
		}
	}
	if srv.Metrics().Scopes[hot.String()].Throttled == 0 {
		t.Fatal("the endpoint throttled nothing; the test needs a throttle")
	}
	if got := audit.RateLimit().Rate(); got >= start {
		t.Fatalf("Audit's rate is %v after Deploy was throttled in their account and region, want below %v", got, start)
	}
}
