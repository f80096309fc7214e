package athanor_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/athanor-iac/athanor"
	"github.com/athanor-iac/athanor/aws/ec2"
	"github.com/athanor-iac/athanor/localcc"
)

func seedProps() map[string]ec2.FlowLogProps {
	role := "arn:aws:iam::123456789012:role/FlowLogsDeliveryRole"
	return map[string]ec2.FlowLogProps{
		"vpcFlowLog": {ResourceId: "vpc-12345678", ResourceType: "VPC", TrafficType: "ALL", LogDestinationType: "cloud-watch-logs", LogGroupName: "vpc-flow-logs",
			DeliverLogsPermissionArn: role, Tags: []athanor.Tag{{Key: "Environment", Value: "Production"}}},
		"advancedFlowLog": {ResourceId: "vpc-87654321", ResourceType: "VPC", TrafficType: "ACCEPT", LogDestinationType: "s3", LogDestination: "arn:aws:s3:::advanced-vpc-flow-logs",
			LogFormat: "${version} ${start} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes}", MaxAggregationInterval: athanor.Int(60),
			Tags: []athanor.Tag{{Key: "Project", Value: "NetworkMonitoring"}}},
		"interfaceFlowLog": {ResourceId: "eni-12345678", ResourceType: "NetworkInterface", TrafficType: "REJECT", LogDestinationType: "cloud-watch-logs", LogGroupName: "interface-flow-logs",
			DeliverLogsPermissionArn: role, Tags: []athanor.Tag{{Key: "Type", Value: "Monitoring"}}},
		"crossAccountFlowLog": {ResourceId: "vpc-11223344", ResourceType: "VPC", TrafficType: "ALL", LogDestinationType: "s3", LogDestination: "arn:aws:s3:::cross-account-vpc-flow-logs",
			Tags: []athanor.Tag{{Key: "Compliance", Value: "Audit"}}},
	}
}

// programOf declares the given flow logs concurrently and records what each
// call returned.
func programOf(decls map[string]ec2.FlowLogProps, got map[string]*ec2.FlowLogResource) func(*athanor.App) error {
	var mu sync.Mutex
	return func(app *athanor.App) error {
		for id, p := range decls {
			app.Go(func() error {
				fl, err := ec2.FlowLog(app, id, p)
				if err != nil {
					return err
				}
				if got != nil && !app.Planning() {
					mu.Lock()
					got[id] = fl
					mu.Unlock()
				}
				return nil
			})
		}
		return nil
	}
}

func TestSeedLifecycle(t *testing.T) {
	e := newEnv(t, localcc.Options{})
	decls := seedProps()

	// The quick start creates the four flow logs and returns them as AWS
	// reports them.
	got := map[string]*ec2.FlowLogResource{}
	code, out := e.run(programOf(decls, got))
	if code != 0 {
		t.Fatalf("first run: exit %d\n%s", code, out)
	}
	live := e.flowLogs()
	if len(live) != 4 || len(got) != 4 {
		t.Fatalf("%d flow logs on the endpoint, %d returned, want 4\n%s", len(live), len(got), out)
	}
	vpc := got["vpcFlowLog"]
	if !strings.HasPrefix(vpc.Id, "fl-") || vpc.MaxAggregationInterval == nil || *vpc.MaxAggregationInterval != 600 || !strings.HasPrefix(vpc.LogFormat, "${version} ${account-id}") ||
		vpc.LogDestination != "arn:aws:logs:us-east-1:123456789012:log-group:vpc-flow-logs" {
		t.Fatalf("vpcFlowLog not returned as AWS reports it: %+v", vpc)
	}
	if !strings.Contains(out, "4 created") {
		t.Fatalf("summary missing:\n%s", out)
	}

	// A second run sends nothing that changes anything, and says so: it
	// reads each resource once (the refresh), and with --refresh=false it
	// makes no call at all.
	e.srv.ResetMetrics()
	code, out = e.run(programOf(decls, nil))
	if code != 0 || !strings.Contains(out, "no changes; 4 resources up to date") {
		t.Fatalf("second run: exit %d\n%s", code, out)
	}
	if m := e.srv.Metrics(); m.TotalCalls != 4 || m.Calls["GetResource"] != 4 {
		t.Fatalf("a run with no changes made %d API calls, want 4 reads: %v", m.TotalCalls, m.Calls)
	}
	e.srv.ResetMetrics()
	code, out = e.run(programOf(decls, nil), "--refresh=false")
	if code != 0 || !strings.Contains(out, "no changes; 4 resources up to date") {
		t.Fatalf("second run with --refresh=false: exit %d\n%s", code, out)
	}
	if m := e.srv.Metrics(); m.TotalCalls != 0 {
		t.Fatalf("a run with no changes and --refresh=false made %d API calls: %v", m.TotalCalls, m.Calls)
	}

	// Reordering tags is no change.
	p := decls["vpcFlowLog"]
	p.Tags = []athanor.Tag{{Key: "Environment", Value: "Production"}, {Key: "Team", Value: "net"}}
	decls["vpcFlowLog"] = p
	code, out = e.run(programOf(decls, nil))
	if code != 0 || !strings.Contains(out, "1 updated") {
		t.Fatalf("tag add: exit %d\n%s", code, out)
	}
	p.Tags = []athanor.Tag{{Key: "Team", Value: "net"}, {Key: "Environment", Value: "Production"}}
	decls["vpcFlowLog"] = p
	if code, out = e.run(programOf(decls, nil)); code != 0 || !strings.Contains(out, "no changes") {
		t.Fatalf("reordered tags: exit %d\n%s", code, out)
	}

	// Changing a tag updates in place: same Id, new tags, one UpdateResource.
	p.Tags = []athanor.Tag{{Key: "Environment", Value: "Staging"}}
	decls["vpcFlowLog"] = p
	e.srv.ResetMetrics()
	code, out = e.run(programOf(decls, nil))
	if code != 0 || !strings.Contains(out, "1 updated") {
		t.Fatalf("tag change: exit %d\n%s", code, out)
	}
	after := e.flowLogs()
	if _, ok := after[vpc.Id]; !ok || fmt.Sprint(after[vpc.Id]["Tags"]) != "[map[Key:Environment Value:Staging]]" {
		t.Fatalf("after tag change: %v", after[vpc.Id])
	}
	if m := e.srv.Metrics(); m.Calls["UpdateResource"] != 1 || m.Calls["CreateResource"] != 0 || m.Calls["DeleteResource"] != 0 {
		t.Fatalf("tag change calls: %v", m.Calls)
	}

	// Changing TrafficType replaces: a new Id, the old one gone, never two.
	p.TrafficType = "REJECT"
	decls["vpcFlowLog"] = p
	code, out = e.run(programOf(decls, nil))
	if code != 0 || !strings.Contains(out, "1 replaced") || !strings.Contains(out, "TrafficType forces replacement") {
		t.Fatalf("replace: exit %d\n%s", code, out)
	}
	after = e.flowLogs()
	if len(after) != 4 {
		t.Fatalf("%d flow logs after replace, want 4", len(after))
	}
	if _, ok := after[vpc.Id]; ok {
		t.Fatal("the replaced flow log still exists")
	}

	// Removing one from the program deletes it.
	delete(decls, "interfaceFlowLog")
	code, out = e.run(programOf(decls, nil))
	if code != 0 || !strings.Contains(out, "1 deleted") {
		t.Fatalf("orphan: exit %d\n%s", code, out)
	}
	if n := len(e.flowLogs()); n != 3 {
		t.Fatalf("%d flow logs after removing one, want 3", n)
	}

	// destroy leaves nothing behind, in AWS or in state.
	code, out = e.run(programOf(decls, nil), "destroy")
	if code != 0 || !strings.Contains(out, "3 deleted") {
		t.Fatalf("destroy: exit %d\n%s", code, out)
	}
	if n := len(e.flowLogs()); n != 0 {
		t.Fatalf("%d flow logs after destroy", n)
	}
	left, _ := filepath.Glob(filepath.Join(e.state, "flowlogs", "test", "resources", "*"))
	if len(left) != 0 {
		t.Fatalf("state records left after destroy: %v", left)
	}
}

// The seed's values as written are refused before any API call, every
// mistake at once, each with what to change.
func TestSeedValuesAsWrittenAreRefused(t *testing.T) {
	e := newEnv(t, localcc.Options{})
	asWritten := map[string]ec2.FlowLogProps{
		"vpcFlowLog": {ResourceId: "vpc-12345678", ResourceType: "VPC", TrafficType: "ALL", LogDestination: "cloud-watch-logs", LogGroupName: "vpc-flow-logs",
			Tags: []athanor.Tag{{Key: "Environment", Value: "Production"}}},
		"advancedFlowLog": {ResourceId: "vpc-87654321", ResourceType: "VPC", TrafficType: "ACCEPT", LogDestination: "s3", LogDestinationType: "S3", LogGroupName: "advanced-vpc-flow-logs",
			LogFormat: "${version} ${timestamp} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes}", MaxAggregationInterval: athanor.Int(60),
			DeliverCrossAccountRole: "arn:aws:iam::123456789012:role/FlowLogsRole", Tags: []athanor.Tag{{Key: "Project", Value: "NetworkMonitoring"}}},
		"interfaceFlowLog": {ResourceId: "eni-12345678", ResourceType: "NetworkInterface", TrafficType: "REJECT", LogDestination: "cloud-watch-logs", LogGroupName: "interface-flow-logs",
			Tags: []athanor.Tag{{Key: "Type", Value: "Monitoring"}}},
		"crossAccountFlowLog": {ResourceId: "vpc-11223344", ResourceType: "VPC", TrafficType: "ALL", LogDestination: "s3", LogDestinationType: "S3", LogGroupName: "cross-account-vpc-flow-logs",
			DeliverCrossAccountRole: "arn:aws:iam::123456789012:role/CrossAccountFlowLogsRole", Tags: []athanor.Tag{{Key: "Compliance", Value: "Audit"}}},
	}
	code, out := e.run(programOf(asWritten, nil))
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s", code, out)
	}
	for _, want := range []string{
		`advancedFlowLog (AWS::EC2::FlowLog): LogDestinationType "S3" is not one of cloud-watch-logs, s3, kinesis-data-firehose; did you mean "s3"?`,
		`crossAccountFlowLog (AWS::EC2::FlowLog): LogDestinationType "S3"`,
		"vpcFlowLog (AWS::EC2::FlowLog): DeliverLogsPermissionArn",
		"interfaceFlowLog (AWS::EC2::FlowLog): DeliverLogsPermissionArn",
		"advancedFlowLog (AWS::EC2::FlowLog): DeliverCrossAccountRole is not applicable for s3 delivery",
		"crossAccountFlowLog (AWS::EC2::FlowLog): DeliverCrossAccountRole is not applicable for s3 delivery; remove DeliverCrossAccountRole: cross-account delivery to S3 uses no role",
		"principal delivery.logs.amazonaws.com",
		"${timestamp}",
		"nothing was changed",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if m := e.srv.Metrics(); m.TotalCalls != 0 {
		t.Fatalf("%d API calls were made for an invalid program: %v", m.TotalCalls, m.Calls)
	}
	if left, _ := filepath.Glob(filepath.Join(e.state, "flowlogs", "test", "resources", "*")); len(left) != 0 {
		t.Fatalf("state written for an invalid program: %v", left)
	}
}
