package athanor_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/athanor-iac/athanor"
	"github.com/athanor-iac/athanor/localcc"
	"github.com/athanor-iac/athanor/state"
)

// athanor import reaches a resource in another account and region
// through the scope the program declares it in, and records that scope as
// the declaration would: the program's next run changes nothing.
func TestImportIntoScopes(t *testing.T) {
	e := orgEnvWith(t, nil,
		localcc.Fixture{Type: "AWS::Logs::LogGroup", Account: orgB, Region: "eu-west-1", Properties: map[string]any{"LogGroupName": "b-logs"}},
		localcc.Fixture{Type: "AWS::Logs::LogGroup", Account: orgC, Region: "us-east-1", Properties: map[string]any{"LogGroupName": "c-logs"}})
	roleB, roleC := "arn:aws:iam::"+orgB+":role/Deploy", "arn:aws:iam::"+orgC+":role/Deploy"

	// B's log group is not in the run's own account and region.
	if code, out := e.athanor("import", "AWS::Logs::LogGroup", "b-logs", "--as", "bLogs"); code != 1 || !strings.Contains(out, "does not exist") {
		t.Fatalf("import without the scope: exit %d\n%s", code, out)
	}
	code, out := e.athanor("import", "AWS::Logs::LogGroup", "b-logs", "--as", "bLogs", "--role-arn", roleB, "--scope-region", "eu-west-1", "--account", orgB)
	if code != 0 || !strings.Contains(out, "imported AWS::Logs::LogGroup b-logs from "+orgB+"/eu-west-1 (role "+roleB+") as \"bLogs\"") {
		t.Fatalf("import in B: exit %d\n%s", code, out)
	}
	if code, out := e.athanor("import", "AWS::Logs::LogGroup", "c-logs", "--as", "cLogs", "--role-arn", roleC); code != 0 {
		t.Fatalf("import in C: exit %d\n%s", code, out)
	}
	want := map[string]*state.Scope{
		"bLogs": {Account: orgB, Region: "eu-west-1", RoleARN: roleB, SessionName: "athanor"},
		"cLogs": {Account: orgC, Region: "us-east-1", RoleARN: roleC, SessionName: "athanor"},
	}
	for _, r := range e.load("test") {
		if !reflect.DeepEqual(r.Scope, want[r.LogicalID]) {
			t.Fatalf("%s recorded in %#v, want %#v", r.LogicalID, r.Scope, want[r.LogicalID])
		}
	}

	prog := func(app *athanor.App) error {
		b := app.Scope(athanor.ScopeOptions{RoleARN: roleB, Region: "eu-west-1"})
		if _, err := b.Resource("AWS::Logs::LogGroup", "bLogs", map[string]any{"LogGroupName": "b-logs"}); err != nil {
			return err
		}
		_, err := app.Scope(athanor.ScopeOptions{RoleARN: roleC}).Resource("AWS::Logs::LogGroup", "cLogs", map[string]any{"LogGroupName": "c-logs"})
		return err
	}
	if code, out := e.run(prog, "plan", "--detailed-exitcode"); code != 0 || !strings.Contains(out, "No changes") {
		t.Fatalf("plan after the imports: exit %d\n%s", code, out)
	}
	if code, out := e.run(prog, "destroy"); code != 0 {
		t.Fatalf("destroy: exit %d\n%s", code, out)
	}
	if n, m := len(e.inScope(orgB, "eu-west-1", "AWS::Logs::LogGroup")), len(e.inScope(orgC, "us-east-1", "AWS::Logs::LogGroup")); n != 0 || m != 0 {
		t.Fatalf("after destroy: %d log groups in B, %d in C", n, m)
	}
}

// The scope flags of an import are checked before anything is sent, every
// mistake at once; an --account the scope does not lead to is refused.
func TestImportScopeMistakes(t *testing.T) {
	e := orgEnv(t, nil)
	code, out := e.athanor("import", "AWS::Logs::LogGroup", "x", "--as", "x", "--role-arn", "arn:aws:iam::"+orgB+":role/Deploy",
		"--account", orgC, "--scope-region", "eu-west", "--session-name", "a b", "--role-duration", "5m", "--sts-endpoint", "sts")
	for _, w := range []string{
		"5 mistakes on the command line:",
		"--scope-region \"eu-west\": give a region name, such as eu-west-1",
		"--role-arn arn:aws:iam::" + orgB + ":role/Deploy is a role of account " + orgB + ", not of --account " + orgC,
		"--session-name \"a b\": 2 to 64 letters",
		"--role-duration 5m0s: whole seconds from 15m to 12h",
		"--sts-endpoint \"sts\": give an absolute http:// or https:// URL",
		"Run 'athanor import --help' for usage.",
	} {
		if code != 2 || !strings.Contains(out, w) {
			t.Fatalf("exit %d, output lacks %q:\n%s", code, w, out)
		}
	}
	if code, out := e.athanor("import", "AWS::Logs::LogGroup", "x", "--as", "x", "--external-id", "ext-1"); code != 2 || !strings.Contains(out, "--external-id is sent when assuming --role-arn: give --role-arn too, or drop --external-id") {
		t.Fatalf("--external-id alone: exit %d\n%s", code, out)
	}
	if m := e.srv.Metrics(); m.TotalCalls != 0 {
		t.Fatalf("refused command lines sent %d calls", m.TotalCalls)
	}
	code, out = e.athanor("import", "AWS::Logs::LogGroup", "x", "--as", "x", "--account", orgB)
	if code != 1 || !strings.Contains(out, "import refused, nothing changed: the scope leads to account "+orgA+", not --account "+orgB+": give --role-arn (or --scope-profile) of account "+orgB) {
		t.Fatalf("--account elsewhere: exit %d\n%s", code, out)
	}
	if recs := e.load("test"); len(recs) != 0 {
		t.Fatalf("records after refused imports: %v", recs)
	}
}

// athanor import through a role into the run's own account and region
// reads with the role, as the program's scope would, and records the
// resource as the run's own: a program declaring it without a scope, or
// through the role, changes nothing.
func TestImportThroughARoleIntoTheRunsOwnAccount(t *testing.T) {
	trust := map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{"Effect": "Allow", "Principal": map[string]any{"AWS": orgA}, "Action": "sts:AssumeRole"}}}
	e := orgEnvWith(t, nil, localcc.Fixture{Type: "AWS::IAM::Role", Account: orgA, Properties: map[string]any{"RoleName": "Deployer", "AssumeRolePolicyDocument": trust}},
		localcc.Fixture{Type: "AWS::Logs::LogGroup", Account: orgA, Region: "us-east-1", Properties: map[string]any{"LogGroupName": "a-logs"}})
	role := "arn:aws:iam::" + orgA + ":role/Deployer"
	code, out := e.athanor("import", "AWS::Logs::LogGroup", "a-logs", "--as", "aLogs", "--role-arn", role, "--account", orgA)
	if code != 0 || !strings.Contains(out, "from "+orgA+"/us-east-1 (the run's own, role "+role+")") {
		t.Fatalf("import: exit %d\n%s", code, out)
	}
	who := "arn:aws:sts::" + orgA + ":assumed-role/Deployer/athanor"
	if got := e.srv.Metrics().Scopes[orgA+"/us-east-1"].Callers[who].Served["GetResource"]; got != 1 {
		t.Fatalf("the role read the log group %d times, want once", got)
	}
	want := &state.Scope{Account: orgA, Region: "us-east-1", RoleARN: role, SessionName: "athanor", Home: true}
	if recs := e.load("test"); len(recs) != 1 || !reflect.DeepEqual(recs[0].Scope, want) {
		t.Fatalf("records %+v, want aLogs in %#v", recs, want)
	}
	for _, in := range []func(*athanor.App) athanor.Declarer{
		func(app *athanor.App) athanor.Declarer { return app },
		func(app *athanor.App) athanor.Declarer { return app.Scope(athanor.ScopeOptions{RoleARN: role}) },
	} {
		prog := func(app *athanor.App) error {
			_, err := in(app).Resource("AWS::Logs::LogGroup", "aLogs", map[string]any{"LogGroupName": "a-logs"})
			return err
		}
		if code, out := e.run(prog, "plan", "--detailed-exitcode"); code != 0 || !strings.Contains(out, "No changes") {
			t.Fatalf("plan after the import: exit %d\n%s", code, out)
		}
	}
}
