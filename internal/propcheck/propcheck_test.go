package propcheck

import (
	"strings"
	"testing"
)

func TestSeedValuesAreRefusedWithFixes(t *testing.T) {
	// The seed's advanced example as written.
	props := map[string]any{
		"ResourceId": "vpc-87654321", "ResourceType": "VPC", "TrafficType": "ACCEPT",
		"LogDestination": "s3", "LogDestinationType": "S3", "LogGroupName": "advanced-vpc-flow-logs",
		"LogFormat":               "${version} ${timestamp} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes}",
		"MaxAggregationInterval":  60,
		"DeliverCrossAccountRole": "arn:aws:iam::123456789012:role/FlowLogsRole",
	}
	probs, err := Check("AWS::EC2::FlowLog", props, nil)
	if err != nil {
		t.Fatal(err)
	}
	text := ""
	for _, p := range probs {
		text += p.Message + "\n"
	}
	for _, want := range []string{
		`LogDestinationType "S3" is not one of cloud-watch-logs, s3, kinesis-data-firehose; did you mean "s3"?`,
		"LogGroupName",
		"arn:aws:s3:::",
		"${timestamp}",
		"DeliverCrossAccountRole is not applicable for s3 delivery",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("problems do not mention %q:\n%s", want, text)
		}
	}
	if strings.Count(text, "LogDestinationType") > 2 {
		t.Errorf("LogDestinationType reported more than once:\n%s", text)
	}
}

func TestUnknownValuesAreNotJudged(t *testing.T) {
	const marker = "\x00unknown\x00"
	props := map[string]any{
		"ResourceId": marker, "ResourceType": "VPC", "TrafficType": "ALL",
		"LogDestinationType": "s3", "LogDestination": "arn:aws:s3:::" + marker,
	}
	probs, err := Check("AWS::EC2::FlowLog", props, func(v any) bool { s, ok := v.(string); return ok && strings.Contains(s, marker) })
	if err != nil {
		t.Fatal(err)
	}
	if len(probs) != 0 {
		t.Fatalf("unexpected problems: %v", probs)
	}
}

func TestCorrectedSeedPasses(t *testing.T) {
	props := map[string]any{
		"ResourceId": "vpc-12345678", "ResourceType": "VPC", "TrafficType": "ALL",
		"LogDestinationType": "cloud-watch-logs", "LogGroupName": "vpc-flow-logs",
		"DeliverLogsPermissionArn": "arn:aws:iam::123456789012:role/FlowLogsDeliveryRole",
		"Tags":                     []any{map[string]any{"Key": "Environment", "Value": "Production"}},
	}
	probs, err := Check("AWS::EC2::FlowLog", props, nil)
	if err != nil || len(probs) != 0 {
		t.Fatalf("%v %v", probs, err)
	}
}
