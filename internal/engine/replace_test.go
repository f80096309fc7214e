package engine

import (
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/cloudcontrol/types"

	"github.com/athanor-iac/athanor/provider/cloudcontrol"
)

// flowLog is a valid flow log of vpc-12345678 to log group g, with extra
// properties laid over.
func flowLog(kv ...any) map[string]any {
	p := map[string]any{
		"ResourceId": "vpc-12345678", "ResourceType": "VPC", "TrafficType": "ALL",
		"LogDestinationType": "cloud-watch-logs", "LogGroupName": "g",
		"DeliverLogsPermissionArn": "arn:aws:iam::123456789012:role/flow-logs",
	}
	for i := 0; i+1 < len(kv); i += 2 {
		p[kv[i].(string)] = kv[i+1]
	}
	return p
}

const flowLogType = "AWS::EC2::FlowLog"

// A replacement that would have the old resource's identity under its
// type's rules (a flow log of the same resource, traffic type and
// destination) deletes the old one first, without first sending a create
// the service refuses; one with another identity is created first, so the
// old one serves until the new one exists.
func TestReplaceOrderFollowsIdentity(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change map[string]any
		want   []string
	}{
		{"same identity", flowLog("MaxAggregationInterval", 60), []string{"Delete", "Create"}},
		{"other identity", flowLog("TrafficType", "REJECT"), []string{"Create", "Delete"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			store, prov := stage(t), newFakeProvider()
			if err := run(t, store, prov, Declaration{LogicalID: "fl", Type: flowLogType, Props: flowLog()}); err != nil {
				t.Fatal(err)
			}
			before := len(prov.Calls())
			if err := run(t, store, prov, Declaration{LogicalID: "fl", Type: flowLogType, Props: tc.change}); err != nil {
				t.Fatal(err)
			}
			if got := verbs(prov.Calls()[before:]); !slices.Equal(got, tc.want) {
				t.Fatalf("replacement calls %q, want %q (all: %q)", got, tc.want, prov.Calls()[before:])
			}
			if rec := records(t, store)["fl"]; rec.Identifier == "" || len(rec.Superseded) != 0 || rec.Pending != nil {
				t.Fatalf("record after the replacement: %+v", rec)
			}
		})
	}
}

// A replacement whose create collides anyway (AlreadyExists, or a quota
// the old resource still counts against) falls back to deleting the old
// resource first; any other failure fails the replacement and keeps the
// old resource.
func TestReplaceThatCollidesFallsBackToDeleteFirst(t *testing.T) {
	for _, tc := range []struct {
		code cloudcontrol.HandlerErrorCode
		want []string
	}{
		{cloudcontrol.HandlerAlreadyExists, []string{"Create FAILED", "Delete", "Create"}},
		{cloudcontrol.HandlerServiceLimitExceeded, []string{"Create FAILED", "Delete", "Create"}},
		{types.HandlerErrorCodeInvalidRequest, []string{"Create FAILED"}},
	} {
		t.Run(string(tc.code), func(t *testing.T) {
			store, prov := stage(t), newFakeProvider()
			group := func(name string) Declaration {
				return Declaration{LogicalID: "logs", Type: "AWS::Logs::LogGroup", Props: map[string]any{"LogGroupName": name}}
			}
			if err := run(t, store, prov, group("a")); err != nil {
				t.Fatal(err)
			}
			before := len(prov.Calls())
			prov.refuse = []cloudcontrol.HandlerErrorCode{tc.code}
			err := run(t, store, prov, group("b"))
			if got := verbs(prov.Calls()[before:]); !slices.Equal(got, tc.want) {
				t.Fatalf("calls %q, want %q (%v)", prov.Calls()[before:], tc.want, err)
			}
			rec := records(t, store)["logs"]
			if len(tc.want) == 1 {
				if err == nil || len(rec.Superseded) != 1 || rec.Superseded[0].Identifier != "a" {
					t.Fatalf("a refused replacement: err %v, record %+v; want an error and a kept in state", err, rec)
				}
				return
			}
			if err != nil || rec.Identifier != "b" || len(rec.Superseded) != 0 {
				t.Fatalf("err %v, record %+v; want b alone", err, rec)
			}
		})
	}
}
