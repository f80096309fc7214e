package main

import (
	"fmt"

	"github.com/athanor-iac/athanor"
	"github.com/athanor-iac/athanor/localcc"
)

const (
	flowLogType  = "AWS::EC2::FlowLog"
	logGroupType = "AWS::Logs::LogGroup"
	account      = "123456789012"
	deliveryRole = "arn:aws:iam::" + account + ":role/FlowLogsDeliveryRole"
)

// flowLog is a flow log's properties, sent through the generic call: the
// same request the typed ec2 call sends, without tying the benchmark to the
// typed package's Go types, which are generated and still changing.
type flowLog = map[string]any

func tags(kv ...string) []map[string]any {
	var out []map[string]any
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, map[string]any{"Key": kv[i], "Value": kv[i+1]})
	}
	return out
}

// seedProgram declares the four flow logs of examples/flowlogs (the seed),
// concurrently, with the same properties.
func seedProgram(app *athanor.App) error {
	decls := map[string]flowLog{
		"vpcFlowLog": {"ResourceId": "vpc-12345678", "ResourceType": "VPC", "TrafficType": "ALL", "LogDestinationType": "cloud-watch-logs", "LogGroupName": "vpc-flow-logs",
			"DeliverLogsPermissionArn": deliveryRole, "Tags": tags("Environment", "Production")},
		"advancedFlowLog": {"ResourceId": "vpc-87654321", "ResourceType": "VPC", "TrafficType": "ACCEPT", "LogDestinationType": "s3", "LogDestination": "arn:aws:s3:::advanced-vpc-flow-logs",
			"LogFormat": "${version} ${start} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes}", "MaxAggregationInterval": 60,
			"Tags": tags("Project", "NetworkMonitoring")},
		"interfaceFlowLog": {"ResourceId": "eni-12345678", "ResourceType": "NetworkInterface", "TrafficType": "REJECT", "LogDestinationType": "cloud-watch-logs", "LogGroupName": "interface-flow-logs",
			"DeliverLogsPermissionArn": deliveryRole, "Tags": tags("Type", "Monitoring")},
		"crossAccountFlowLog": {"ResourceId": "vpc-11223344", "ResourceType": "VPC", "TrafficType": "ALL", "LogDestinationType": "s3", "LogDestination": "arn:aws:s3:::cross-account-vpc-flow-logs",
			"Tags": tags("Compliance", "Audit")},
	}
	for id, p := range decls {
		app.Go(func() error {
			_, err := app.Resource(flowLogType, id, p)
			return err
		})
	}
	return nil
}

// Fleet of flow logs: item i watches VPC i/2, ACCEPT traffic for even i and
// REJECT for odd i (two per VPC, EC2's default quota), all to one log group.
func fleetVPC(v int) string       { return fmt.Sprintf("vpc-%08x", 0x20000000+v) }
func fleetLogicalID(i int) string { return fmt.Sprintf("flowlog-%05d", i) }
func fleetTraffic(i int) string {
	if i%2 == 0 {
		return "ACCEPT"
	}
	return "REJECT"
}

// fleetFlowLogID is the Id of seeded flow log i (scenarios d and e).
func fleetFlowLogID(i int) string { return fmt.Sprintf("fl-%017x", 0xbe0c4000000+i) }

func fleetVPCs(n int) []localcc.Fixture {
	var out []localcc.Fixture
	for v := range (n + 1) / 2 {
		out = append(out, localcc.Fixture{Type: "AWS::EC2::VPC", Properties: map[string]any{
			"VpcId":     fleetVPC(v),
			"CidrBlock": fmt.Sprintf("10.%d.%d.0/24", v/256, v%256),
		}})
	}
	return out
}

func fleetProps(i int) flowLog {
	return flowLog{
		"ResourceId":               fleetVPC(i / 2),
		"ResourceType":             "VPC",
		"TrafficType":              fleetTraffic(i),
		"LogDestinationType":       "cloud-watch-logs",
		"LogGroupName":             "bench-flow-logs",
		"DeliverLogsPermissionArn": deliveryRole,
		"Tags":                     tags("bench", "fleet"),
	}
}

// fleetProgram declares n flow logs, all concurrently.
func fleetProgram(n int) func(*athanor.App) error {
	return func(app *athanor.App) error {
		for i := range n {
			app.Go(func() error {
				_, err := app.Resource(flowLogType, fleetLogicalID(i), fleetProps(i))
				return err
			})
		}
		return nil
	}
}

// Log groups for the large no-change rerun: a cheap generic type whose
// identifier is its name.
func groupLogicalID(i int) string { return fmt.Sprintf("lg-%05d", i) }
func groupName(i int) string      { return fmt.Sprintf("bench-log-group-%05d", i) }

// groupsProgram declares n log groups through the generic call,
// concurrently.
func groupsProgram(n int) func(*athanor.App) error {
	return func(app *athanor.App) error {
		for i := range n {
			app.Go(func() error {
				_, err := app.Resource(logGroupType, groupLogicalID(i), map[string]any{
					"LogGroupName":    groupName(i),
					"RetentionInDays": 30,
				})
				return err
			})
		}
		return nil
	}
}
