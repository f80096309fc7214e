package athanor_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/athanor-iac/athanor"
	"github.com/athanor-iac/athanor/aws/ec2"
	"github.com/athanor-iac/athanor/aws/s3"
	"github.com/athanor-iac/athanor/localcc"
)

// The organisation of the scope tests: the run's own account A, and
// accounts B and C whose Deploy roles trust A; regions us-east-1 (the
// run's) and eu-west-1.
const (
	orgA = "111111111111"
	orgB = "222222222222"
	orgC = "333333333333"
)

var orgRegions = []string{"us-east-1", "eu-west-1"}

func orgEnv(t *testing.T, throttle map[localcc.Scope]localcc.Throttle) *env {
	t.Helper()
	return orgEnvWith(t, throttle)
}

// orgEnvWith is orgEnv with more fixtures.
func orgEnvWith(t *testing.T, throttle map[localcc.Scope]localcc.Throttle, more ...localcc.Fixture) *env {
	t.Helper()
	trust := map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{"Effect": "Allow", "Principal": map[string]any{"AWS": orgA}, "Action": "sts:AssumeRole"}}}
	var fx []localcc.Fixture
	for _, acct := range []string{orgB, orgC} {
		fx = append(fx, localcc.Fixture{Type: "AWS::IAM::Role", Account: acct, Properties: map[string]any{"RoleName": "Deploy", "AssumeRolePolicyDocument": trust}})
	}
	fx = append(fx, localcc.Fixture{Type: "AWS::EC2::VPC", Account: orgB, Region: "eu-west-1", Properties: map[string]any{"VpcId": "vpc-0b0b0b0b", "CidrBlock": "10.9.0.0/16"}})
	fx = append(fx, more...)
	return newEnv(t, localcc.Options{Account: orgA, Regions: orgRegions, Fixtures: fx, ScopeThrottle: throttle})
}

// orgScopes is every (account, region) of the organisation as the program
// reaches it: the run's own account without a role, the others through
// their Deploy roles.
func orgScopes(app *athanor.App) map[string]athanor.Declarer {
	out := map[string]athanor.Declarer{}
	for _, acct := range []string{orgA, orgB, orgC} {
		for _, region := range orgRegions {
			o := athanor.ScopeOptions{Region: region}
			if acct != orgA {
				o.RoleARN = "arn:aws:iam::" + acct + ":role/Deploy"
			}
			out[acct+"/"+region] = app.Scope(o)
		}
	}
	out[orgA+"/us-east-1"] = app // the run's own, as the App itself
	return out
}

// orgProgram declares a central bucket in A and, in every one of the six
// scopes, a VPC and a flow log delivering to that bucket.
func orgProgram(app *athanor.App) error {
	bucket, err := s3.Bucket(app, "central", s3.BucketProps{BucketName: "central-flow-logs"})
	if err != nil {
		return err
	}
	for key, in := range orgScopes(app) {
		name := strings.NewReplacer("/", "-").Replace(key)
		app.Go(func() error {
			vpc, err := ec2.VPC(in, "vpc-"+name, ec2.VPCProps{CidrBlock: "10.0.0.0/16"})
			if err != nil {
				return err
			}
			_, err = ec2.FlowLog(in, "flowLog-"+name, ec2.FlowLogProps{ResourceId: vpc.VpcId, ResourceType: "VPC", TrafficType: "ALL",
				LogDestinationType: "s3", LogDestination: bucket.Arn})
			return err
		})
	}
	return nil
}

func hasID(ds []localcc.Described, id string) bool {
	for _, d := range ds {
		if d.Identifier == id {
			return true
		}
	}
	return false
}

func (e *env) inScope(acct, region, typeName string) []localcc.Described {
	return e.srv.ResourcesIn(localcc.Scope{Account: acct, Region: region}, typeName)
}

// One program declares in three accounts and two regions and refers
// across them; a rerun changes nothing; destroy empties every scope,
// deleting the central bucket after the flow logs that deliver to it.
func TestScopesAcrossAccountsAndRegions(t *testing.T) {
	e := orgEnv(t, nil)
	code, out := e.run(orgProgram, "plan")
	if code != 0 || !strings.Contains(out, "Plan: 13 to create") || !strings.Contains(out, "+ flowLog-222222222222-eu-west-1 (AWS::EC2::FlowLog) in 222222222222/eu-west-1: create") {
		t.Fatalf("plan: exit %d\n%s", code, out)
	}
	if code, out = e.run(orgProgram); code != 0 {
		t.Fatalf("up: exit %d\n%s", code, out)
	}
	vpcOf := map[string]string{} // scope → the program's VPC there
	for _, acct := range []string{orgA, orgB, orgC} {
		for _, region := range orgRegions {
			fls := e.inScope(acct, region, "AWS::EC2::FlowLog")
			if len(fls) != 1 || fls[0].Properties["LogDestination"] != "arn:aws:s3:::central-flow-logs" {
				t.Fatalf("%s/%s: flow logs %v, want one to the central bucket\n%s", acct, region, fls, out)
			}
			vpc, _ := fls[0].Properties["ResourceId"].(string)
			if !hasID(e.inScope(acct, region, "AWS::EC2::VPC"), vpc) {
				t.Fatalf("%s/%s: the flow log watches %s, which is not a VPC of its scope", acct, region, vpc)
			}
			vpcOf[acct+"/"+region] = vpc
		}
	}
	if !hasID(e.inScope(orgA, "us-east-1", "AWS::S3::Bucket"), "central-flow-logs") {
		t.Fatal("no central bucket in the run's own account and region")
	}
	if code, out = e.run(orgProgram, "plan", "--detailed-exitcode"); code != 0 || !strings.Contains(out, "No changes") {
		t.Fatalf("rerun: exit %d\n%s", code, out)
	}
	code, out = e.run(orgProgram, "destroy")
	if code != 0 {
		t.Fatalf("destroy: exit %d\n%s", code, out)
	}
	for _, acct := range []string{orgA, orgB, orgC} {
		for _, region := range orgRegions {
			if got := e.inScope(acct, region, "AWS::EC2::FlowLog"); len(got) != 0 {
				t.Fatalf("%s/%s still has flow logs %v after destroy", acct, region, got)
			}
			if vpc := vpcOf[acct+"/"+region]; hasID(e.inScope(acct, region, "AWS::EC2::VPC"), vpc) {
				t.Fatalf("%s/%s still has %s after destroy", acct, region, vpc)
			}
		}
	}
	if hasID(e.inScope(orgA, "us-east-1", "AWS::S3::Bucket"), "central-flow-logs") {
		t.Fatal("the central bucket is still there after destroy")
	}
	bucketAt := strings.Index(out, "central (AWS::S3::Bucket) deleting")
	if bucketAt < 0 || strings.LastIndex(out, ") deleted fl-") > bucketAt {
		t.Fatalf("the bucket was not deleted after every flow log delivering to it:\n%s", out)
	}
}

// Moving a declaration to another scope replaces the resource: made in
// the new scope, deleted from the old.
func TestScopeMoveIsReplacement(t *testing.T) {
	e := orgEnv(t, nil)
	prog := func(region string) func(*athanor.App) error {
		return func(app *athanor.App) error {
			_, err := app.Scope(athanor.ScopeOptions{Region: region, RoleARN: "arn:aws:iam::" + orgB + ":role/Deploy"}).
				Resource("AWS::Logs::LogGroup", "logs", map[string]any{"LogGroupName": "moving"})
			return err
		}
	}
	if code, out := e.run(prog("us-east-1")); code != 0 {
		t.Fatalf("exit %d\n%s", code, out)
	}
	code, out := e.run(prog("eu-west-1"), "plan")
	if code != 0 || !strings.Contains(out, "replace (moves from "+orgB+"/us-east-1 to "+orgB+"/eu-west-1)") {
		t.Fatalf("plan: exit %d\n%s", code, out)
	}
	if code, out := e.run(prog("eu-west-1")); code != 0 {
		t.Fatalf("exit %d\n%s", code, out)
	}
	if n, m := len(e.inScope(orgB, "us-east-1", "AWS::Logs::LogGroup")), len(e.inScope(orgB, "eu-west-1", "AWS::Logs::LogGroup")); n != 0 || m != 1 {
		t.Fatalf("after the move: %d log groups in us-east-1, %d in eu-west-1", n, m)
	}
}

// A role that cannot be assumed and a region the endpoint does not serve
// stop the plan naming the scope, before anything is sent in any scope.
func TestScopeProblemsStopThePlan(t *testing.T) {
	e := orgEnv(t, nil)
	prog := func(app *athanor.App) error {
		_, err := app.Resource("AWS::Logs::LogGroup", "home", map[string]any{"LogGroupName": "home"})
		if err != nil {
			return err
		}
		for _, o := range []athanor.ScopeOptions{{RoleARN: "arn:aws:iam::444444444444:role/Deploy"}, {Region: "ap-south-9"}} {
			// The errors are dropped: the plan stops anyway.
			app.Scope(o).Resource("AWS::Logs::LogGroup", "lg-"+o.Region, map[string]any{"LogGroupName": "x"})
		}
		return nil
	}
	code, out := e.run(prog)
	if code != 1 {
		t.Fatalf("exit %d\n%s", code, out)
	}
	for _, want := range []string{
		"scope (role arn:aws:iam::444444444444:role/Deploy): assume role arn:aws:iam::444444444444:role/Deploy",
		"AccessDenied",
		"scope (region ap-south-9):",
		"nothing was changed",
	} {
		if !strings.Contains(out, want) {
			t.Fatalf("output lacks %q:\n%s", want, out)
		}
	}
	if got := e.inScope(orgA, "us-east-1", "AWS::Logs::LogGroup"); len(got) != 2 { // the seed's two
		t.Fatalf("log groups after a refused plan: %v", got)
	}
}

// Each account and region has its own rate limit: a throttled scope does
// not slow the others, which see no throttling at all.
func TestThrottledScopeDoesNotDelayOthers(t *testing.T) {
	hot := localcc.Scope{Account: orgC, Region: "eu-west-1"}
	e := orgEnv(t, map[localcc.Scope]localcc.Throttle{hot: {RPS: 2, Burst: 1}})
	if code, out := e.run(orgProgram); code != 0 {
		t.Fatalf("exit %d\n%s", code, out)
	}
	m := e.srv.Metrics()
	if m.Scopes[hot.String()].Throttled == 0 {
		t.Fatalf("the throttled scope saw no throttling: %+v", m.Scopes[hot.String()])
	}
	for _, acct := range []string{orgA, orgB, orgC} {
		for _, region := range orgRegions {
			key := fmt.Sprintf("%s/%s", acct, region)
			if key == hot.String() {
				continue
			}
			if sm := m.Scopes[key]; sm.Throttled != 0 || sm.Calls["CreateResource"] == 0 {
				t.Fatalf("%s: %+v", key, sm)
			}
		}
	}
}

// Lookups through a scope read that account and region only, and the
// plan says where.
func TestScopeLookups(t *testing.T) {
	e := orgEnv(t, nil)
	var ids []string
	code, out := e.run(func(app *athanor.App) error {
		in := app.Scope(athanor.ScopeOptions{Region: "eu-west-1", RoleARN: "arn:aws:iam::" + orgB + ":role/Deploy"})
		vpcs, err := ec2.ListVPCs(in)
		if err != nil {
			return err
		}
		for _, v := range vpcs {
			ids = append(ids, v.VpcId)
		}
		_, err = ec2.GetVPC(in, "vpc-0b0b0b0b")
		return err
	}, "plan")
	if code != 0 || len(ids) != 1 || ids[0] != "vpc-0b0b0b0b" || !strings.Contains(out, "<= AWS::EC2::VPC in 222222222222/eu-west-1: read, 1 found") ||
		!strings.Contains(out, "<= AWS::EC2::VPC vpc-0b0b0b0b in 222222222222/eu-west-1: read") {
		t.Fatalf("exit %d, VPCs %v\n%s", code, ids, out)
	}
	code, out = e.run(func(app *athanor.App) error {
		_, err := ec2.GetVPC(app, "vpc-0b0b0b0b") // B's VPC, from A
		return err
	}, "plan")
	if code != 1 || !strings.Contains(out, `read AWS::EC2::VPC "vpc-0b0b0b0b": it does not exist`) {
		t.Fatalf("B's VPC read from A: exit %d\n%s", code, out)
	}
}

// A plan that reads nothing from AWS (--refresh=false) cannot resolve a
// scope: it says so and names the fix, rather than failing inside the
// program.
func TestScopeInAPlanThatReadsNothing(t *testing.T) {
	e := orgEnv(t, nil)
	prog := func(app *athanor.App) error {
		_, err := app.Scope(athanor.ScopeOptions{Region: "eu-west-1"}).Resource("AWS::Logs::LogGroup", "lg", map[string]any{"LogGroupName": "x"})
		return err
	}
	code, out := e.run(prog, "plan", "--refresh=false")
	if code != 1 || !strings.Contains(out, "scope (region eu-west-1): reaching other accounts and regions needs AWS, and this plan reads nothing (--refresh=false); plan without --refresh=false") ||
		strings.Contains(out, "panicked") {
		t.Fatalf("exit %d\n%s", code, out)
	}
}

// One name in every account and region is one resource in each: the
// check that two declarations would be one AWS resource compares their
// scopes, and still refuses two of one name in one scope.
func TestScopeSameNameInEveryScope(t *testing.T) {
	e := orgEnv(t, nil)
	prog := func(twice bool) func(*athanor.App) error {
		return func(app *athanor.App) error {
			for key, in := range orgScopes(app) {
				if _, err := in.Resource("AWS::Logs::LogGroup", "lg-"+strings.ReplaceAll(key, "/", "-"), map[string]any{"LogGroupName": "/org/flow-logs"}); err != nil {
					return err
				}
			}
			if twice {
				_, err := app.Resource("AWS::Logs::LogGroup", "again", map[string]any{"LogGroupName": "/org/flow-logs"})
				return err
			}
			return nil
		}
	}
	if code, out := e.run(prog(false)); code != 0 {
		t.Fatalf("up: exit %d\n%s", code, out)
	}
	for _, acct := range []string{orgA, orgB, orgC} {
		for _, region := range orgRegions {
			if !hasID(e.inScope(acct, region, "AWS::Logs::LogGroup"), "/org/flow-logs") {
				t.Fatalf("%s/%s has no /org/flow-logs", acct, region)
			}
		}
	}
	code, out := e.run(prog(true), "plan")
	if code != 1 || !strings.Contains(out, `again (AWS::Logs::LogGroup): same LogGroupName as "lg-`+orgA+`-us-east-1"`) {
		t.Fatalf("two of one name in the run's own account and region: exit %d\n%s", code, out)
	}
}
