package runner

import (
	"context"
	"strings"
	"testing"

	"github.com/athanor-iac/athanor/internal/engine"
	"github.com/athanor-iac/athanor/localcc"
	"github.com/athanor-iac/athanor/localcc/localcctest"
	"github.com/athanor-iac/athanor/provider/cloudcontrol"
	"github.com/athanor-iac/athanor/state"
)

// testHome is the run's own account in the registry's tests.
const testHome = "111111111111"

// roleFixture is a role of account acct that testHome may assume.
func roleFixture(acct, name string) localcc.Fixture {
	trust := map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{"Effect": "Allow", "Principal": map[string]any{"AWS": testHome}, "Action": "sts:AssumeRole"}}}
	return localcc.Fixture{Type: "AWS::IAM::Role", Account: acct, Properties: map[string]any{"RoleName": name, "AssumeRolePolicyDocument": trust}}
}

// testRegistry is the scope registry of a run in testHome/us-east-1 on an
// endpoint started with opts, and the run's own provider.
func testRegistry(t *testing.T, opts localcc.Options) (*scopeRegistry, *cloudcontrol.Provider, *localcc.Server) {
	t.Helper()
	localcctest.AWSEnv(t)
	opts.Account = testHome
	srv, err := localcc.Start(opts, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	base := cloudcontrol.Options{Scheduler: cloudcontrol.NewScheduler(), Endpoint: srv.URL(), STSEndpoint: srv.URL()}
	def, err := cloudcontrol.New(context.Background(), base)
	if err != nil {
		t.Fatal(err)
	}
	return newScopeRegistry(def, base), def, srv
}

// Two roles into one account and region get providers of their own (each
// signs with its role's credentials) under one rate limit: a throttle one
// of them meets slows the other too, as AWS throttles the account and
// region whoever calls.
func TestScopeRegistrySharesRateLimitAcrossRoles(t *testing.T) {
	const other = "222222222222"
	hot := localcc.Scope{Account: other, Region: "us-east-1"}
	r, _, srv := testRegistry(t, localcc.Options{Fixtures: []localcc.Fixture{roleFixture(other, "Deploy"), roleFixture(other, "Audit")},
		ScopeThrottle: map[localcc.Scope]localcc.Throttle{hot: {RPS: 5, Burst: 1}}})
	ctx := context.Background()
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

// A role into the run's own account and region has a provider of its own
// (it signs with the role's credentials) under the run's rate limit: AWS
// throttles the account and region whoever calls. Its scope is Home: the
// run's own for every comparison.
func TestScopeRegistryHomeRoleSharesTheRunsRateLimit(t *testing.T) {
	hot := localcc.Scope{Account: testHome, Region: "us-east-1"}
	r, def, srv := testRegistry(t, localcc.Options{Fixtures: []localcc.Fixture{roleFixture(testHome, "Deployer")},
		ScopeThrottle: map[localcc.Scope]localcc.Throttle{hot: {RPS: 5, Burst: 1}}})
	ctx := context.Background()
	sc, err := r.Resolve(ctx, state.Scope{RoleARN: "arn:aws:iam::" + testHome + ":role/Deployer", SessionName: "athanor"})
	if err != nil {
		t.Fatal(err)
	}
	if sc == nil || !sc.Home || sc.Key() != "" || sc.Place() != hot.String() {
		t.Fatalf("the role into the run's own account and region resolves to %+v, want a Home scope in %s", sc, hot)
	}
	p, err := r.provider(ctx, sc)
	if err != nil {
		t.Fatal(err)
	}
	if p == engine.Provider(def) {
		t.Fatal("the role's scope calls with the run's provider, and so the run's credentials")
	}
	start := def.RateLimit().Rate()
	for range 2 {
		if _, err := p.List(ctx, "AWS::Logs::LogGroup"); err != nil {
			t.Fatal(err)
		}
	}
	if srv.Metrics().Scopes[hot.String()].Throttled == 0 {
		t.Fatal("the endpoint throttled nothing; the test needs a throttle")
	}
	if got := def.RateLimit().Rate(); got >= start {
		t.Fatalf("the run's rate is %v after the role was throttled in the run's account and region, want below %v", got, start)
	}
}

// A record is reached through its way in only while that way leads where
// the record is: otherwise the call would go to another account (a role
// changed to trust another, a run with other credentials) and the
// resource would look gone. A Home record counts where it is, not "the
// run's own".
func TestScopeRegistryRecordWhereItsWayLeads(t *testing.T) {
	const home, other, elsewhere = testHome, "222222222222", "999999999999"
	r, _, _ := testRegistry(t, localcc.Options{Fixtures: []localcc.Fixture{roleFixture(home, "Deploy"), roleFixture(other, "Deploy")}})
	ctx := context.Background()
	for _, tc := range []struct {
		rec  state.Scope
		want string // "" for no error
	}{
		{state.Scope{Account: other, Region: "us-east-1", RoleARN: "arn:aws:iam::" + other + ":role/Deploy", SessionName: "athanor"}, ""},
		{state.Scope{Account: home, Region: "us-east-1", RoleARN: "arn:aws:iam::" + home + ":role/Deploy", SessionName: "athanor", Home: true}, ""},
		{state.Scope{Account: elsewhere, Region: "us-east-1", RoleARN: "arn:aws:iam::" + other + ":role/Deploy", SessionName: "athanor"}, other + "/us-east-1"},
		{state.Scope{Account: elsewhere, Region: "us-east-1", RoleARN: "arn:aws:iam::" + home + ":role/Deploy", SessionName: "athanor", Home: true}, home + "/us-east-1"},
		{state.Scope{Account: elsewhere, Region: "us-east-1"}, home + "/us-east-1"},
	} {
		_, err := r.provider(ctx, &tc.rec)
		if tc.want == "" && err != nil {
			t.Errorf("%s: %v", &tc.rec, err)
		}
		if want := "the resource is in " + elsewhere + "/us-east-1, but this way in now leads to " + tc.want; tc.want != "" && (err == nil || !strings.Contains(err.Error(), want)) {
			t.Errorf("%s: error %v, want %q", &tc.rec, err, want)
		}
	}
}

// A scope that reaches out as the run does (no role, no profile) in the
// run's own region is the run's own, without asking STS again; in another
// region it is another place, reached with the run's credentials.
func TestScopeRegistryTheRunsOwnWay(t *testing.T) {
	r, _, srv := testRegistry(t, localcc.Options{Regions: []string{"us-east-1", "eu-west-1"}})
	ctx := context.Background()
	for _, spec := range []state.Scope{{}, {Region: "us-east-1"}} {
		if sc, err := r.Resolve(ctx, spec); err != nil || sc != nil {
			t.Fatalf("%+v resolves to %s, %v; want the run's own", spec, sc, err)
		}
	}
	if got := srv.Metrics().Calls["GetCallerIdentity"]; got != 1 {
		t.Fatalf("%d GetCallerIdentity calls, want the run's own one", got)
	}
	sc, err := r.Resolve(ctx, state.Scope{Region: "eu-west-1"})
	if err != nil || sc == nil || sc.Home || sc.Key() != testHome+"/eu-west-1" {
		t.Fatalf("another region resolves to %+v, %v; want %s/eu-west-1", sc, err, testHome)
	}
}
