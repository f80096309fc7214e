package athanor_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/athanor-iac/athanor"
	"github.com/athanor-iac/athanor/aws/ec2"
	"github.com/athanor-iac/athanor/aws/logs"
	"github.com/athanor-iac/athanor/localcc"
)

// strings.ToUpper(vpc.VpcId) changed the placeholder of a value known only
// after apply, and the dependency on the VPC was lost. Now the plan still
// sees an unknown value that depends on the VPC, and the record keeps the
// dependency on the first run and on later ones.
func TestCaseChangedPlaceholderKeepsTheDependency(t *testing.T) {
	e := newEnv(t, localcc.Options{})
	prog := func(app *athanor.App) error {
		vpc, err := ec2.VPC(app, "vpc", ec2.VPCProps{CidrBlock: "10.44.0.0/16"})
		if err != nil {
			return err
		}
		_, err = logs.LogGroup(app, "flows", logs.LogGroupProps{LogGroupName: "/vpc/" + strings.ToUpper(vpc.VpcId)})
		return err
	}
	code, out := e.run(prog, "plan")
	if code != 0 || !strings.Contains(out, "known after apply") {
		t.Fatalf("plan: exit %d\n%s", code, out)
	}
	for run := 1; run <= 2; run++ {
		if code, out := e.run(prog); code != 0 {
			t.Fatalf("run %d: exit %d\n%s", run, code, out)
		}
		var deps []string
		for _, r := range e.load("test") {
			if r.LogicalID == "flows" {
				deps = r.DependsOn
			}
		}
		if !slices.Equal(deps, []string{"vpc"}) {
			t.Fatalf("run %d: flows depends on %v, want [vpc]", run, deps)
		}
	}
}

// A placeholder the program cut (vpc.VpcId[:8]) cannot stand for the value
// or the dependency: the plan says so, and nothing is sent.
func TestCutPlaceholderIsAPlanError(t *testing.T) {
	e := newEnv(t, localcc.Options{})
	prog := func(app *athanor.App) error {
		vpc, err := ec2.VPC(app, "vpc", ec2.VPCProps{CidrBlock: "10.45.0.0/16"})
		if err != nil {
			return err
		}
		_, err = logs.LogGroup(app, "flows", logs.LogGroupProps{LogGroupName: "/vpc/" + vpc.VpcId[:8]})
		return err
	}
	code, out := e.run(prog)
	if code != athanor.ExitError || !strings.Contains(out, "flows (AWS::Logs::LogGroup): LogGroupName: holds part of a value known only after apply") {
		t.Fatalf("exit %d\n%s", code, out)
	}
	if m := e.srv.Metrics(); m.TotalCalls != 0 {
		t.Fatalf("calls were made: %v", m.Calls)
	}
}
