package main

import (
	"bytes"
	"context"
	"encoding/json"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/athanor-iac/athanor"
	"github.com/athanor-iac/athanor/localcc"
	"github.com/athanor-iac/athanor/localcc/localcctest"
	"github.com/athanor-iac/athanor/state"
)

const app = "vpc-flow-logs"

// The example's resources: logical ID and type.
var resources = map[string]string{
	"vpc":                 "AWS::EC2::VPC",
	"subnetA":             "AWS::EC2::Subnet",
	"subnetB":             "AWS::EC2::Subnet",
	"flowLogGroup":        "AWS::Logs::LogGroup",
	"flowLogsRole":        "AWS::IAM::Role",
	"flowLogBucket":       "AWS::S3::Bucket",
	"flowLogBucketPolicy": "AWS::S3::BucketPolicy",
	"vpcFlowLog":          "AWS::EC2::FlowLog",
	"subnetFlowLog":       "AWS::EC2::FlowLog",
}

// dependsOn is what each resource must be created after and deleted
// before, as found from the outputs passed into its props.
var dependsOn = map[string][]string{
	"subnetA":             {"vpc"},
	"subnetB":             {"vpc"},
	"flowLogsRole":        {"flowLogGroup"},
	"flowLogBucketPolicy": {"flowLogBucket"},
	"vpcFlowLog":          {"flowLogGroup", "flowLogsRole", "vpc"},
	// The bucket's name is also the bucket policy's identifier, and the
	// later of the two to report it is taken as its owner: the flow log
	// comes after the bucket through the policy.
	"subnetFlowLog": {"flowLogBucketPolicy", "subnetA"},
}

type env struct {
	t     *testing.T
	srv   *localcc.Server
	state string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	localcctest.AWSEnv(t)
	t.Setenv("NO_COLOR", "1")
	srv, err := localcc.Start(localcc.Options{Latency: map[string]localcc.Range{"*": {Min: 0, Max: 20 * time.Millisecond}}}, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return &env{t: t, srv: srv, state: t.TempDir()}
}

func (e *env) run(args ...string) (int, string) {
	e.t.Helper()
	var out bytes.Buffer
	if len(args) == 0 || (args[0] != "plan" && args[0] != "refresh") {
		args = append(args, "--yes") // no terminal: up and destroy need it
	}
	args = append(args, "--endpoint", e.srv.URL(), "--state", e.state, "--stage", "test")
	code := athanor.Main(context.Background(), app, args, &out, &out, program)
	return code, out.String()
}

// one returns the only resource of a type on the endpoint.
func (e *env) one(typeName string, match func(map[string]any) bool) map[string]any {
	e.t.Helper()
	var found []map[string]any
	for _, r := range e.srv.Resources(typeName) {
		if match == nil || match(r.Properties) {
			found = append(found, r.Properties)
		}
	}
	if len(found) != 1 {
		e.t.Fatalf("%d %s on the endpoint, want 1", len(found), typeName)
	}
	return found[0]
}

// planBlocks splits a text plan into each resource's lines.
func planBlocks(out string) map[string]string {
	blocks := map[string]string{}
	var cur string
	for _, line := range strings.Split(out, "\n") {
		if m := regexp.MustCompile(`^\s*\+ (\S+) \(`).FindStringSubmatch(line); m != nil {
			cur = m[1]
		}
		if cur != "" {
			blocks[cur] += line + "\n"
		}
	}
	return blocks
}

func TestExample(t *testing.T) {
	e := newEnv(t)

	// A plan on a fresh stage: everything to create, and what comes from
	// another resource's outputs known only after apply.
	code, out := e.run("plan")
	if code != 0 {
		t.Fatalf("plan: exit %d\n%s", code, out)
	}
	blocks := planBlocks(out)
	for id, typeName := range resources {
		if !strings.Contains(blocks[id], "+ "+id+" ("+typeName+"): create") {
			t.Errorf("plan does not create %s (%s):\n%s", id, typeName, out)
		}
	}
	for id, props := range map[string][]string{
		"subnetA":             {"VpcId"},
		"subnetB":             {"VpcId"},
		"flowLogsRole":        {"Policies"},
		"vpcFlowLog":          {"ResourceId", "DeliverLogsPermissionArn"},
		"subnetFlowLog":       {"ResourceId", "LogDestination"},
		"flowLogBucketPolicy": {"Bucket", "PolicyDocument"},
	} {
		for _, p := range props {
			if !strings.Contains(blocks[id], p+": (known after apply)") {
				t.Errorf("plan of %s lacks %s: (known after apply):\n%s", id, p, blocks[id])
			}
		}
	}
	if !strings.Contains(out, "Plan: 9 to create.\n") {
		t.Errorf("plan summary:\n%s", out)
	}
	if n := len(e.srv.Resources("AWS::EC2::VPC")); n != 0 {
		t.Fatalf("plan created %d VPCs", n)
	}

	// Up creates everything, wired together.
	if code, out = e.run(); code != 0 || !strings.Contains(out, "9 created") {
		t.Fatalf("up: exit %d\n%s", code, out)
	}
	vpc := e.one("AWS::EC2::VPC", nil)
	subnetA := e.one("AWS::EC2::Subnet", func(m map[string]any) bool { return m["CidrBlock"] == "10.42.1.0/24" })
	group := e.one("AWS::Logs::LogGroup", nil)
	role := e.one("AWS::IAM::Role", nil)
	bucket := e.one("AWS::S3::Bucket", nil)
	vpcFlowLog := e.one("AWS::EC2::FlowLog", func(m map[string]any) bool { return m["ResourceType"] == "VPC" })
	subnetFlowLog := e.one("AWS::EC2::FlowLog", func(m map[string]any) bool { return m["ResourceType"] == "Subnet" })
	for _, c := range []struct {
		what string
		v    any
		re   string
	}{
		{"VpcId", vpc["VpcId"], `^vpc-[0-9a-f]{17}$`},
		{"SubnetId", subnetA["SubnetId"], `^subnet-[0-9a-f]{17}$`},
		{"subnet's VpcId", subnetA["VpcId"], "^" + regexp.QuoteMeta(vpc["VpcId"].(string)) + "$"},
		{"log group Arn", group["Arn"], `^arn:aws:logs:us-east-1:[0-9]{12}:log-group:vpc-flow-logs-test:\*$`},
		{"role Arn", role["Arn"], `^arn:aws:iam::[0-9]{12}:role/\S+$`},
		{"bucket Arn", bucket["Arn"], `^arn:aws:s3:::[a-z0-9.-]{3,63}$`},
		{"VPC flow log's ResourceId", vpcFlowLog["ResourceId"], "^" + regexp.QuoteMeta(vpc["VpcId"].(string)) + "$"},
		{"VPC flow log's role", vpcFlowLog["DeliverLogsPermissionArn"], "^" + regexp.QuoteMeta(role["Arn"].(string)) + "$"},
		{"VPC flow log's log group", vpcFlowLog["LogGroupName"], `^vpc-flow-logs-test$`},
		{"VPC flow log's Id", vpcFlowLog["Id"], `^fl-[0-9a-f]{17}$`},
		{"subnet flow log's ResourceId", subnetFlowLog["ResourceId"], "^" + regexp.QuoteMeta(subnetA["SubnetId"].(string)) + "$"},
		{"subnet flow log's bucket", subnetFlowLog["LogDestination"], "^" + regexp.QuoteMeta(bucket["Arn"].(string)) + "/subnet-a/$"},
	} {
		if s, _ := c.v.(string); !regexp.MustCompile(c.re).MatchString(s) {
			t.Errorf("%s is %v, want %s", c.what, c.v, c.re)
		}
	}
	if opts, _ := subnetFlowLog["DestinationOptions"].(map[string]any); opts["FileFormat"] != "parquet" || opts["PerHourPartition"] != true {
		t.Errorf("subnet flow log's DestinationOptions %v", subnetFlowLog["DestinationOptions"])
	}
	if doc := canonical(role["AssumeRolePolicyDocument"]); !strings.Contains(doc, "vpc-flow-logs.amazonaws.com") || !strings.Contains(doc, "sts:AssumeRole") {
		t.Errorf("trust policy %s", doc)
	}
	// The bucket policy admits the log delivery service for the source
	// account, as the VPC user guide documents for S3 delivery (within an
	// account or across accounts); the S3 flow log has no role.
	policy := e.one("AWS::S3::BucketPolicy", nil)
	if policy["Bucket"] != bucket["BucketName"] {
		t.Errorf("bucket policy on %v, want %v", policy["Bucket"], bucket["BucketName"])
	}
	for _, want := range []string{
		`"Principal":{"Service":"delivery.logs.amazonaws.com"}`,
		`"Action":"s3:PutObject"`,
		`"Resource":"` + bucket["Arn"].(string) + `/*"`,
		`"aws:SourceAccount":["123456789012"]`,
		`"s3:x-amz-acl":"bucket-owner-full-control"`,
		`"Action":"s3:GetBucketAcl"`,
	} {
		if doc := canonical(policy["PolicyDocument"]); !strings.Contains(doc, want) {
			t.Errorf("bucket policy lacks %s: %s", want, doc)
		}
	}
	if subnetFlowLog["DeliverLogsPermissionArn"] != nil || subnetFlowLog["DeliverCrossAccountRole"] != nil {
		t.Errorf("the S3 flow log has a role: %v", subnetFlowLog)
	}

	// A rerun changes nothing.
	if code, out = e.run(); code != 0 || !strings.Contains(out, "no changes; 9 resources") {
		t.Fatalf("rerun: exit %d\n%s", code, out)
	}

	// The dependencies recorded are those of the outputs passed.
	store, err := state.Open(context.Background(), e.state, app, "test")
	if err != nil {
		t.Fatal(err)
	}
	recs, err := store.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, r := range recs {
		got[r.LogicalID] = strings.Join(r.DependsOn, ",")
	}
	for id := range resources {
		want := append([]string(nil), dependsOn[id]...)
		sort.Strings(want)
		if got[id] != strings.Join(want, ",") {
			t.Errorf("%s depends on %q, want %q", id, got[id], strings.Join(want, ","))
		}
	}

	// Destroy deletes dependents first (the endpoint refuses to delete a
	// VPC a subnet or flow log still uses), independent ones in parallel.
	if code, out = e.run("destroy"); code != 0 || !strings.Contains(out, "9 deleted") {
		t.Fatalf("destroy: exit %d\n%s", code, out)
	}
	for _, typeName := range resources {
		if n := len(e.srv.Resources(typeName)); n != 0 {
			t.Errorf("%d %s left after destroy", n, typeName)
		}
	}
	pos := func(id, what string) int {
		i := strings.Index(out, "- "+id+" ("+resources[id]+") "+what)
		if i < 0 {
			t.Fatalf("destroy output lacks %s %s:\n%s", id, what, out)
		}
		return i
	}
	for id, deps := range dependsOn {
		for _, dep := range deps {
			if pos(id, "deleted") > pos(dep, "deleting") {
				t.Errorf("%s was deleted after %s started deleting:\n%s", id, dep, out)
			}
		}
	}
	// The two flow logs have no dependency on each other: they are
	// deleted at the same time.
	if pos("vpcFlowLog", "deleting") > pos("subnetFlowLog", "deleted") || pos("subnetFlowLog", "deleting") > pos("vpcFlowLog", "deleted") {
		t.Errorf("the flow logs were not deleted in parallel:\n%s", out)
	}
}

func canonical(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
