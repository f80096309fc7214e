package athanor_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	sdk "github.com/aws/aws-sdk-go-v2/service/cloudcontrol"

	"github.com/athanor-iac/athanor"
	"github.com/athanor-iac/athanor/aws/ec2"
	"github.com/athanor-iac/athanor/localcc"
	"github.com/athanor-iac/athanor/state"
)

// client is a plain SDK client on the endpoint: another tool changing
// things behind the program's back.
func (e *env) client() *sdk.Client {
	e.t.Helper()
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	return sdk.NewFromConfig(cfg, func(o *sdk.Options) { o.BaseEndpoint = aws.String(e.srv.URL()) })
}

func (e *env) createDirectly(typeName string, props any, clientToken string) string {
	e.t.Helper()
	b, _ := json.Marshal(props)
	in := &sdk.CreateResourceInput{TypeName: aws.String(typeName), DesiredState: aws.String(string(b))}
	if clientToken != "" {
		in.ClientToken = aws.String(clientToken)
	}
	out, err := e.client().CreateResource(context.Background(), in)
	if err != nil {
		e.t.Fatal(err)
	}
	for i := 0; i < 200; i++ {
		st, err := e.client().GetResourceRequestStatus(context.Background(), &sdk.GetResourceRequestStatusInput{RequestToken: out.ProgressEvent.RequestToken})
		if err != nil {
			e.t.Fatal(err)
		}
		if s := st.ProgressEvent.OperationStatus; s == "SUCCESS" {
			return aws.ToString(st.ProgressEvent.Identifier)
		} else if s == "FAILED" {
			e.t.Fatalf("direct create failed: %s", aws.ToString(st.ProgressEvent.StatusMessage))
		}
		time.Sleep(10 * time.Millisecond)
	}
	e.t.Fatal("direct create did not finish")
	return ""
}

// network declares a VPC, a subnet in it and a flow log on the subnet,
// wired by passing outputs into props.
func network(app *athanor.App) error {
	vpc, err := app.Resource("AWS::EC2::VPC", "vpc", map[string]any{"CidrBlock": "10.20.0.0/16"})
	if err != nil {
		return err
	}
	subnet, err := app.Resource("AWS::EC2::Subnet", "subnet", map[string]any{"VpcId": vpc.String("VpcId"), "CidrBlock": "10.20.1.0/24"})
	if err != nil {
		return err
	}
	_, err = ec2.FlowLog(app, "subnetFlowLog", ec2.FlowLogProps{
		ResourceId: subnet.String("SubnetId"), ResourceType: "Subnet", TrafficType: "ALL",
		LogDestinationType: "s3", LogDestination: "arn:aws:s3:::advanced-vpc-flow-logs",
		DestinationOptions: &ec2.FlowLogDestinationOptions{FileFormat: "parquet", PerHourPartition: true},
	})
	return err
}

func TestDependenciesPlanApplyDestroy(t *testing.T) {
	e := newEnv(t, localcc.Options{})
	code, out := e.run(network, "plan")
	if code != 0 {
		t.Fatalf("plan: exit %d\n%s", code, out)
	}
	for _, want := range []string{"+ subnet (AWS::EC2::Subnet): create", "VpcId: (known after apply)", "ResourceId: (known after apply)", "Plan: 3 to create"} {
		if !strings.Contains(out, want) {
			t.Errorf("plan lacks %q:\n%s", want, out)
		}
	}
	if code, out = e.run(network); code != 0 {
		t.Fatalf("up: exit %d\n%s", code, out)
	}
	if code, out = e.run(network); code != 0 || !strings.Contains(out, "no changes; 3 resources") {
		t.Fatalf("rerun: exit %d\n%s", code, out)
	}
	store, err := state.Open(context.Background(), e.state, "flowlogs", "test")
	if err != nil {
		t.Fatal(err)
	}
	recs, err := store.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	deps := map[string]string{}
	for _, r := range recs {
		deps[r.LogicalID] = strings.Join(r.DependsOn, ",")
	}
	if deps["subnet"] != "vpc" || deps["subnetFlowLog"] != "subnet" {
		t.Fatalf("recorded dependencies %v", deps)
	}
	// The endpoint refuses to delete a VPC a subnet still uses, so a wrong
	// order fails this.
	if code, out = e.run(network, "destroy"); code != 0 || !strings.Contains(out, "3 deleted") {
		t.Fatalf("destroy: exit %d\n%s", code, out)
	}
	if n := len(e.srv.Resources("AWS::EC2::VPC")); n != 3 {
		t.Fatalf("%d VPCs left, want the 3 fixtures", n)
	}
}

func TestPlanJSONAndDetailedExitCode(t *testing.T) {
	e := newEnv(t, localcc.Options{})
	prog := programOf(map[string]ec2.FlowLogProps{"vpcFlowLog": seedProps()["vpcFlowLog"]}, nil)
	code, out := e.run(prog, "plan", "--json", "--detailed-exitcode")
	if code != 2 {
		t.Fatalf("exit %d, want 2 (changes)\n%s", code, out)
	}
	var plan struct {
		FormatVersion int
		Changes       []struct {
			LogicalID, Type, Action string
		}
		Summary map[string]int
	}
	if err := json.Unmarshal([]byte(out), &plan); err != nil {
		t.Fatalf("plan --json is not JSON: %v\n%s", err, out)
	}
	if plan.FormatVersion != 1 || len(plan.Changes) != 1 || plan.Changes[0].Action != "create" || plan.Summary["create"] != 1 {
		t.Fatalf("plan %+v", plan)
	}
	if code, out = e.run(prog); code != 0 {
		t.Fatalf("up: exit %d\n%s", code, out)
	}
	if code, out = e.run(prog, "plan", "--detailed-exitcode"); code != 0 || !strings.Contains(out, "No changes") {
		t.Fatalf("plan after up: exit %d\n%s", code, out)
	}
}

func TestAlreadyExistsAndAdopt(t *testing.T) {
	e := newEnv(t, localcc.Options{})
	p := seedProps()["vpcFlowLog"]
	existing := e.createDirectly("AWS::EC2::FlowLog", p, "")
	prog := programOf(map[string]ec2.FlowLogProps{"vpcFlowLog": p}, nil)
	code, out := e.run(prog)
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s", code, out)
	}
	// The error names the logical ID, type, operation, error code, message
	// and request token.
	for _, want := range []string{`create AWS::EC2::FlowLog "vpcFlowLog"`, "AlreadyExists", "existing Flow Log", "request token "} {
		if !strings.Contains(out, want) {
			t.Errorf("error lacks %q:\n%s", want, out)
		}
	}
	code, out = e.run(prog, "--adopt")
	if code != 0 || !strings.Contains(out, "took over the existing "+existing) {
		t.Fatalf("--adopt: exit %d\n%s", code, out)
	}
	if live := e.flowLogs(); len(live) != 1 || live[existing] == nil {
		t.Fatalf("after adopt: %v, want only %s", live, existing)
	}
	if code, out = e.run(prog); code != 0 || !strings.Contains(out, "no changes") {
		t.Fatalf("after adopt, rerun: exit %d\n%s", code, out)
	}
}

func TestDeletingWhatIsAlreadyGone(t *testing.T) {
	e := newEnv(t, localcc.Options{})
	got := map[string]*ec2.FlowLogResource{}
	prog := programOf(map[string]ec2.FlowLogProps{"vpcFlowLog": seedProps()["vpcFlowLog"]}, got)
	if code, out := e.run(prog); code != 0 {
		t.Fatalf("exit %d\n%s", code, out)
	}
	if _, err := e.client().DeleteResource(context.Background(), &sdk.DeleteResourceInput{TypeName: aws.String("AWS::EC2::FlowLog"), Identifier: aws.String(got["vpcFlowLog"].Id)}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	if code, out := e.run(prog, "destroy"); code != 0 || !strings.Contains(out, "1 deleted") {
		t.Fatalf("destroy of a flow log deleted outside: exit %d\n%s", code, out)
	}
}

// A run killed after submitting a create leaves the intent and its
// ClientToken in state; the next run finds the request again instead of
// creating a second flow log.
func TestResumesCreateLeftInFlight(t *testing.T) {
	e := newEnv(t, localcc.Options{})
	p := seedProps()["vpcFlowLog"]
	props := map[string]any{}
	b, _ := json.Marshal(p)
	json.Unmarshal(b, &props)
	const token = "6f1c2a3e-0000-4000-8000-000000000001"
	submitted := e.createDirectly("AWS::EC2::FlowLog", props, token)
	store, err := state.Open(context.Background(), e.state, "flowlogs", "test")
	if err != nil {
		t.Fatal(err)
	}
	rec := state.Record{LogicalID: "vpcFlowLog", Type: "AWS::EC2::FlowLog", Pending: &state.Intent{Operation: state.OpCreate, ClientToken: token, Props: props, StartedAt: time.Now()}}
	if err := store.Put(context.Background(), rec); err != nil {
		t.Fatal(err)
	}
	prog := programOf(map[string]ec2.FlowLogProps{"vpcFlowLog": p}, nil)
	// The summary counts the create the run finished.
	if code, out := e.run(prog); code != 0 || !strings.Contains(out, "1 created") {
		t.Fatalf("exit %d\n%s", code, out)
	}
	live := e.flowLogs()
	if len(live) != 1 || live[submitted] == nil {
		t.Fatalf("after resuming: %d flow logs %v, want only %s", len(live), live, submitted)
	}
}

// Functions started with app.Go may wait for each other, and start more,
// beyond --parallelism: only operations are bounded.
func TestGoFunctionsMayWaitForEachOther(t *testing.T) {
	e := newEnv(t, localcc.Options{})
	prog := func(app *athanor.App) error {
		vpcID := make(chan string, 1)
		app.Go(func() error { // waits for the VPC declared by the next one
			id := <-vpcID
			_, err := app.Resource("AWS::EC2::Subnet", "subnet", map[string]any{"VpcId": id, "CidrBlock": "10.40.1.0/24"})
			return err
		})
		app.Go(func() error {
			vpc, err := app.Resource("AWS::EC2::VPC", "vpc", map[string]any{"CidrBlock": "10.40.0.0/16"})
			if err != nil {
				close(vpcID)
				return err
			}
			vpcID <- vpc.String("VpcId")
			return nil
		})
		return nil
	}
	done := make(chan int, 1)
	go func() {
		code, out := e.run(prog, "--parallelism", "1")
		if code != 0 {
			t.Errorf("exit %d\n%s", code, out)
		}
		done <- code
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("deadlock: two functions waiting on each other with --parallelism 1")
	}
}

// Recovering an update left in flight compares with what AWS reports:
// every declared property comes back from the read (a flow log's
// DeliverCrossAccountRole too), so nothing is replaced.
func TestRecoveredUpdateReadsEveryDeclaredProp(t *testing.T) {
	e := newEnv(t, localcc.Options{Fixtures: []localcc.Fixture{centralStreamFixture()}})
	decls := map[string]ec2.FlowLogProps{"crossAccountFirehose": crossAccountFirehoseProps()}
	if code, out := e.run(programOf(decls, nil)); code != 0 {
		t.Fatalf("exit %d\n%s", code, out)
	}
	store, err := state.Open(context.Background(), e.state, "flowlogs", "test")
	if err != nil {
		t.Fatal(err)
	}
	recs, err := store.Load(context.Background())
	if err != nil || len(recs) != 1 {
		t.Fatalf("%v %v", recs, err)
	}
	rec := recs[0]
	rec.Pending = &state.Intent{Operation: state.OpUpdate, Identifier: rec.Identifier, ClientToken: "6f1c2a3e-0000-4000-8000-000000000002", StartedAt: time.Now()}
	if err := store.Put(context.Background(), rec); err != nil {
		t.Fatal(err)
	}
	code, out := e.run(programOf(decls, nil))
	if code != 0 || strings.Contains(out, "replac") || !strings.Contains(out, "no changes") {
		t.Fatalf("after recovering the update: exit %d\n%s", code, out)
	}
}

// Abandoning a run while a replaced resource is being deleted records
// that delete's request token and cancels it; the next run converges.
func TestAbandonedSupersededDeleteIsCancelled(t *testing.T) {
	e := newEnv(t, localcc.Options{Latency: map[string]localcc.Range{"*": {Min: 0, Max: 0}, "AWS::EC2::FlowLog": {Min: 1500 * time.Millisecond, Max: 1500 * time.Millisecond}}})
	p := seedProps()["advancedFlowLog"]
	decls := map[string]ec2.FlowLogProps{"advancedFlowLog": p}
	if code, out := e.run(programOf(decls, nil)); code != 0 {
		t.Fatalf("exit %d\n%s", code, out)
	}
	// MaxAggregationInterval changes the flow log but not its EC2
	// configuration key: the two would collide, so the old one goes first.
	p.MaxAggregationInterval = athanor.Int(600)
	decls["advancedFlowLog"] = p
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for e.srv.Metrics().Calls["DeleteResource"] == 0 {
			time.Sleep(5 * time.Millisecond)
		}
		time.Sleep(100 * time.Millisecond)
		cancel()
	}()
	var out strings.Builder
	code := athanor.Main(ctx, "flowlogs", []string{"--yes", "--endpoint", e.srv.URL(), "--state", e.state, "--stage", "test"}, &out, &out, programOf(decls, nil))
	if code != 1 || !strings.Contains(out.String(), "cancelled 1 request") {
		t.Fatalf("abandoned run: exit %d\n%s", code, out.String())
	}
	if code, out := e.run(programOf(decls, nil)); code != 0 {
		t.Fatalf("rerun: exit %d\n%s", code, out)
	}
	live := e.flowLogs()
	if len(live) != 1 {
		t.Fatalf("%d flow logs after the rerun, want 1", len(live))
	}
	for _, m := range live {
		if fmt.Sprint(m["MaxAggregationInterval"]) != "600" {
			t.Fatalf("the flow log is %v", m)
		}
	}
}

// A value that is one resource's identifier and another's read-only copy
// (a network interface reports its VPC's VpcId) belongs to the first.
func TestDependencyOnTheIdentifiersOwner(t *testing.T) {
	e := newEnv(t, localcc.Options{})
	prog := func(app *athanor.App) error {
		vpc, err := app.Resource("AWS::EC2::VPC", "vpc", map[string]any{"CidrBlock": "10.50.0.0/16"})
		if err != nil {
			return err
		}
		subnet, err := app.Resource("AWS::EC2::Subnet", "subnet", map[string]any{"VpcId": vpc.String("VpcId"), "CidrBlock": "10.50.1.0/24"})
		if err != nil {
			return err
		}
		if _, err := app.Resource("AWS::EC2::NetworkInterface", "eni", map[string]any{"SubnetId": subnet.String("SubnetId")}); err != nil {
			return err
		}
		_, err = app.Resource("AWS::EC2::SecurityGroup", "sg", map[string]any{"GroupDescription": "test", "VpcId": vpc.String("VpcId")})
		return err
	}
	if code, out := e.run(prog); code != 0 {
		t.Fatalf("exit %d\n%s", code, out)
	}
	store, err := state.Open(context.Background(), e.state, "flowlogs", "test")
	if err != nil {
		t.Fatal(err)
	}
	recs, err := store.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if r.LogicalID == "sg" && strings.Join(r.DependsOn, ",") != "vpc" {
			t.Fatalf("the security group depends on %v, want [vpc]", r.DependsOn)
		}
	}
}

// A create whose cancellation came too late still made the resource; the
// next run finds it instead of creating a second one (which EC2 refuses
// for a flow log as a duplicate).
func TestCancelledCreateThatHappenedAnyway(t *testing.T) {
	e := newEnv(t, localcc.Options{LateCancel: true, Latency: map[string]localcc.Range{"*": {Min: time.Second, Max: time.Second}}})
	decls := map[string]ec2.FlowLogProps{"vpcFlowLog": seedProps()["vpcFlowLog"]}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for e.srv.Metrics().Calls["CreateResource"] == 0 {
			time.Sleep(5 * time.Millisecond)
		}
		time.Sleep(100 * time.Millisecond)
		cancel()
	}()
	var out strings.Builder
	code := athanor.Main(ctx, "flowlogs", []string{"--yes", "--endpoint", e.srv.URL(), "--state", e.state, "--stage", "test"}, &out, &out, programOf(decls, nil))
	if code != 1 || !strings.Contains(out.String(), "cancelled 1 request") {
		t.Fatalf("abandoned run: exit %d\n%s", code, out.String())
	}
	if code, out := e.run(programOf(decls, nil)); code != 0 {
		t.Fatalf("rerun: exit %d\n%s", code, out)
	}
	// One CreateFlowLogs in all: the cancelled request's, which the rerun
	// found and adopted.
	creates := 0
	for _, c := range e.srv.EC2Calls() {
		if c.Action == "CreateFlowLogs" {
			creates++
		}
	}
	if n := len(e.flowLogs()); n != 1 || creates != 1 {
		t.Fatalf("%d flow logs and %d CreateFlowLogs after the rerun, want 1 and 1", n, creates)
	}
	if code, out := e.run(programOf(decls, nil)); code != 0 || !strings.Contains(out, "no changes") {
		t.Fatalf("third run: exit %d\n%s", code, out)
	}
}

// --verbose prints every API call with its request token and duration;
// --quiet prints only the summary.
func TestVerboseAndQuiet(t *testing.T) {
	e := newEnv(t, localcc.Options{})
	prog := programOf(map[string]ec2.FlowLogProps{"vpcFlowLog": seedProps()["vpcFlowLog"]}, nil)
	code, out := e.run(prog, "--verbose")
	if code != 0 || !strings.Contains(out, "api CreateResource AWS::EC2::FlowLog request ") || !strings.Contains(out, "api GetResourceRequestStatus") {
		t.Fatalf("--verbose: exit %d\n%s", code, out)
	}
	code, out = e.run(prog, "--quiet", "destroy")
	if code != 0 || strings.Count(strings.TrimSpace(out), "\n") != 0 || !strings.Contains(out, "1 deleted") {
		t.Fatalf("--quiet: exit %d\n%s", code, out)
	}
}
