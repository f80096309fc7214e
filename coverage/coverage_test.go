package coverage_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/athanor-iac/athanor/coverage"
)

const bucket = "arn:aws:s3:::central"

func fl(id, vpc, traffic, dest string, tags map[string]string) coverage.FlowLog {
	return coverage.FlowLog{ID: id, ResourceID: vpc, ResourceType: "VPC", TrafficType: traffic, LogDestinationType: "s3", LogDestination: dest, Tags: tags}
}

// Only flow logs to the central bucket (or a folder of it) capturing the
// policy's traffic cover a VPC; the program's own are told from others'.
func TestCompute(t *testing.T) {
	p := coverage.Policy{Bucket: bucket, Managed: coverage.Tagged("ManagedBy", "me")}
	r := coverage.Compute(p, []coverage.Scope{
		{Account: "2", Region: "us-east-1", VPCs: []string{"vpc-d", "vpc-c"}},
		{Account: "1", Region: "us-east-1", VPCs: []string{"vpc-a", "vpc-b", "vpc-e", "vpc-f", "vpc-g"}, FlowLogs: []coverage.FlowLog{
			fl("fl-1", "vpc-a", "ALL", bucket, nil),                                           // others', meets
			fl("fl-2", "vpc-b", "ALL", bucket+"/team/", map[string]string{"ManagedBy": "me"}), // ours, in a folder
			fl("fl-3", "vpc-e", "REJECT", bucket, nil),                                        // wrong traffic
			fl("fl-4", "vpc-f", "ALL", "arn:aws:s3:::elsewhere", nil),                         // wrong bucket
			fl("fl-5", "vpc-g", "ALL", "arn:aws:s3:::central-other", nil),                     // not a folder of it
		}},
	})
	if r.Total != 7 || r.Covered != 2 || r.Scopes[0].Account != "1" {
		t.Fatalf("report %+v", r)
	}
	s := r.Scopes[0]
	if got := strings.Join(s.Uncovered(), ","); got != "vpc-e,vpc-f,vpc-g" {
		t.Fatalf("uncovered %s", got)
	}
	if !s.VPCs[0].ByOthers || s.VPCs[1].ByOthers || s.VPCs[1].FlowLog != "fl-2" {
		t.Fatalf("by others: %+v", s.VPCs[:2])
	}
	var tbl bytes.Buffer
	if err := r.WriteTable(&tbl); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(tbl.String(), "2 of 7 VPCs covered (28.6 %)") || !strings.Contains(tbl.String(), "vpc-c vpc-d") {
		t.Fatalf("table:\n%s", tbl.String())
	}
	var js bytes.Buffer
	if err := r.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	var back coverage.Report
	if err := json.Unmarshal(js.Bytes(), &back); err != nil || back.Covered != 2 || len(back.Scopes[1].VPCs) != 2 {
		t.Fatalf("JSON %v: %s", err, js.String())
	}
}

// A policy of REJECT is met by a flow log capturing ALL, not by ACCEPT.
func TestTrafficType(t *testing.T) {
	p := coverage.Policy{Bucket: bucket, TrafficType: "REJECT"}
	if !p.Meets(fl("a", "v", "ALL", bucket, nil)) || !p.Meets(fl("b", "v", "REJECT", bucket, nil)) || p.Meets(fl("c", "v", "ACCEPT", bucket, nil)) {
		t.Fatal("REJECT policy")
	}
	if (coverage.Policy{Bucket: bucket}).Meets(fl("d", "v", "REJECT", bucket, nil)) {
		t.Fatal("the default policy (ALL) took a REJECT flow log")
	}
}

// 99.95 % is not shown as 100 %.
func TestPercentText(t *testing.T) {
	r := coverage.Report{Total: 2000, Covered: 1999, Percent: 99.95}
	if r.PercentText() != "99.9 %" {
		t.Fatal(r.PercentText())
	}
	if (coverage.Report{Total: 1, Covered: 1, Percent: 100}).PercentText() != "100 %" {
		t.Fatal("100")
	}
}

// Skipped accounts and regions are listed, in the table and the JSON,
// and left out of the counts rather than counted as uncovered.
func TestSkipped(t *testing.T) {
	r := coverage.Compute(coverage.Policy{Bucket: bucket},
		[]coverage.Scope{{Account: "1", Region: "us-east-1", VPCs: []string{"vpc-a"}, FlowLogs: []coverage.FlowLog{fl("fl-1", "vpc-a", "ALL", bucket, nil)}}},
		coverage.Skipped{Account: "3", Reason: "account SUSPENDED"},
		coverage.Skipped{Account: "2", Region: "ap-east-1", Reason: "region not enabled"})
	if r.Total != 1 || r.Covered != 1 || r.PercentText() != "100 %" || r.Skipped[0].Account != "2" {
		t.Fatalf("report %+v", r)
	}
	var tbl bytes.Buffer
	if err := r.WriteTable(&tbl); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"3 all - - - skipped: account SUSPENDED", "2 ap-east-1 - - - skipped: region not enabled", "1 of 1 VPCs covered (100 %); skipped, not counted: 1 account and 1 region"} {
		if !strings.Contains(strings.Join(strings.Fields(tbl.String()), " "), want) {
			t.Errorf("table lacks %q:\n%s", want, tbl.String())
		}
	}
	var js bytes.Buffer
	if err := r.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(js.String(), `"formatVersion": 1`) || !strings.Contains(js.String(), `"skipped": [`) || !strings.Contains(js.String(), `"reason": "account SUSPENDED"`) {
		t.Fatalf("JSON:\n%s", js.String())
	}
	var none bytes.Buffer
	coverage.Compute(coverage.Policy{Bucket: bucket}, nil).WriteJSON(&none)
	if strings.Contains(none.String(), "skipped") {
		t.Fatalf("nothing skipped, yet the JSON says skipped:\n%s", none.String())
	}
}
