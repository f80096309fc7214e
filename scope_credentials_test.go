package athanor_test

import (
	"strings"
	"testing"

	"github.com/athanor-iac/athanor"
	"github.com/athanor-iac/athanor/localcc"
)

// A role is assumed once, whatever the number of regions it is used in:
// assumed-role credentials are good in every region. The organisation
// program reaches B and C through their Deploy roles in two regions each:
// two AssumeRole calls, not four. Each scope still asks STS who it is in
// its own region, which is how a region that does not answer is found.
func TestScopeRoleAssumedOncePerRole(t *testing.T) {
	e := orgEnv(t, nil)
	if code, out := e.run(orgProgram, "plan"); code != 0 {
		t.Fatalf("plan: exit %d\n%s", code, out)
	}
	m := e.srv.Metrics()
	if got := m.Calls["AssumeRole"]; got != 2 {
		t.Fatalf("%d AssumeRole calls for two roles in two regions each, want 2", got)
	}
	for _, acct := range []string{orgB, orgC} {
		for _, region := range orgRegions {
			who := "arn:aws:sts::" + acct + ":assumed-role/Deploy/athanor"
			if got := m.Scopes[acct+"/"+region].Callers[who].Served["GetCallerIdentity"]; got != 1 {
				t.Fatalf("%s/%s: %d GetCallerIdentity calls by %s, want 1", acct, region, got, who)
			}
		}
	}
}

// Two roles into one account and region each sign their own resources'
// calls: the second role does not borrow the credentials of the first
// (its permissions may differ). They share that account and region's
// throttling: the endpoint throttles it whoever calls, and both roles'
// resources are made.
func TestScopeTwoRolesIntoOneAccount(t *testing.T) {
	hot := localcc.Scope{Account: orgB, Region: "us-east-1"}
	trust := map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{"Effect": "Allow", "Principal": map[string]any{"AWS": orgA}, "Action": "sts:AssumeRole"}}}
	e := newEnv(t, localcc.Options{Account: orgA, Regions: orgRegions, ScopeThrottle: map[localcc.Scope]localcc.Throttle{hot: {RPS: 20, Burst: 1}}, Fixtures: []localcc.Fixture{
		{Type: "AWS::IAM::Role", Account: orgB, Properties: map[string]any{"RoleName": "Deploy", "AssumeRolePolicyDocument": trust}},
		{Type: "AWS::IAM::Role", Account: orgB, Properties: map[string]any{"RoleName": "Audit", "AssumeRolePolicyDocument": trust}},
	}})
	roles := []string{"Deploy", "Audit"}
	prog := func(app *athanor.App) error {
		for _, role := range roles {
			in := app.Scope(athanor.ScopeOptions{RoleARN: "arn:aws:iam::" + orgB + ":role/" + role})
			for _, n := range []string{"1", "2", "3"} {
				if _, err := in.Resource("AWS::Logs::LogGroup", "lg-"+role+n, map[string]any{"LogGroupName": role + n}); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if code, out := e.run(prog); code != 0 {
		t.Fatalf("up: exit %d\n%s", code, out)
	}
	sm := e.srv.Metrics().Scopes[hot.String()]
	for _, role := range roles {
		who := "arn:aws:sts::" + orgB + ":assumed-role/" + role + "/athanor"
		cm := sm.Callers[who]
		if got := cm.Served["CreateResource"]; got != 3 {
			t.Fatalf("%s made %d creates, want its own 3; calls by caller: %v", who, got, sm.Callers)
		}
		if cm.Throttled == 0 {
			t.Fatalf("%s was never throttled in the account and region both roles share: %+v", who, sm.Callers)
		}
		// One way in is resolved once per run, for the declarations and
		// for their records alike.
		if got := cm.Served["GetCallerIdentity"]; got != 1 {
			t.Fatalf("%s asked STS who it is %d times in one run, want 1", who, got)
		}
	}
	if got := e.inScope(orgB, "us-east-1", "AWS::Logs::LogGroup"); len(got) != 6 {
		t.Fatalf("B's log groups: %v", got)
	}
	code, out := e.run(prog, "plan", "--detailed-exitcode")
	if code != 0 || !strings.Contains(out, "No changes") {
		t.Fatalf("rerun: exit %d\n%s", code, out)
	}
}
