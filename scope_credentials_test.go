package athanor_test

import (
	"os"
	"path/filepath"
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

// A role into the run's own account and region signs its resources'
// calls itself: the program asked for that role, whose permissions may be
// fewer than the run's. Its resources are still the run's own: one made
// before without a scope is neither moved nor changed by being declared
// through the role, and the plan says nothing of a scope.
func TestScopeRoleIntoTheRunsOwnAccount(t *testing.T) {
	trust := map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{"Effect": "Allow", "Principal": map[string]any{"AWS": orgA}, "Action": "sts:AssumeRole"}}}
	e := newEnv(t, localcc.Options{Account: orgA, Regions: orgRegions, Fixtures: []localcc.Fixture{
		{Type: "AWS::IAM::Role", Account: orgA, Properties: map[string]any{"RoleName": "Deployer", "AssumeRolePolicyDocument": trust}},
	}})
	home := orgA + "/us-east-1"
	role := "arn:aws:sts::" + orgA + ":assumed-role/Deployer/athanor"
	logs := func(in athanor.Declarer, ids ...string) error {
		for _, id := range ids {
			if _, err := in.Resource("AWS::Logs::LogGroup", id, map[string]any{"LogGroupName": id}); err != nil {
				return err
			}
		}
		return nil
	}
	if code, out := e.run(func(app *athanor.App) error { return logs(app, "old") }); code != 0 {
		t.Fatalf("up without a scope: exit %d\n%s", code, out)
	}
	through := func(app *athanor.App) error {
		return logs(app.Scope(athanor.ScopeOptions{RoleARN: "arn:aws:iam::" + orgA + ":role/Deployer"}), "old", "new")
	}
	code, out := e.run(through, "plan")
	if code != 0 || !strings.Contains(out, "Plan: 1 to create, 1 unchanged.") || strings.Contains(out, " in "+home) {
		t.Fatalf("plan through the role: exit %d, want the old log group unchanged and no scope named\n%s", code, out)
	}
	if code, out := e.run(through); code != 0 {
		t.Fatalf("up through the role: exit %d\n%s", code, out)
	}
	byRole := func() map[string]int64 { return e.srv.Metrics().Scopes[home].Callers[role].Served }
	if got := byRole()["CreateResource"]; got != 1 {
		t.Fatalf("the role made %d creates, want the new log group's; calls by caller: %v", got, e.srv.Metrics().Scopes[home].Callers)
	}
	reads := byRole()["GetResource"]
	if code, out := e.run(through, "plan", "--detailed-exitcode"); code != 0 || !strings.Contains(out, "No changes") {
		t.Fatalf("rerun: exit %d\n%s", code, out)
	}
	if got := byRole()["GetResource"] - reads; got != 2 {
		t.Fatalf("the rerun read %d log groups through the role, want both", got)
	}
	if code, out := e.run(through, "destroy"); code != 0 {
		t.Fatalf("destroy: exit %d\n%s", code, out)
	}
	if got := byRole()["DeleteResource"]; got != 2 {
		t.Fatalf("the role made %d deletes, want both log groups'", got)
	}
}

// A profile's credentials serve every region and role the program uses
// it with: a profile that assumes a role (role_arn in the shared
// configuration) assumes it once, not once per region, and a role
// assumed from the profile starts from those same credentials.
func TestScopeProfileResolvedOncePerProfile(t *testing.T) {
	trust := map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{"Effect": "Allow", "Principal": map[string]any{"AWS": orgB}, "Action": "sts:AssumeRole"}}}
	e := orgEnvWith(t, nil, localcc.Fixture{Type: "AWS::IAM::Role", Account: orgC, Properties: map[string]any{"RoleName": "Hop", "AssumeRolePolicyDocument": trust}})
	cfg := filepath.Join(t.TempDir(), "config")
	if err := os.WriteFile(cfg, []byte("[profile src]\naws_access_key_id = AKIDTEST\naws_secret_access_key = secret\n\n"+
		"[profile member]\nrole_arn = arn:aws:iam::"+orgB+":role/Deploy\nsource_profile = src\nrole_session_name = member\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_CONFIG_FILE", cfg)
	t.Setenv("AWS_ENDPOINT_URL_STS", e.srv.URL()) // the SDK assumes a profile's role itself
	prog := func(app *athanor.App) error {
		for _, region := range orgRegions {
			for name, o := range map[string]athanor.ScopeOptions{"member-" + region: {Region: region, Profile: "member"},
				"hop-" + region: {Region: region, Profile: "member", RoleARN: "arn:aws:iam::" + orgC + ":role/Hop"}} {
				if _, err := app.Scope(o).Resource("AWS::Logs::LogGroup", name, map[string]any{"LogGroupName": name}); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if code, out := e.run(prog); code != 0 {
		t.Fatalf("up: exit %d\n%s", code, out)
	}
	m := e.srv.Metrics()
	assumedBy := func(caller string) int64 { // in any region
		n := int64(0)
		for _, sm := range m.Scopes {
			n += sm.Callers[caller].Served["AssumeRole"]
		}
		return n
	}
	if got := assumedBy("arn:aws:iam::" + orgA + ":root"); got != 1 {
		t.Fatalf("the profile's role was assumed %d times for two regions and a role assumed from it, want 1", got)
	}
	if got := assumedBy("arn:aws:sts::" + orgB + ":assumed-role/Deploy/member"); got != 1 {
		t.Fatalf("the role assumed from the profile was assumed %d times for two regions, want 1", got)
	}
	for _, region := range orgRegions {
		for _, where := range []string{orgB, orgC} {
			if got := e.inScope(where, region, "AWS::Logs::LogGroup"); len(got) != 1 {
				t.Fatalf("%s/%s: log groups %v, want the program's one", where, region, got)
			}
		}
	}
}
