package athanor_test

import (
	"fmt"
	"testing"

	"github.com/athanor-iac/athanor"
	"github.com/athanor-iac/athanor/localcc"
)

// A lookup is made through the way in it is asked through: two roles into
// one account and region, or a role into the run's own and the run
// itself, may see different resources, so each lists with its own
// credentials. Each way in still lists once per run, however often the
// program asks and in both passes.
func TestLookupThroughEachWayIn(t *testing.T) {
	trust := map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{"Effect": "Allow", "Principal": map[string]any{"AWS": orgA}, "Action": "sts:AssumeRole"}}}
	e := newEnv(t, localcc.Options{Account: orgA, Regions: orgRegions, Fixtures: []localcc.Fixture{
		{Type: "AWS::IAM::Role", Account: orgB, Properties: map[string]any{"RoleName": "Deploy", "AssumeRolePolicyDocument": trust}},
		{Type: "AWS::IAM::Role", Account: orgB, Properties: map[string]any{"RoleName": "Audit", "AssumeRolePolicyDocument": trust}},
		{Type: "AWS::IAM::Role", Account: orgA, Properties: map[string]any{"RoleName": "Deployer", "AssumeRolePolicyDocument": trust}},
	}})
	ways := []struct {
		in     func(*athanor.App) athanor.Declarer
		place  string
		caller string
	}{
		{func(app *athanor.App) athanor.Declarer {
			return app.Scope(athanor.ScopeOptions{RoleARN: "arn:aws:iam::" + orgB + ":role/Deploy"})
		}, orgB + "/us-east-1", "arn:aws:sts::" + orgB + ":assumed-role/Deploy/athanor"},
		{func(app *athanor.App) athanor.Declarer {
			return app.Scope(athanor.ScopeOptions{RoleARN: "arn:aws:iam::" + orgB + ":role/Audit"})
		}, orgB + "/us-east-1", "arn:aws:sts::" + orgB + ":assumed-role/Audit/athanor"},
		{func(app *athanor.App) athanor.Declarer {
			return app.Scope(athanor.ScopeOptions{RoleARN: "arn:aws:iam::" + orgA + ":role/Deployer"})
		}, orgA + "/us-east-1", "arn:aws:sts::" + orgA + ":assumed-role/Deployer/athanor"},
		{func(app *athanor.App) athanor.Declarer { return app }, orgA + "/us-east-1", "arn:aws:iam::" + orgA + ":root"},
	}
	prog := func(app *athanor.App) error {
		for i, w := range ways {
			for range 2 {
				if _, err := w.in(app).List("AWS::Logs::LogGroup", nil); err != nil {
					return err
				}
			}
			if _, err := app.Resource("AWS::Logs::LogGroup", fmt.Sprint("lg", i), map[string]any{"LogGroupName": fmt.Sprint("lg", i)}); err != nil {
				return err
			}
		}
		return nil
	}
	if code, out := e.run(prog); code != 0 {
		t.Fatalf("up: exit %d\n%s", code, out)
	}
	m := e.srv.Metrics()
	for _, w := range ways {
		callers := m.Scopes[w.place].Callers
		if got := callers[w.caller].Served["ListResources"]; got != 1 {
			t.Errorf("%s listed %d times in %s, want once with its own credentials; calls by caller: %v", w.caller, got, w.place, callers)
		}
	}
}
