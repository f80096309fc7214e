package athanor_test

import (
	"strings"
	"testing"

	"github.com/athanor-iac/athanor"
	"github.com/athanor-iac/athanor/aws/ec2"
	"github.com/athanor-iac/athanor/localcc"
)

// Import takes over exactly the resource it names on the first run,
// updating what may be updated; a createOnly difference, or a resource
// another record holds, fails the plan before anything is sent.
func TestImportOption(t *testing.T) {
	e := newEnv(t, localcc.Options{})
	p := seedProps()["vpcFlowLog"]
	id := e.createDirectly("AWS::EC2::FlowLog", p, "")
	retagged := p
	retagged.Tags = []athanor.Tag{{Key: "Environment", Value: "Imported"}}
	imp := map[string][]athanor.ResourceOption{"vpcFlowLog": {athanor.Import(id)}}
	prog := optionProgram(map[string]ec2.FlowLogProps{"vpcFlowLog": retagged}, imp)
	code, out := e.run(prog, "plan")
	if code != 0 || !strings.Contains(out, "~ vpcFlowLog (AWS::EC2::FlowLog) "+id+": import "+id+", update in place") {
		t.Fatalf("plan: exit %d, want the import and the tag update:\n%s", code, out)
	}
	creates := e.srv.Metrics().Calls["CreateResource"]
	if code, out := e.run(prog); code != 0 {
		t.Fatalf("up: exit %d\n%s", code, out)
	}
	if n := e.srv.Metrics().Calls["CreateResource"]; n != creates {
		t.Errorf("%d CreateResource calls, want none: the resource exists", n-creates)
	}
	if got := e.testRecords()["vpcFlowLog"].Identifier; got != id {
		t.Fatalf("vpcFlowLog holds %q, want the imported %s", got, id)
	}
	if tags := canonicalJSON(e.flowLogs()[id]["Tags"]); !strings.Contains(tags, "Imported") {
		t.Errorf("the imported flow log's tags are %s; want the program's", tags)
	}
	if code, out := e.run(prog, "plan"); code != 0 || !strings.Contains(out, "No changes") {
		t.Errorf("plan after the import: exit %d\n%s", code, out)
	}

	// A createOnly difference: refused, naming it.
	other := seedProps()["interfaceFlowLog"]
	id2 := e.createDirectly("AWS::EC2::FlowLog", other, "")
	changed := other
	changed.TrafficType = "ALL"
	before := e.mutationCount()
	both := map[string]ec2.FlowLogProps{"vpcFlowLog": retagged, "interfaceFlowLog": changed}
	imp["interfaceFlowLog"] = []athanor.ResourceOption{athanor.Import(id2)}
	code, out = e.run(optionProgram(both, imp))
	if code != 1 || !strings.Contains(out, `interfaceFlowLog (AWS::EC2::FlowLog): Import("`+id2+`")`) || !strings.Contains(out, `TrafficType is "REJECT" in AWS, "ALL" in the program`) {
		t.Errorf("an import that would replace: exit %d, want the difference named:\n%s", code, out)
	}
	if n := e.mutationCount(); n != before {
		t.Errorf("%d mutations sent, want none", n-before)
	}

	// A resource another record manages is refused.
	imp["interfaceFlowLog"] = []athanor.ResourceOption{athanor.Import(id)}
	code, out = e.run(optionProgram(both, imp), "plan")
	if code != 1 || !strings.Contains(out, "vpcFlowLog") || !strings.Contains(out, "interfaceFlowLog (AWS::EC2::FlowLog)") {
		t.Errorf("importing a resource vpcFlowLog holds: exit %d\n%s", code, out)
	}
}

// Aliases renames a resource's record when its logical ID changes,
// without creating or deleting anything; without the alias the same
// rename is a create and a delete.
func TestAliases(t *testing.T) {
	e := newEnv(t, localcc.Options{})
	vpc := func(id string, opts ...athanor.ResourceOption) func(*athanor.App) error {
		return func(app *athanor.App) error {
			_, err := app.Resource("AWS::EC2::VPC", id, map[string]any{"CidrBlock": "10.1.0.0/16"}, opts...)
			return err
		}
	}
	if code, out := e.run(vpc("network")); code != 0 {
		t.Fatalf("up: exit %d\n%s", code, out)
	}
	id := e.testRecords()["network"].Identifier
	if code, out := e.run(vpc("mainVpc"), "plan"); code != 0 || !strings.Contains(out, "+ mainVpc") || !strings.Contains(out, "- network") {
		t.Fatalf("plan of the rename without an alias: exit %d, want a create and a delete:\n%s", code, out)
	}
	code, out := e.run(vpc("mainVpc", athanor.Aliases("network")), "plan")
	if code != 0 || !strings.Contains(out, "moved: network → mainVpc") || strings.Contains(out, "- network") {
		t.Fatalf("plan with the alias: exit %d, want a move:\n%s", code, out)
	}
	before := e.mutationCount()
	if code, out := e.run(vpc("mainVpc", athanor.Aliases("network"))); code != 0 {
		t.Fatalf("up: exit %d\n%s", code, out)
	}
	if n := e.mutationCount(); n != before {
		t.Errorf("%d mutations sent, want none", n-before)
	}
	recs := e.testRecords()
	if _, ok := recs["network"]; ok || recs["mainVpc"].Identifier != id {
		t.Errorf("records after the rename: %v; want mainVpc holding %s", recs, id)
	}
	if code, out := e.run(vpc("x", athanor.Aliases("mainVpc")), "plan"); code != 0 || !strings.Contains(out, "moved: mainVpc → x") {
		t.Errorf("a second rename: exit %d\n%s", code, out)
	}
	bad := func(app *athanor.App) error {
		_, err := app.Resource("AWS::EC2::Subnet", "sub", map[string]any{"VpcId": id, "CidrBlock": "10.1.1.0/24"}, athanor.Aliases("mainVpc"))
		return err
	}
	if code, out := e.run(bad, "plan"); code != 1 || !strings.Contains(out, `Aliases("mainVpc"): that logical ID holds a AWS::EC2::VPC, not a AWS::EC2::Subnet`) {
		t.Errorf("an alias of another type: exit %d\n%s", code, out)
	}
}

// A plan that reads nothing (--refresh=false) says Import needs AWS, and
// how to plan instead.
func TestImportOptionInPlanWithoutRefresh(t *testing.T) {
	e := newEnv(t, localcc.Options{})
	p := seedProps()["vpcFlowLog"]
	id := e.createDirectly("AWS::EC2::FlowLog", p, "")
	prog := optionProgram(map[string]ec2.FlowLogProps{"vpcFlowLog": p}, map[string][]athanor.ResourceOption{"vpcFlowLog": {athanor.Import(id)}})
	code, out := e.run(prog, "plan", "--refresh=false")
	if code != 1 || !strings.Contains(out, `Import("`+id+`") reads the existing resource, and this plan does not read AWS: plan without --refresh=false`) {
		t.Fatalf("exit %d\n%s", code, out)
	}
	if code, out := e.run(prog, "plan"); code != 0 {
		t.Fatalf("plan as advised: exit %d\n%s", code, out)
	}
}
