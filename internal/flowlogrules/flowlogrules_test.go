package flowlogrules

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

const (
	role      = "arn:aws:iam::123456789012:role/FlowLogsDeliveryRole"
	bucketARN = "arn:aws:s3:::my-flow-logs"
	streamARN = "arn:aws:firehose:us-east-1:123456789012:deliverystream/flow-logs"
	groupARN  = "arn:aws:logs:us-east-1:123456789012:log-group:vpc-flow-logs"
)

// props builds a flow log model from alternating key, value pairs; a nil
// value deletes the key, so cases can start from a base and change it.
func props(base map[string]any, kv ...any) map[string]any {
	m := map[string]any{}
	for k, v := range base {
		m[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		k := kv[i].(string)
		if kv[i+1] == nil {
			delete(m, k)
		} else {
			m[k] = kv[i+1]
		}
	}
	return m
}

var (
	cwl = map[string]any{
		"ResourceId": "vpc-1", "ResourceType": "VPC", "TrafficType": "ALL",
		"LogGroupName": "vpc-flow-logs", "DeliverLogsPermissionArn": role,
	}
	s3 = map[string]any{
		"ResourceId": "subnet-1", "ResourceType": "Subnet", "TrafficType": "REJECT",
		"LogDestinationType": "s3", "LogDestination": bucketARN,
	}
	firehose = map[string]any{
		"ResourceId": "eni-1", "ResourceType": "NetworkInterface", "TrafficType": "ACCEPT",
		"LogDestinationType": "kinesis-data-firehose", "LogDestination": streamARN,
	}
	tgw = map[string]any{
		"ResourceId": "tgw-1", "ResourceType": "TransitGateway",
		"LogDestinationType": "s3", "LogDestination": bucketARN, "MaxAggregationInterval": 60,
	}
)

// p is a problem as a test expects it: Code and Property always, Message
// when non-empty (exact match), Fix when non-empty (substring match).
type p struct{ Code, Property, Message, Fix string }

func checkProblems(t *testing.T, got []Problem, want []p) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d problems, want %d:\n%s", len(got), len(want), dump(got))
	}
	for i, w := range want {
		g := got[i]
		if g.Code != w.Code || g.Property != w.Property {
			t.Errorf("problem %d = %s %s, want %s %s\n%s", i, g.Code, g.Property, w.Code, w.Property, dump(got))
		}
		if w.Message != "" && g.Message != w.Message {
			t.Errorf("problem %d message = %q, want %q", i, g.Message, w.Message)
		}
		if w.Fix != "" && !strings.Contains(g.Fix, w.Fix) {
			t.Errorf("problem %d fix = %q, want it to contain %q", i, g.Fix, w.Fix)
		}
		if g.Message == "" || g.Fix == "" {
			t.Errorf("problem %d has an empty message or fix: %+v", i, g)
		}
	}
}

func dump(ps []Problem) string {
	var b strings.Builder
	for _, x := range ps {
		b.WriteString("  " + x.String() + "\n")
	}
	return b.String()
}

func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		name  string
		props map[string]any
		want  []p
	}{
		// Valid models.
		{"cwl by name", cwl, nil},
		{"cwl by ARN", props(cwl, "LogGroupName", nil, "LogDestination", groupARN), nil},
		{"cwl by name and matching ARN", props(cwl, "LogDestination", groupARN), nil},
		{"cwl explicit type", props(cwl, "LogDestinationType", "cloud-watch-logs"), nil},
		{"cwl role with path, cn partition", props(cwl, "DeliverLogsPermissionArn", "arn:aws-cn:iam::123456789012:role/service/flow"), nil},
		{"cwl gov role", props(cwl, "DeliverLogsPermissionArn", "arn:aws-us-gov:iam::123456789012:role/r"), nil},
		{"s3", s3, nil},
		{"s3 with prefix", props(s3, "LogDestination", "arn:aws:s3:::my-flow-logs/vpc/prod/"), nil},
		{"s3 with options", props(s3, "DestinationOptions", map[string]any{"FileFormat": "parquet", "HiveCompatiblePartitions": true, "PerHourPartition": true}), nil},
		{"firehose", firehose, nil},
		{"firehose cross-account", props(firehose, "DeliverLogsPermissionArn", role, "DeliverCrossAccountRole", "arn:aws:iam::210987654321:role/x"), nil},
		{"tgw", tgw, nil},
		{"tgw attachment", props(tgw, "ResourceId", "tgw-attach-1", "ResourceType", "TransitGatewayAttachment"), nil},
		{"interval 600", props(cwl, "MaxAggregationInterval", 600), nil},
		{"interval float64", props(cwl, "MaxAggregationInterval", float64(60)), nil},
		{"interval json.Number", props(cwl, "MaxAggregationInterval", json.Number("60")), nil},
		{"interval int64", props(cwl, "MaxAggregationInterval", int64(600)), nil},
		{"default log format", props(cwl, "LogFormat", DefaultLogFormat), nil},
		{"v7 log format", props(cwl, "LogFormat", "${ecs-task-id} ${reject-reason} ${resource-id} ${encryption-status} ${traffic-path}"), nil},
		{"unknown resource id prefix", props(cwl, "ResourceId", "i-123"), nil},
		{"empty string is absent", props(cwl, "LogDestination", ""), nil},

		// Resource rules.
		{"missing ResourceType", props(cwl, "ResourceType", nil), []p{
			{"MissingParameter", "ResourceType", "The request must contain the parameter ResourceType", "set ResourceType to VPC"}}},
		{"missing ResourceId", props(cwl, "ResourceId", nil), []p{
			{"MissingParameter", "ResourceId", "The request must contain the parameter ResourceIds", ""}}},
		{"ResourceType case", props(cwl, "ResourceType", "vpc"), []p{
			{"InvalidParameterValue", "ResourceType", "", `"VPC"`}}},
		{"ResourceType typo", props(cwl, "ResourceType", "Subnett"), []p{
			{"InvalidParameterValue", "ResourceType", "", `"Subnet"`}}},
		{"ResourceId not a NetworkInterface", props(cwl, "ResourceType", "NetworkInterface"), []p{
			{"InvalidParameter", "ResourceId", "ResourceId vpc-1 is not a NetworkInterface", "set ResourceType to VPC"}}},
		{"ResourceId not a TransitGateway", props(tgw, "ResourceId", "tgw-attach-9"), []p{
			{"InvalidParameter", "ResourceId", "ResourceId tgw-attach-9 is not a TransitGateway", "TransitGatewayAttachment"}}},

		// TrafficType.
		{"TrafficType missing for VPC", props(cwl, "TrafficType", nil), []p{
			{"MissingParameter", "TrafficType", "The request must contain the parameter TrafficType", "ALL"}}},
		{"TrafficType missing inferred from prefix", props(cwl, "TrafficType", nil, "ResourceType", nil), []p{
			{"MissingParameter", "ResourceType", "", ""}, {"MissingParameter", "TrafficType", "", ""}}},
		{"TrafficType for tgw", props(tgw, "TrafficType", "ALL"), []p{
			{"InvalidParameter", "TrafficType", "TrafficType is not supported when the resource-type is TransitGateway", "remove TrafficType"}}},
		{"TrafficType case", props(cwl, "TrafficType", "all"), []p{
			{"InvalidParameterValue", "TrafficType", "Value (all) for parameter TrafficType is invalid.", `"ALL"`}}},

		// LogDestinationType.
		{"type S3", props(s3, "LogDestinationType", "S3"), []p{
			{"InvalidParameterValue", "LogDestinationType", "Value (S3) for parameter LogDestinationType is invalid.", `set LogDestinationType to "s3"`}}},
		{"type firehose typo", props(firehose, "LogDestinationType", "kinesis-data-firehos"), []p{
			{"InvalidParameterValue", "LogDestinationType", "", `"kinesis-data-firehose"`}}},
		{"type unknown skips destination rules", props(s3, "LogDestinationType", "ftp", "LogGroupName", "g"), []p{
			{"InvalidParameterValue", "LogDestinationType", "", "cloud-watch-logs, s3, kinesis-data-firehose"}}},

		// cloud-watch-logs.
		{"cwl no group", props(cwl, "LogGroupName", nil), []p{
			{"InvalidParameter", "LogGroupName", "LogDestination can't be empty if LogGroupName is not provided.", "set LogGroupName"}}},
		{"cwl no role", props(cwl, "DeliverLogsPermissionArn", nil), []p{
			{"InvalidParameter", "DeliverLogsPermissionArn", "DeliverLogsPermissionArn can't be empty if LogDestinationType is cloud-watch-logs.", "vpc-flow-logs.amazonaws.com"}}},
		{"cwl destination wildcard", props(cwl, "LogGroupName", nil, "LogDestination", groupARN+":*"), []p{
			{"InvalidParameterValue", "LogDestination", "", "set LogDestination to " + groupARN}}},
		{"cwl destination not ARN", props(cwl, "LogDestination", "vpc-flow-logs"), []p{
			{"InvalidParameterValue", "LogDestination", "Value (vpc-flow-logs) for parameter LogDestination is invalid.", "arn:aws:logs:REGION:ACCOUNT:log-group:NAME"}}},
		{"cwl destination is s3 ARN", props(cwl, "LogDestination", bucketARN), []p{
			{"InvalidParameterValue", "LogDestination", "", "log-group"}}},
		{"cwl name and ARN disagree", props(cwl, "LogDestination", "arn:aws:logs:us-east-1:123456789012:log-group:other"), []p{
			{"InvalidParameterCombination", "LogDestination", "", "ARN of log group vpc-flow-logs"}}},
		{"cwl bad role", props(cwl, "DeliverLogsPermissionArn", "FlowLogsRole"), []p{
			{"InvalidParameterValue", "DeliverLogsPermissionArn", "", "arn:aws:iam::123456789012:role/NAME"}}},
		{"cwl user not role", props(cwl, "DeliverLogsPermissionArn", "arn:aws:iam::123456789012:user/bob"), []p{
			{"InvalidParameterValue", "DeliverLogsPermissionArn", "", "names an IAM user"}}},
		{"cwl role short account", props(cwl, "DeliverLogsPermissionArn", "arn:aws:iam::1234:role/r"), []p{
			{"InvalidParameterValue", "DeliverLogsPermissionArn", "", ""}}},

		// LogGroupName only for cloud-watch-logs.
		{"s3 with group", props(s3, "LogGroupName", "g"), []p{
			{"InvalidParameter", "LogGroupName", "LogDestination type must be cloud-watch-logs if LogGroupName is provided.", "remove LogGroupName"}}},
		{"firehose with group", props(firehose, "LogGroupName", "g"), []p{
			{"InvalidParameter", "LogGroupName", "LogDestination type must be cloud-watch-logs if LogGroupName is provided.", ""}}},

		// s3.
		{"s3 no destination", props(s3, "LogDestination", nil), []p{
			{"MissingParameter", "LogDestination", "The request must contain the parameter LogDestination", "arn:aws:s3:::"}}},
		{"s3 destination not ARN", props(s3, "LogDestination", "my-flow-logs"), []p{
			{"InvalidParameterValue", "LogDestination", "", "arn:aws:s3:::BUCKET"}}},
		{"s3 destination uppercase bucket", props(s3, "LogDestination", "arn:aws:s3:::My-Bucket"), []p{
			{"InvalidParameterValue", "LogDestination", "", ""}}},
		{"s3 AWSLogs prefix", props(s3, "LogDestination", "arn:aws:s3:::my-flow-logs/AWSLogs/"), []p{
			{"InvalidParameterValue", "LogDestination", "", "drop the AWSLogs subfolder"}}},
		{"s3 with role", props(s3, "DeliverLogsPermissionArn", role), []p{
			{"InvalidParameter", "DeliverLogsPermissionArn", "DeliverLogsPermissionArn is not applicable for s3 delivery", "remove DeliverLogsPermissionArn"}}},

		// kinesis-data-firehose.
		{"firehose no destination", props(firehose, "LogDestination", nil), []p{
			{"MissingParameter", "LogDestination", "", "deliverystream"}}},
		{"firehose destination is bucket", props(firehose, "LogDestination", bucketARN), []p{
			{"InvalidParameterValue", "LogDestination", "", "arn:aws:firehose:REGION:ACCOUNT:deliverystream/NAME"}}},
		{"firehose bad role", props(firehose, "DeliverLogsPermissionArn", "role", "DeliverCrossAccountRole", role), []p{
			{"InvalidParameterValue", "DeliverLogsPermissionArn", "", ""}}},

		// DeliverCrossAccountRole: Firehose only, and only with
		// DeliverLogsPermissionArn.
		{"firehose source role alone", props(firehose, "DeliverLogsPermissionArn", role), []p{
			{"InvalidParameter", "DeliverCrossAccountRole", "When providing a role for cross-account delivery, both the DeliverLogsPermissionArn and DeliverCrossAccountRole fields must be set.", "remove DeliverLogsPermissionArn"}}},
		{"firehose cross-account role alone", props(firehose, "DeliverCrossAccountRole", role), []p{
			{"InvalidParameter", "DeliverLogsPermissionArn", "When providing a role for cross-account delivery, both the DeliverLogsPermissionArn and DeliverCrossAccountRole fields must be set.", "source) account"}}},
		{"cross-account role with s3", props(s3, "DeliverCrossAccountRole", role), []p{
			{"InvalidParameter", "DeliverCrossAccountRole", "DeliverCrossAccountRole is not applicable for s3 delivery", "bucket's policy allow the principal delivery.logs.amazonaws.com"}}},
		{"both roles with s3", props(s3, "DeliverCrossAccountRole", role, "DeliverLogsPermissionArn", role), []p{
			{"InvalidParameter", "DeliverLogsPermissionArn", "DeliverLogsPermissionArn is not applicable for s3 delivery", ""},
			{"InvalidParameter", "DeliverCrossAccountRole", "DeliverCrossAccountRole is not applicable for s3 delivery", "aws:SourceAccount"}}},
		{"cross-account role with cwl", props(cwl, "DeliverCrossAccountRole", role), []p{
			{"InvalidParameter", "DeliverCrossAccountRole", "DeliverCrossAccountRole is not applicable for cloud-watch-logs delivery", "Amazon Data Firehose"}}},
		{"cross-account role malformed", props(firehose, "DeliverLogsPermissionArn", role, "DeliverCrossAccountRole", "arn:aws:iam::123456789012:policy/p"), []p{
			{"InvalidParameterValue", "DeliverCrossAccountRole", "", "arn:aws:iam::123456789012:role/NAME"}}},

		// MaxAggregationInterval.
		{"interval 300", props(cwl, "MaxAggregationInterval", 300), []p{
			{"InvalidParameter", "MaxAggregationInterval", "Invalid Flow Log Max Aggregation Interval", "set MaxAggregationInterval to 60"}}},
		{"interval 900", props(cwl, "MaxAggregationInterval", float64(900)), []p{
			{"InvalidParameter", "MaxAggregationInterval", "", "set MaxAggregationInterval to 600"}}},
		{"interval fraction", props(cwl, "MaxAggregationInterval", 60.5), []p{
			{"InvalidParameterValue", "MaxAggregationInterval", "", "whole number"}}},
		{"interval string", props(cwl, "MaxAggregationInterval", "60"), []p{
			{"InvalidParameterValue", "MaxAggregationInterval", "", ""}}},
		{"tgw interval 600", props(tgw, "MaxAggregationInterval", 600), []p{
			{"InvalidParameter", "MaxAggregationInterval", "max-aggregation-interval other than 60 sec / 1 min is not supported when the resource-type is TransitGateway or TransitGatewayAttachment", "set MaxAggregationInterval to 60"}}},
		{"tgw attachment interval 600", props(tgw, "ResourceId", "tgw-attach-1", "ResourceType", "TransitGatewayAttachment", "MaxAggregationInterval", json.Number("600")), []p{
			{"InvalidParameter", "MaxAggregationInterval", "max-aggregation-interval other than 60 sec / 1 min is not supported when the resource-type is TransitGateway or TransitGatewayAttachment", ""}}},

		// LogFormat.
		{"log format trailing space", props(cwl, "LogFormat", DefaultLogFormat+" "), []p{
			{"InvalidParameterValue", "LogFormat", "1 validation error detected: Value '" + DefaultLogFormat + " ' at 'logFormat' has an invalid format", "remove the leading or trailing spaces"}}},
		{"log format double space", props(cwl, "LogFormat", "${srcaddr}  ${dstaddr}"), []p{
			{"InvalidParameterValue", "LogFormat", "1 validation error detected: Value '${srcaddr}  ${dstaddr}' at 'logFormat' has an invalid format", "two spaces"}}},
		{"log format bare word", props(cwl, "LogFormat", "srcaddr ${dstaddr}"), []p{
			{"InvalidParameterValue", "LogFormat", "", `"srcaddr"`}}},
		{"log format unknown field", props(cwl, "LogFormat", "${srcaddr} ${src-port}"), []p{
			{"InvalidParameter", "LogFormat", "Unknown fields provided in LogFormat: ${src-port}", "${srcport}"}}},
		{"log format two unknown fields", props(cwl, "LogFormat", "${timestamp} ${account_id} ${timestamp} ${zzzzzzzz}"), []p{
			{"InvalidParameter", "LogFormat", "Unknown fields provided in LogFormat: ${timestamp}", "${start}"},
			{"InvalidParameter", "LogFormat", "Unknown fields provided in LogFormat: ${account_id}", "${account-id}"},
			{"InvalidParameter", "LogFormat", "Unknown fields provided in LogFormat: ${zzzzzzzz}", "remove ${zzzzzzzz}"}}},

		// DestinationOptions.
		{"options with cwl", props(cwl, "DestinationOptions", map[string]any{"FileFormat": "parquet"}), []p{
			{"InvalidParameter", "DestinationOptions", "DestinationOptions is not applicable for cloud-watch-logs delivery", "remove DestinationOptions"}}},
		{"options with firehose", props(firehose, "DestinationOptions", map[string]any{}), []p{
			{"InvalidParameter", "DestinationOptions", "DestinationOptions is not applicable for kinesis-data-firehose delivery", ""}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkProblems(t, Check(tc.props), tc.want)
		})
	}
}

// TestCheckOrder pins the order of problems for a model that breaks many
// rules at once: the first is the one the emulator fails the create with.
func TestCheckOrder(t *testing.T) {
	m := map[string]any{
		"LogFormat":                "${srcaddr} ",
		"ResourceType":             "NetworkInterface",
		"ResourceId":               "vpc-1",
		"LogDestinationType":       "S3",
		"LogGroupName":             "g",
		"LogDestination":           "bucket",
		"DeliverLogsPermissionArn": role,
		"DeliverCrossAccountRole":  role,
		"MaxAggregationInterval":   120,
		"DestinationOptions":       map[string]any{},
	}
	checkProblems(t, Check(m), []p{
		{"InvalidParameterValue", "LogFormat", "", ""},
		{"InvalidParameter", "ResourceId", "", ""},
		{"MissingParameter", "TrafficType", "", ""},
		{"InvalidParameterValue", "LogDestinationType", "", ""},
		{"InvalidParameter", "LogGroupName", "", ""},
		{"InvalidParameterValue", "LogDestination", "", ""},
		{"InvalidParameter", "DeliverLogsPermissionArn", "", ""},
		{"InvalidParameter", "DeliverCrossAccountRole", "", ""},
		{"InvalidParameter", "MaxAggregationInterval", "", ""},
	})

	// Stable: the same input gives the same list every time.
	first := Check(m)
	for range 20 {
		if got := Check(m); !reflect.DeepEqual(got, first) {
			t.Fatalf("Check is not stable:\n%s\nvs\n%s", dump(got), dump(first))
		}
	}

	// Within cloud-watch-logs: destination before role, as moto checks.
	cw := map[string]any{"ResourceType": "VPC", "ResourceId": "vpc-1", "TrafficType": "ALL"}
	checkProblems(t, Check(cw), []p{
		{"InvalidParameter", "LogGroupName", "", ""},
		{"InvalidParameter", "DeliverLogsPermissionArn", "", ""},
	})
}

// TestCrossAccountRoleDecision pins the documented decision so that
// changing crossAccountRoleDestinations is a conscious act.
func TestCrossAccountRoleDecision(t *testing.T) {
	want := map[string]bool{"kinesis-data-firehose": true}
	if !reflect.DeepEqual(crossAccountRoleDestinations, want) {
		t.Fatalf("crossAccountRoleDestinations = %v, want %v", crossAccountRoleDestinations, want)
	}
	if !reflect.DeepEqual(destinationOptionsDestinations, map[string]bool{"s3": true}) {
		t.Fatalf("destinationOptionsDestinations = %v", destinationOptionsDestinations)
	}
}

// Seed examples from /work/shared/seed/000_0e51f441e8c995b8.txt, as written.
var (
	seedVPC = map[string]any{
		"ResourceId": "vpc-12345678", "ResourceType": "VPC", "TrafficType": "ALL",
		"LogDestination": "cloud-watch-logs", "LogGroupName": "vpc-flow-logs",
		"Tags": []any{map[string]any{"Key": "Environment", "Value": "Production"}},
	}
	seedAdvanced = map[string]any{
		"ResourceId": "vpc-87654321", "ResourceType": "VPC", "TrafficType": "ACCEPT",
		"LogDestination": "s3", "LogDestinationType": "S3", "LogGroupName": "advanced-vpc-flow-logs",
		"LogFormat":               "${version} ${timestamp} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes}",
		"MaxAggregationInterval":  float64(60),
		"DeliverCrossAccountRole": "arn:aws:iam::123456789012:role/FlowLogsRole",
		"Tags":                    []any{map[string]any{"Key": "Project", "Value": "NetworkMonitoring"}},
	}
	seedInterface = map[string]any{
		"ResourceId": "eni-12345678", "ResourceType": "NetworkInterface", "TrafficType": "REJECT",
		"LogDestination": "cloud-watch-logs", "LogGroupName": "interface-flow-logs",
		"Tags": []any{map[string]any{"Key": "Type", "Value": "Monitoring"}},
	}
	seedCrossAccount = map[string]any{
		"ResourceId": "vpc-11223344", "ResourceType": "VPC", "TrafficType": "ALL",
		"LogDestination": "s3", "LogDestinationType": "S3", "LogGroupName": "cross-account-vpc-flow-logs",
		"DeliverCrossAccountRole": "arn:aws:iam::123456789012:role/CrossAccountFlowLogsRole",
		"Tags":                    []any{map[string]any{"Key": "Compliance", "Value": "Audit"}},
	}
)

func TestSeedAsWritten(t *testing.T) {
	for _, tc := range []struct {
		name  string
		props map[string]any
		want  []p
	}{
		{"vpcFlowLog", seedVPC, []p{
			{"InvalidParameterValue", "LogDestination", "Value (cloud-watch-logs) for parameter LogDestination is invalid.", "remove LogDestination (LogGroupName is enough)"},
			{"InvalidParameter", "DeliverLogsPermissionArn", "DeliverLogsPermissionArn can't be empty if LogDestinationType is cloud-watch-logs.", "vpc-flow-logs.amazonaws.com"},
		}},
		{"advancedFlowLog", seedAdvanced, []p{
			{"InvalidParameterValue", "LogDestinationType", "Value (S3) for parameter LogDestinationType is invalid.", `set LogDestinationType to "s3"`},
			{"InvalidParameter", "LogGroupName", "LogDestination type must be cloud-watch-logs if LogGroupName is provided.", "remove LogGroupName"},
			{"InvalidParameterValue", "LogDestination", "Value (s3) for parameter LogDestination is invalid.", "arn:aws:s3:::BUCKET"},
			{"InvalidParameter", "DeliverCrossAccountRole", "DeliverCrossAccountRole is not applicable for s3 delivery", "delivery.logs.amazonaws.com"},
			{"InvalidParameter", "LogFormat", "Unknown fields provided in LogFormat: ${timestamp}", "${start}"},
		}},
		{"interfaceFlowLog", seedInterface, []p{
			{"InvalidParameterValue", "LogDestination", "", "remove LogDestination"},
			{"InvalidParameter", "DeliverLogsPermissionArn", "", ""},
		}},
		{"crossAccountFlowLog", seedCrossAccount, []p{
			{"InvalidParameterValue", "LogDestinationType", "", `"s3"`},
			{"InvalidParameter", "LogGroupName", "", ""},
			{"InvalidParameterValue", "LogDestination", "", ""},
			{"InvalidParameter", "DeliverCrossAccountRole", "", "cross-account delivery to S3 uses no role"},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) { checkProblems(t, Check(tc.props), tc.want) })
	}
}

func TestSeedCorrected(t *testing.T) {
	// The corrections as the brief states them.
	vpc := map[string]any{
		"ResourceId": "vpc-12345678", "ResourceType": "VPC", "TrafficType": "ALL",
		"LogDestinationType": "cloud-watch-logs", "LogGroupName": "vpc-flow-logs",
		"DeliverLogsPermissionArn": "arn:aws:iam::123456789012:role/FlowLogsDeliveryRole",
		"Tags":                     seedVPC["Tags"],
	}
	advanced := map[string]any{
		"ResourceId": "vpc-87654321", "ResourceType": "VPC", "TrafficType": "ACCEPT",
		"LogDestinationType": "s3", "LogDestination": "arn:aws:s3:::advanced-vpc-flow-logs",
		"LogFormat":               seedAdvanced["LogFormat"],
		"MaxAggregationInterval":  float64(60),
		"DeliverCrossAccountRole": "arn:aws:iam::123456789012:role/FlowLogsRole",
		"Tags":                    seedAdvanced["Tags"],
	}
	iface := map[string]any{
		"ResourceId": "eni-12345678", "ResourceType": "NetworkInterface", "TrafficType": "REJECT",
		"LogDestinationType": "cloud-watch-logs", "LogGroupName": "interface-flow-logs",
		"DeliverLogsPermissionArn": "arn:aws:iam::123456789012:role/FlowLogsDeliveryRole",
		"Tags":                     seedInterface["Tags"],
	}
	cross := map[string]any{
		"ResourceId": "vpc-11223344", "ResourceType": "VPC", "TrafficType": "ALL",
		"LogDestinationType": "s3", "LogDestination": "arn:aws:s3:::cross-account-vpc-flow-logs",
		"DeliverCrossAccountRole": "arn:aws:iam::123456789012:role/CrossAccountFlowLogsRole",
		"Tags":                    seedCrossAccount["Tags"],
	}

	t.Run("vpcFlowLog", func(t *testing.T) { checkProblems(t, Check(vpc), nil) })
	t.Run("interfaceFlowLog", func(t *testing.T) { checkProblems(t, Check(iface), nil) })

	// advancedFlowLog as corrected in the brief still breaks two rules: the
	// seed's LogFormat names ${timestamp}, which is no flow log field, and
	// DeliverCrossAccountRole is for Firehose, not s3.
	t.Run("advancedFlowLog as briefed", func(t *testing.T) {
		checkProblems(t, Check(advanced), []p{
			{"InvalidParameter", "DeliverCrossAccountRole", "DeliverCrossAccountRole is not applicable for s3 delivery", "delivery.logs.amazonaws.com"},
			{"InvalidParameter", "LogFormat", "Unknown fields provided in LogFormat: ${timestamp}", "${start}"},
		})
	})
	t.Run("advancedFlowLog fully corrected", func(t *testing.T) {
		fixed := props(advanced, "LogFormat", strings.Replace(advanced["LogFormat"].(string), "${timestamp}", "${start}", 1), "DeliverCrossAccountRole", nil)
		checkProblems(t, Check(fixed), nil)
	})
	t.Run("crossAccountFlowLog as briefed", func(t *testing.T) {
		checkProblems(t, Check(cross), []p{
			{"InvalidParameter", "DeliverCrossAccountRole", "DeliverCrossAccountRole is not applicable for s3 delivery", "bucket's policy"},
		})
	})
	t.Run("crossAccountFlowLog fully corrected", func(t *testing.T) {
		checkProblems(t, Check(props(cross, "DeliverCrossAccountRole", nil)), nil)
	})
}

func TestEcho(t *testing.T) {
	tags := []any{map[string]any{"Key": "k", "Value": "v"}}
	tagFields := []any{map[string]any{"ResourceType": "vpc", "TagKeys": []any{"team"}}}
	const crossRole = "arn:aws:iam::210987654321:role/FlowLogsCrossAccount"
	for _, tc := range []struct {
		name   string
		props  map[string]any
		region string
		want   map[string]any
	}{
		{"cloud-watch-logs by name", props(cwl, "Tags", tags), "us-east-1", map[string]any{
			"Id": "fl-1", "ResourceId": "vpc-1", "ResourceType": "VPC", "TrafficType": "ALL",
			"LogDestinationType": "cloud-watch-logs", "LogGroupName": "vpc-flow-logs",
			"LogDestination":           "arn:aws:logs:us-east-1:123456789012:log-group:vpc-flow-logs",
			"DeliverLogsPermissionArn": role, "LogFormat": DefaultLogFormat, "MaxAggregationInterval": 600,
			"Tags": tags,
		}},
		{"cloud-watch-logs by ARN, china", props(cwl, "LogGroupName", nil, "LogDestination", "arn:aws-cn:logs:cn-north-1:123456789012:log-group:g", "MaxAggregationInterval", float64(60)), "cn-north-1", map[string]any{
			"Id": "fl-1", "ResourceId": "vpc-1", "ResourceType": "VPC", "TrafficType": "ALL",
			"LogDestinationType": "cloud-watch-logs", "LogGroupName": "g",
			"LogDestination":           "arn:aws-cn:logs:cn-north-1:123456789012:log-group:g",
			"DeliverLogsPermissionArn": role, "LogFormat": DefaultLogFormat, "MaxAggregationInterval": 60,
		}},
		{"cloud-watch-logs gov partition", props(cwl, "Tags", []any{}), "us-gov-west-1", map[string]any{
			"Id": "fl-1", "ResourceId": "vpc-1", "ResourceType": "VPC", "TrafficType": "ALL",
			"LogDestinationType": "cloud-watch-logs", "LogGroupName": "vpc-flow-logs",
			"LogDestination":           "arn:aws-us-gov:logs:us-gov-west-1:123456789012:log-group:vpc-flow-logs",
			"DeliverLogsPermissionArn": role, "LogFormat": DefaultLogFormat, "MaxAggregationInterval": 600,
		}},
		{"s3 default options", s3, "us-east-1", map[string]any{
			"Id": "fl-1", "ResourceId": "subnet-1", "ResourceType": "Subnet", "TrafficType": "REJECT",
			"LogDestinationType": "s3", "LogDestination": bucketARN,
			"LogFormat": DefaultLogFormat, "MaxAggregationInterval": 600,
			"DestinationOptions": map[string]any{"FileFormat": "plain-text", "HiveCompatiblePartitions": false, "PerHourPartition": false},
		}},
		{"s3 given options and format", props(s3,
			"DestinationOptions", map[string]any{"FileFormat": "parquet", "HiveCompatiblePartitions": true, "PerHourPartition": true},
			"LogFormat", "${srcaddr} ${dstaddr}", "MaxAggregationInterval", json.Number("60")), "eu-west-1", map[string]any{
			"Id": "fl-1", "ResourceId": "subnet-1", "ResourceType": "Subnet", "TrafficType": "REJECT",
			"LogDestinationType": "s3", "LogDestination": bucketARN,
			"LogFormat": "${srcaddr} ${dstaddr}", "MaxAggregationInterval": 60,
			"DestinationOptions": map[string]any{"FileFormat": "parquet", "HiveCompatiblePartitions": true, "PerHourPartition": true},
		}},
		{"firehose", props(firehose, "DeliverCrossAccountRole", crossRole, "DeliverLogsPermissionArn", role), "us-east-1", map[string]any{
			"Id": "fl-1", "ResourceId": "eni-1", "ResourceType": "NetworkInterface", "TrafficType": "ACCEPT",
			"LogDestinationType": "kinesis-data-firehose", "LogDestination": streamARN,
			"DeliverLogsPermissionArn": role, "DeliverCrossAccountRole": crossRole,
			"LogFormat": DefaultLogFormat, "MaxAggregationInterval": 600,
		}},
		{"tag field specifications", props(cwl, "TagFieldSpecifications", tagFields), "us-east-1", map[string]any{
			"Id": "fl-1", "ResourceId": "vpc-1", "ResourceType": "VPC", "TrafficType": "ALL",
			"LogDestinationType": "cloud-watch-logs", "LogGroupName": "vpc-flow-logs",
			"LogDestination":           "arn:aws:logs:us-east-1:123456789012:log-group:vpc-flow-logs",
			"DeliverLogsPermissionArn": role, "LogFormat": DefaultLogFormat, "MaxAggregationInterval": 600,
			"TagFieldSpecifications": tagFields,
		}},
		{"transit gateway: declared ResourceType, interval 60", props(tgw, "MaxAggregationInterval", nil), "us-east-1", map[string]any{
			"Id": "fl-1", "ResourceId": "tgw-1", "ResourceType": "TransitGateway",
			"LogDestinationType": "s3", "LogDestination": bucketARN,
			"LogFormat": DefaultLogFormat, "MaxAggregationInterval": 60,
			"DestinationOptions": map[string]any{"FileFormat": "plain-text", "HiveCompatiblePartitions": false, "PerHourPartition": false},
		}},
		{"unknown prefix", props(cwl, "ResourceId", "i-1"), "us-east-1", map[string]any{
			"Id": "fl-1", "ResourceId": "i-1", "ResourceType": "VPC", "TrafficType": "ALL",
			"LogDestinationType": "cloud-watch-logs", "LogGroupName": "vpc-flow-logs",
			"LogDestination":           "arn:aws:logs:us-east-1:123456789012:log-group:vpc-flow-logs",
			"DeliverLogsPermissionArn": role, "LogFormat": DefaultLogFormat, "MaxAggregationInterval": 600,
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := props(tc.props)
			got := Echo(tc.props, "fl-1", tc.region, "123456789012")
			if !reflect.DeepEqual(got, tc.want) {
				gj, _ := json.MarshalIndent(got, "", "  ")
				wj, _ := json.MarshalIndent(tc.want, "", "  ")
				t.Errorf("Echo =\n%s\nwant\n%s", gj, wj)
			}
			if !reflect.DeepEqual(tc.props, before) {
				t.Errorf("Echo modified its input")
			}
		})
	}

	// The echo of a valid model is itself valid, and returns every property
	// create was given (the handler contract's create-read test): reads
	// drop nothing but what the schema marks write-only, which for a flow
	// log is nothing.
	cross := props(firehose, "DeliverLogsPermissionArn", role, "DeliverCrossAccountRole", crossRole)
	for _, m := range []map[string]any{cwl, s3, firehose, cross, tgw} {
		e := Echo(m, "fl-1", "us-east-1", "123456789012")
		for k, v := range m {
			if !reflect.DeepEqual(e[k], v) {
				t.Errorf("Echo(%v)[%s] = %v, want %v as created", m, k, e[k], v)
			}
		}
		delete(e, "Id")
		if ps := Check(e); len(ps) != 0 {
			t.Errorf("Check(Echo(%v)) = %s", m, dump(ps))
		}
	}
}

func TestDuplicateKey(t *testing.T) {
	same := []struct {
		name string
		a, b map[string]any
	}{
		{"identical", cwl, props(cwl)},
		{"log group by name or ARN", cwl, props(cwl, "LogGroupName", nil, "LogDestination", groupARN)},
		{"default and explicit cwl type", cwl, props(cwl, "LogDestinationType", "cloud-watch-logs")},
		{"different role", cwl, props(cwl, "DeliverLogsPermissionArn", "arn:aws:iam::123456789012:role/other")},
		{"different format and tags", cwl, props(cwl, "LogFormat", "${srcaddr}", "Tags", []any{map[string]any{"Key": "a", "Value": "b"}})},
		{"s3 trailing slash", props(s3, "LogDestination", "arn:aws:s3:::bkt/p"), props(s3, "LogDestination", "arn:aws:s3:::bkt/p/")},
	}
	for _, tc := range same {
		if ka, kb := DuplicateKey(tc.a), DuplicateKey(tc.b); ka != kb {
			t.Errorf("%s: keys differ: %q vs %q", tc.name, ka, kb)
		}
	}
	different := []struct {
		name string
		a, b map[string]any
	}{
		{"resource", cwl, props(cwl, "ResourceId", "vpc-2")},
		{"traffic type", cwl, props(cwl, "TrafficType", "REJECT")},
		{"log group", cwl, props(cwl, "LogGroupName", "other")},
		{"destination type", props(s3, "LogDestinationType", "kinesis-data-firehose"), s3},
		{"bucket", s3, props(s3, "LogDestination", "arn:aws:s3:::other-bucket")},
		{"prefix", s3, props(s3, "LogDestination", bucketARN+"/p")},
		{"stream", firehose, props(firehose, "LogDestination", streamARN+"-2")},
	}
	for _, tc := range different {
		if ka, kb := DuplicateKey(tc.a), DuplicateKey(tc.b); ka == kb {
			t.Errorf("%s: keys equal: %q", tc.name, ka)
		}
	}
	if got, want := DuplicateKey(cwl), "vpc-1|ALL|cloud-watch-logs|vpc-flow-logs"; got != want {
		t.Errorf("DuplicateKey(cwl) = %q, want %q", got, want)
	}
	if got, want := DuplicateKey(props(s3, "LogDestination", "arn:aws:s3:::bkt/p/")), "subnet-1|REJECT|s3|bkt/p"; got != want {
		t.Errorf("DuplicateKey(s3) = %q, want %q", got, want)
	}
}

func TestDestinationOf(t *testing.T) {
	for _, tc := range []struct {
		name  string
		props map[string]any
		want  Destination
	}{
		{"default type, name", cwl, Destination{Type: "cloud-watch-logs", LogGroup: "vpc-flow-logs"}},
		{"ARN", props(cwl, "LogGroupName", nil, "LogDestination", groupARN), Destination{Type: "cloud-watch-logs", LogGroup: "vpc-flow-logs"}},
		{"name wins over ARN", props(cwl, "LogDestination", "arn:aws:logs:us-east-1:123456789012:log-group:x"), Destination{Type: "cloud-watch-logs", LogGroup: "vpc-flow-logs"}},
		{"wildcard ARN not parsed", props(cwl, "LogGroupName", nil, "LogDestination", groupARN+":*"), Destination{Type: "cloud-watch-logs"}},
		{"s3 bucket", s3, Destination{Type: "s3", Bucket: "my-flow-logs"}},
		{"s3 prefix", props(s3, "LogDestination", "arn:aws:s3:::my-flow-logs/a/b/"), Destination{Type: "s3", Bucket: "my-flow-logs", Prefix: "a/b/"}},
		{"s3 upper-case type", props(s3, "LogDestinationType", "S3"), Destination{Type: "s3", Bucket: "my-flow-logs"}},
		{"s3 bad ARN", props(s3, "LogDestination", "s3"), Destination{Type: "s3"}},
		{"firehose", firehose, Destination{Type: "kinesis-data-firehose", StreamARN: streamARN}},
		{"unknown type", props(s3, "LogDestinationType", "ftp"), Destination{Type: "ftp"}},
	} {
		if got := DestinationOf(tc.props); got != tc.want {
			t.Errorf("%s: DestinationOf = %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

func TestLogFormatFields(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
		err  string
	}{
		{"${a}", []string{"a"}, ""},
		{"${version} ${srcaddr} ${unknown-field}", []string{"version", "srcaddr", "unknown-field"}, ""},
		{"", nil, "empty"},
		{"${a} ", nil, "ends with a space"},
		{" ${a}", nil, "starts with a space"},
		{"${a}  ${b}", nil, "two spaces"},
		{"${a} b", nil, `"b"`},
		{"${a}${b}", nil, "not a single"},
		{"${a} ${}", nil, "empty"},
		{"${a", nil, "not a single"},
		{"$a", nil, "not a single"},
		{"x${a}", nil, "not a single"},
		{"${a}\t${b}", nil, "not a single"},
	} {
		got, err := LogFormatFields(tc.in)
		if tc.err == "" {
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Errorf("LogFormatFields(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("LogFormatFields(%q) error = %v, want it to contain %q", tc.in, err, tc.err)
		}
	}
	fields, err := LogFormatFields(DefaultLogFormat)
	if err != nil || len(fields) != 14 {
		t.Fatalf("default format: %q, %v", fields, err)
	}
	for _, f := range fields {
		if !KnownField(f) {
			t.Errorf("default field %q not known", f)
		}
	}
}

func TestKnownField(t *testing.T) {
	for _, f := range []string{
		"version", "log-status", "vpc-id", "pkt-dstaddr", "region", "sublocation-id",
		"pkt-src-aws-service", "traffic-path", "ecs-cluster-arn", "ecs-task-id",
		"ecs-second-container-id", "reject-reason", "resource-id", "encryption-status",
	} {
		if !KnownField(f) {
			t.Errorf("KnownField(%q) = false", f)
		}
	}
	for _, f := range []string{"", "timestamp", "Version", "srcAddr", "src-port", "${version}"} {
		if KnownField(f) {
			t.Errorf("KnownField(%q) = true", f)
		}
	}
}

func TestResourceTypeOf(t *testing.T) {
	for _, tc := range []struct {
		id, want string
		ok       bool
	}{
		{"vpc-0123456789abcdef0", "VPC", true},
		{"subnet-1", "Subnet", true},
		{"eni-1", "NetworkInterface", true},
		{"tgw-attach-0abc", "TransitGatewayAttachment", true},
		{"tgw-0abc", "TransitGateway", true},
		{"i-1", "", false},
		{"nat-1", "", false},
		{"", "", false},
		{"VPC-1", "", false},
	} {
		got, ok := ResourceTypeOf(tc.id)
		if got != tc.want || ok != tc.ok {
			t.Errorf("ResourceTypeOf(%q) = %q, %v; want %q, %v", tc.id, got, ok, tc.want, tc.ok)
		}
	}
}

func TestToInt(t *testing.T) {
	for _, tc := range []struct {
		in   any
		want int64
		ok   bool
	}{
		{60, 60, true}, {int64(600), 600, true}, {int32(60), 60, true}, {uint(60), 60, true},
		{float64(600), 600, true}, {float32(60), 60, true}, {json.Number("60"), 60, true},
		{json.Number("6e2"), 600, true}, {60.5, 0, false}, {json.Number("x"), 0, false},
		{"60", 0, false}, {nil, 0, false}, {true, 0, false},
	} {
		got, ok := toInt(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("toInt(%#v) = %d, %v; want %d, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestProblemString(t *testing.T) {
	got := Problem{Code: "InvalidParameter", Property: "P", Message: "m", Fix: "do x"}.String()
	if want := "P: m (InvalidParameter). do x"; got != want {
		t.Errorf("String = %q, want %q", got, want)
	}
}
