package athanor_test

import (
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/athanor-iac/athanor"
	"github.com/athanor-iac/athanor/aws/apigatewayv2"
	"github.com/athanor-iac/athanor/aws/ec2"
	"github.com/athanor-iac/athanor/localcc"
)

// flowLogPerVPC is the organisation use case in one account: a flow log for
// every VPC the program finds, none of which it manages.
func flowLogPerVPC(app *athanor.App) error {
	vpcs, err := ec2.ListVPCs(app)
	if err != nil {
		return err
	}
	prod, err := ec2.GetVPC(app, "vpc-12345678")
	if err != nil {
		return err
	}
	if prod.CidrBlock != "10.0.0.0/16" || prod.Resource.Identifier != "vpc-12345678" || prod.Resource.LogicalID != "" {
		return errors.New("GetVPC did not return the VPC's typed properties")
	}
	for _, v := range vpcs {
		_, err := ec2.FlowLog(app, "flowLog-"+v.VpcId, ec2.FlowLogProps{ResourceId: v.VpcId, ResourceType: "VPC", TrafficType: "REJECT",
			LogDestinationType: "s3", LogDestination: "arn:aws:s3:::advanced-vpc-flow-logs"})
		if err != nil {
			return err
		}
	}
	return nil
}

// Lookups read at plan time, show in the plan, feed declarations, are read
// once per run, and a rerun changes nothing.
func TestLookupsFeedDeclarations(t *testing.T) {
	e := newEnv(t, localcc.Options{ListPageSize: 2}) // the seed's three VPCs take two pages
	code, out := e.run(flowLogPerVPC, "plan")
	if code != 0 {
		t.Fatalf("plan: exit %d\n%s", code, out)
	}
	for _, want := range []string{"<= AWS::EC2::VPC: read, 3 found", "<= AWS::EC2::VPC vpc-12345678: read", "+ flowLog-vpc-11223344", "Plan: 3 to create"} {
		if !strings.Contains(out, want) {
			t.Fatalf("plan lacks %q:\n%s", want, out)
		}
	}
	if n := len(e.flowLogs()); n != 0 {
		t.Fatalf("plan created %d flow logs", n)
	}
	e.srv.ResetMetrics()
	if code, out := e.run(flowLogPerVPC); code != 0 {
		t.Fatalf("up: exit %d\n%s", code, out)
	}
	if n := len(e.flowLogs()); n != 3 {
		t.Fatalf("%d flow logs, want one per VPC", n)
	}
	// The apply pass reuses the plan pass's reads: two list pages and one
	// GetResource of the VPC (creates take their model from the request's
	// last event).
	m := e.srv.Metrics()
	if m.Calls["ListResources"] != 2 {
		t.Fatalf("%d ListResources calls in one run, want 2 (one listing of two pages)", m.Calls["ListResources"])
	}
	if m.Calls["GetResource"] != 1 {
		t.Fatalf("%d GetResource calls, want the one lookup", m.Calls["GetResource"])
	}
	code, out = e.run(flowLogPerVPC, "plan", "--detailed-exitcode")
	if code != 0 || !strings.Contains(out, "No changes") {
		t.Fatalf("rerun: exit %d\n%s", code, out)
	}
}

// The plan JSON lists the reads.
func TestLookupsInPlanJSON(t *testing.T) {
	e := newEnv(t, localcc.Options{})
	code, out := e.run(func(app *athanor.App) error {
		_, err := app.List("AWS::EC2::VPC", map[string]any{"CidrBlock": "10.1.0.0/16"})
		return err
	}, "plan", "--json")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, out)
	}
	var doc struct {
		Reads []struct {
			Type   string
			Filter map[string]any
			Found  int
		}
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if len(doc.Reads) != 1 || doc.Reads[0].Type != "AWS::EC2::VPC" || doc.Reads[0].Found != 1 || doc.Reads[0].Filter["CidrBlock"] != "10.1.0.0/16" {
		t.Fatalf("reads %+v", doc.Reads)
	}
}

// A lookup of something missing stops the plan naming it, even when the
// program drops the error, and nothing is created.
func TestLookupMissingStopsThePlan(t *testing.T) {
	e := newEnv(t, localcc.Options{})
	var got error
	var mu sync.Mutex
	prog := func(app *athanor.App) error {
		_, err := ec2.GetVPC(app, "vpc-0000dead")
		mu.Lock()
		got = err
		mu.Unlock()
		_, err = ec2.FlowLog(app, "fl", ec2.FlowLogProps{ResourceId: "vpc-12345678", ResourceType: "VPC", TrafficType: "ALL",
			LogDestinationType: "s3", LogDestination: "arn:aws:s3:::advanced-vpc-flow-logs"})
		return err // the lookup's error is dropped
	}
	code, out := e.run(prog)
	if code != 1 || !strings.Contains(out, `read AWS::EC2::VPC "vpc-0000dead": it does not exist`) || !strings.Contains(out, "nothing was changed") {
		t.Fatalf("exit %d\n%s", code, out)
	}
	var le *athanor.LookupError
	if !errors.As(got, &le) || !le.NotFound || le.Identifier != "vpc-0000dead" {
		t.Fatalf("the program got %v", got)
	}
	if n := len(e.flowLogs()); n != 0 {
		t.Fatalf("%d flow logs created after a failed lookup", n)
	}
}

// A plan that reads nothing (--refresh=false) says a lookup needs AWS,
// and how to plan instead.
func TestLookupInPlanWithoutRefresh(t *testing.T) {
	e := newEnv(t, localcc.Options{})
	prog := func(app *athanor.App) error {
		_, err := ec2.GetVPC(app, "vpc-12345678")
		return err
	}
	code, out := e.run(prog, "plan", "--refresh=false")
	if code != 1 || !strings.Contains(out, "look up AWS::EC2::VPC: reading what the program does not manage needs AWS, and this plan reads nothing (--refresh=false); plan without --refresh=false") {
		t.Fatalf("exit %d\n%s", code, out)
	}
	if code, out := e.run(prog, "plan"); code != 0 {
		t.Fatalf("plan as advised: exit %d\n%s", code, out)
	}
}

// Types whose list handler lists within a parent take it as a parameter,
// which goes to Cloud Control as the ResourceModel; the generic List says
// what is missing, and refuses types that cannot be listed.
func TestLookupListHandlerRequirements(t *testing.T) {
	e := newEnv(t, localcc.Options{})
	code, out := e.run(func(app *athanor.App) error {
		for i, api := range []string{"api1", "api1", "api2"} {
			_, err := apigatewayv2.Integration(app, "int"+string(rune('a'+i)), apigatewayv2.IntegrationProps{ApiId: api, IntegrationType: "MOCK"})
			if err != nil {
				return err
			}
		}
		return nil
	})
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, out)
	}
	var found int
	code, out = e.run(func(app *athanor.App) error {
		ints, err := apigatewayv2.ListIntegrations(app, "api1")
		found = len(ints)
		return err
	}, "plan")
	if code != 0 || found != 2 {
		t.Fatalf("ListIntegrations(api1): %d found, exit %d\n%s", found, code, out)
	}
	code, out = e.run(func(app *athanor.App) error {
		_, err := app.List("AWS::ApiGatewayV2::Integration", nil)
		return err
	}, "plan")
	if code != 1 || !strings.Contains(out, "list AWS::ApiGatewayV2::Integration: its list handler lists within ApiId: put ApiId in the filter") {
		t.Fatalf("exit %d\n%s", code, out)
	}
}
