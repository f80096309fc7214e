package localcc_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudcontrol"
	"github.com/aws/aws-sdk-go-v2/service/cloudcontrol/types"

	"github.com/athanor-iac/athanor/localcc"
)

// needsFirehose skips a case against real AWS when no cross-account
// Firehose setup was given (see target).
func (tg *target) needsFirehose(t *testing.T) {
	t.Helper()
	if tg.firehose == "" || tg.sourceRole == "" || tg.destRole == "" {
		t.Skip("set ATHANOR_CONFORMANCE_FIREHOSE, ATHANOR_CONFORMANCE_FIREHOSE_SOURCE_ROLE and ATHANOR_CONFORMANCE_FIREHOSE_DEST_ROLE")
	}
}

func (tg *target) firehoseProps(extra ...any) map[string]any {
	m := map[string]any{"ResourceType": "VPC", "ResourceId": tg.vpc, "TrafficType": "ALL",
		"LogDestinationType": "kinesis-data-firehose", "LogDestination": tg.firehose}
	for i := 0; i < len(extra); i += 2 {
		m[extra[i].(string)] = extra[i+1]
	}
	return m
}

// A cross-account Firehose flow log with both roles: GetResource and
// ListResources return DeliverCrossAccountRole, as EC2's DescribeFlowLogs
// does and the handler contract's create-read test requires. A read
// without it makes clients replace the flow log on every run.
func TestConformanceCrossAccountRoleIsRead(t *testing.T) {
	tg := newTarget(t, localcc.Options{})
	tg.needsFirehose(t)
	id := tg.createOK(t, flowLog, tg.firehoseProps("DeliverLogsPermissionArn", tg.sourceRole, "DeliverCrossAccountRole", tg.destRole))
	m := tg.get(t, flowLog, id)
	if m["DeliverCrossAccountRole"] != tg.destRole || m["DeliverLogsPermissionArn"] != tg.sourceRole {
		t.Fatalf("GetResource: DeliverCrossAccountRole %v, DeliverLogsPermissionArn %v; want %s, %s", m["DeliverCrossAccountRole"], m["DeliverLogsPermissionArn"], tg.destRole, tg.sourceRole)
	}
	pages := cloudcontrol.NewListResourcesPaginator(tg.cc, &cloudcontrol.ListResourcesInput{TypeName: aws.String(flowLog)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range page.ResourceDescriptions {
			if aws.ToString(d.Identifier) != id {
				continue
			}
			var listed map[string]any
			if err := json.Unmarshal([]byte(aws.ToString(d.Properties)), &listed); err != nil {
				t.Fatal(err)
			}
			if listed["DeliverCrossAccountRole"] != tg.destRole {
				t.Fatalf("ListResources: DeliverCrossAccountRole %v, want %s", listed["DeliverCrossAccountRole"], tg.destRole)
			}
			return
		}
	}
	t.Fatalf("ListResources does not list %s", id)
}

// EC2's cross-account rules: the two roles go together, for Firehose only.
// The message for one role alone is EC2's as quoted in
// hashicorp/terraform-provider-aws#28577 (seen with DeliverLogsPermissionArn
// alone). What EC2 says for DeliverCrossAccountRole with s3 or
// cloud-watch-logs has not been seen: only the code and the property's
// name are checked, and a run against AWS should record the real text.
func TestConformanceCrossAccountRules(t *testing.T) {
	tg := newTarget(t, localcc.Options{})
	const both = "When providing a role for cross-account delivery, both the DeliverLogsPermissionArn and DeliverCrossAccountRole fields must be set."
	t.Run("firehose with the destination role alone", func(t *testing.T) {
		tg.needsFirehose(t)
		ev := tg.settle(t, tg.create(t, flowLog, tg.firehoseProps("DeliverCrossAccountRole", tg.destRole), ""))
		wantFailed(t, ev, types.HandlerErrorCodeInvalidRequest, both)
	})
	t.Run("firehose with the source role alone", func(t *testing.T) {
		tg.needsFirehose(t)
		ev := tg.settle(t, tg.create(t, flowLog, tg.firehoseProps("DeliverLogsPermissionArn", tg.sourceRole), ""))
		wantFailed(t, ev, types.HandlerErrorCodeInvalidRequest, both)
	})
	crossRole := tg.destRole
	if crossRole == "" {
		crossRole = tg.role // against AWS without a Firehose setup: any role will do
	}
	t.Run("s3", func(t *testing.T) {
		props := map[string]any{"ResourceType": "VPC", "ResourceId": tg.vpc, "TrafficType": "ALL",
			"LogDestinationType": "s3", "LogDestination": "arn:aws:s3:::" + tg.bucket, "DeliverCrossAccountRole": crossRole}
		wantFailed(t, tg.settle(t, tg.create(t, flowLog, props, "")), types.HandlerErrorCodeInvalidRequest, "DeliverCrossAccountRole")
	})
	t.Run("cloud-watch-logs", func(t *testing.T) {
		props := tg.cwlProps()
		props["DeliverCrossAccountRole"] = crossRole
		wantFailed(t, tg.settle(t, tg.create(t, flowLog, props, "")), types.HandlerErrorCodeInvalidRequest, "DeliverCrossAccountRole")
	})
}
