package orgflow_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/athanor-iac/athanor"
	"github.com/athanor-iac/athanor/aws/ec2"
	"github.com/athanor-iac/athanor/coverage"
	"github.com/athanor-iac/athanor/examples/org-flow-logs/orgflow"
	"github.com/athanor-iac/athanor/localcc"
	"github.com/athanor-iac/athanor/localcc/localcctest"
)

const mgmt = "111111111111"

var regions = []string{"us-east-1", "eu-west-1"}

type env struct {
	t     *testing.T
	srv   *localcc.Server
	state string
	cfg   orgflow.Config
}

// smallOrg is the management account and two members (the first the log
// archive), two regions, three VPCs in each, some already covered by
// others' flow logs.
var smallOrg = localcc.Organization{Accounts: 2, Regions: regions, VPCs: 3, Covered: 0.25}

// newEnv starts an endpoint with the generated organisation org.
func newEnv(t *testing.T, org localcc.Organization) *env {
	t.Helper()
	localcctest.AWSEnv(t)
	t.Setenv("NO_COLOR", "1")
	srv, err := localcc.Start(localcc.Options{Account: mgmt, Org: &org, Seed: 3,
		Latency: map[string]localcc.Range{"*": {Min: 0, Max: 10 * time.Millisecond}}}, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	t.Setenv("AWS_ENDPOINT_URL_STS", srv.URL())
	return &env{t: t, srv: srv, state: t.TempDir(), cfg: orgflow.Config{Regions: org.Regions}}
}

func (e *env) flags(state string) []string {
	return []string{"--endpoint", e.srv.URL(), "--state", state, "--stage", "test"}
}

func (e *env) up(args ...string) string {
	e.t.Helper()
	var out bytes.Buffer
	args = append(append(args, "--yes"), e.flags(e.state)...)
	if code := athanor.Main(context.Background(), orgflow.AppName, args, &out, &out, e.cfg.Program); code != 0 {
		e.t.Fatalf("%v: exit %d\n%s", args, code, out.String())
	}
	return out.String()
}

func (e *env) coverage() coverage.Report {
	e.t.Helper()
	var out, errOut bytes.Buffer
	if code := e.cfg.Coverage(context.Background(), append([]string{"--json"}, e.flags(e.state)...), &out, &errOut); code != 0 {
		e.t.Fatalf("coverage: exit %d\n%s", code, errOut.String())
	}
	var r coverage.Report
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		e.t.Fatalf("coverage JSON: %v\n%s", err, out.String())
	}
	return r
}

func (e *env) creates() int {
	n := 0
	for _, c := range e.srv.EC2Calls() {
		if c.Action == "CreateFlowLogs" {
			n++
		}
	}
	return n
}

// The organisation goes from partial to full coverage in one run, with
// one flow log per uncovered VPC and none for those others cover; a rerun
// changes nothing.
func TestCoverOrganisation(t *testing.T) {
	e := newEnv(t, smallOrg)
	before := e.coverage()
	if before.Total != 18 || before.Covered == 0 || before.Covered == before.Total || len(before.Scopes) != 6 {
		t.Fatalf("before: %d of %d covered in %d scopes; want some, not all, of 18 in 6", before.Covered, before.Total, len(before.Scopes))
	}
	out := e.up()
	if want := before.Total - before.Covered; e.creates() != want {
		t.Fatalf("%d flow logs created, want %d (one per uncovered VPC)\n%s", e.creates(), want, out)
	}
	if !strings.Contains(out, "coverage after: 18 of 18 VPCs (100 %)") {
		t.Fatalf("no full coverage logged:\n%s", out)
	}
	after := e.coverage()
	if after.Covered != 18 {
		t.Fatalf("after: %d of 18 covered", after.Covered)
	}
	for _, s := range after.Scopes {
		for _, fl := range e.srv.ResourcesIn(localcc.Scope{Account: s.Account, Region: s.Region}, "AWS::EC2::FlowLog") {
			if fl.Properties[orgflow.ManagedTag] != nil || fl.Properties["TrafficType"] != "ALL" {
				t.Fatalf("flow log %v", fl.Properties)
			}
		}
	}
	// The organisation was found, so the policy names it, not its accounts.
	if pol := e.bucketPolicy(); !strings.Contains(pol, `"aws:SourceOrgID":"`+e.orgID()+`"`) || strings.Contains(pol, "aws:SourceAccount") {
		t.Fatalf("central bucket policy in the log archive does not admit the organisation %s: %s", e.orgID(), pol)
	}

	var plan bytes.Buffer
	if code := athanor.Main(context.Background(), orgflow.AppName, append([]string{"plan", "--detailed-exitcode"}, e.flags(e.state)...), &plan, &plan, e.cfg.Program); code != 0 {
		t.Fatalf("rerun plan: exit %d\n%s", code, plan.String())
	}
}

// A VPC made after the run gets exactly one flow log on the next; a VPC
// deleted takes its flow log with it, and the next run drops it from the
// state without a failed call.
func TestNewAndDeletedVPC(t *testing.T) {
	e := newEnv(t, smallOrg)
	e.up()
	made := e.creates()

	// Another team makes a VPC in a member account, with its own stage.
	member, teamState := localcc.OrgMember(1), t.TempDir()
	var vpcID string
	team := func(app *athanor.App) error {
		in := app.Scope(athanor.ScopeOptions{Region: "eu-west-1", RoleARN: "arn:aws:iam::" + member + ":role/" + localcc.DefaultOrgRole})
		vpc, err := ec2.VPC(in, "teamVpc", ec2.VPCProps{CidrBlock: "10.200.0.0/16"})
		if err == nil {
			vpcID = vpc.VpcId
		}
		return err
	}
	var out bytes.Buffer
	if code := athanor.Main(context.Background(), "team", append([]string{"--yes"}, e.flags(teamState)...), &out, &out, team); code != 0 {
		t.Fatalf("team: exit %d\n%s", code, out.String())
	}
	e.up()
	if e.creates() != made+1 {
		t.Fatalf("after a new VPC: %d creates, want exactly one more than %d", e.creates(), made)
	}
	sp := localcc.Scope{Account: member, Region: "eu-west-1"}
	if !watched(e.srv.ResourcesIn(sp, "AWS::EC2::FlowLog"), vpcID) {
		t.Fatalf("no flow log on the new VPC %s", vpcID)
	}

	out.Reset()
	if code := athanor.Main(context.Background(), "team", append([]string{"destroy", "--yes"}, e.flags(teamState)...), &out, &out, team); code != 0 {
		t.Fatalf("team destroy: exit %d\n%s", code, out.String())
	}
	if watched(e.srv.ResourcesIn(sp, "AWS::EC2::FlowLog"), vpcID) {
		t.Fatal("the deleted VPC's flow log is still there")
	}
	// The refresh's read finds it gone (its 404 is the answer, not a
	// failure); the apply then drops it from the state with no call.
	log := e.up("--verbose")
	if strings.Contains(log, "api DeleteResource") || strings.Contains(log, " failed") || !strings.Contains(log, "deleted (no longer declared)") && !strings.Contains(log, ": deleted") {
		t.Fatalf("dropping the gone flow log made a delete call or a failure:\n%s", log)
	}
	if e.coverage().Covered != 18 {
		t.Fatal("coverage is no longer full")
	}
	var plan bytes.Buffer
	if code := athanor.Main(context.Background(), orgflow.AppName, append([]string{"plan", "--detailed-exitcode"}, e.flags(e.state)...), &plan, &plan, e.cfg.Program); code != 0 {
		t.Fatalf("the gone flow log is still in the state: exit %d\n%s", code, plan.String())
	}
}

func watched(fls []localcc.Described, vpc string) bool {
	for _, fl := range fls {
		if fl.Properties["ResourceId"] == vpc {
			return true
		}
	}
	return false
}

func mustJSON(t *testing.T, v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// bucketPolicy is the central bucket's policy, as JSON.
func (e *env) bucketPolicy() string {
	e.t.Helper()
	pols := e.srv.ResourcesIn(localcc.Scope{Account: localcc.OrgMember(0), Region: regions[0]}, "AWS::S3::BucketPolicy")
	if len(pols) != 1 {
		e.t.Fatalf("%d bucket policies in the log archive, want 1", len(pols))
	}
	return mustJSON(e.t, pols[0].Properties["PolicyDocument"])
}

// orgID is the generated organisation's ID.
func (e *env) orgID() string {
	orgs := e.srv.ResourcesIn(localcc.Scope{Account: mgmt}, "AWS::Organizations::Organization")
	if len(orgs) != 1 {
		e.t.Fatalf("%d organisations", len(orgs))
	}
	return orgs[0].Properties["Id"].(string)
}
