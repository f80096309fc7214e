package athanor_test

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/athanor-iac/athanor"
	"github.com/athanor-iac/athanor/aws/ec2"
	"github.com/athanor-iac/athanor/localcc"
)

var update = flag.Bool("update", false, "rewrite golden files")

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run %s -update to create it)", err, t.Name())
	}
	if string(want) != got {
		t.Errorf("%s differs from the golden file (go test -run %s -update rewrites it):\n--- got\n%s\n--- want\n%s", path, t.Name(), got, want)
	}
}

// The plan shows each action with its reason and property diffs, values
// known only after apply, and a summary; --json gives the same plan for
// machines.
func TestPlanGolden(t *testing.T) {
	e := newEnv(t, localcc.Options{Seed: 7})
	base := seedProps()
	sequential := func(decls []string, props map[string]ec2.FlowLogProps, extra func(*athanor.App) error) func(*athanor.App) error {
		return func(app *athanor.App) error {
			for _, id := range decls {
				if _, err := ec2.FlowLog(app, id, props[id]); err != nil {
					return err
				}
			}
			if extra != nil {
				return extra(app)
			}
			return nil
		}
	}
	first := []string{"advancedFlowLog", "crossAccountFlowLog", "interfaceFlowLog", "vpcFlowLog"}
	if code, out := e.run(sequential(first, base, nil)); code != 0 {
		t.Fatalf("exit %d\n%s", code, out)
	}

	next := seedProps()
	p := next["vpcFlowLog"] // tags change: update in place
	p.Tags = []athanor.Tag{{Key: "Environment", Value: "Staging"}, {Key: "Owner", Value: "net"}}
	next["vpcFlowLog"] = p
	p = next["advancedFlowLog"] // TrafficType changes: replacement
	p.TrafficType = "ALL"
	next["advancedFlowLog"] = p
	// interfaceFlowLog is no longer declared: delete.
	withNetwork := func(app *athanor.App) error {
		vpc, err := app.Resource("AWS::EC2::VPC", "vpc", map[string]any{"CidrBlock": "10.30.0.0/16"})
		if err != nil {
			return err
		}
		_, err = ec2.FlowLog(app, "newVpcFlowLog", ec2.FlowLogProps{ResourceId: vpc.String("VpcId"), ResourceType: "VPC", TrafficType: "REJECT",
			LogDestinationType: "s3", LogDestination: "arn:aws:s3:::advanced-vpc-flow-logs/new/"})
		return err
	}
	prog := sequential([]string{"advancedFlowLog", "crossAccountFlowLog", "vpcFlowLog"}, next, withNetwork)

	code, out := e.run(prog, "plan")
	if code != 0 {
		t.Fatalf("plan: exit %d\n%s", code, out)
	}
	golden(t, "plan.golden", redactIDs(e, out))
	code, out = e.run(prog, "plan", "--json")
	if code != 0 {
		t.Fatalf("plan --json: exit %d\n%s", code, out)
	}
	golden(t, "plan.json.golden", redactIDs(e, out))
}

// redactIDs replaces the flow log IDs, which the endpoint draws at random,
// by their logical names, and the state folder and endpoint URL, which
// differ from run to run, by placeholders, so the golden files stay stable.
func redactIDs(e *env, s string) string {
	s = strings.ReplaceAll(s, e.state, "<state>")
	s = strings.ReplaceAll(s, e.srv.URL(), "<endpoint>")
	for _, r := range e.srv.Resources("AWS::EC2::FlowLog") {
		s = strings.ReplaceAll(s, r.Identifier, "fl-<"+r.Properties["ResourceId"].(string)+">")
	}
	return s
}
