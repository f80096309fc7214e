package localcc_test

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudcontrol"

	"github.com/athanor-iac/athanor/localcc"
)

// A generated organisation: the management account lists every account
// through Cloud Control, assumes each member's role and finds that
// member's VPCs, and the same seed gives the same organisation.
func TestGeneratedOrganization(t *testing.T) {
	org, err := localcc.ParseOrganization("accounts=3,regions=us-east-1+eu-west-1,vpcs=4,covered=0.5")
	if err != nil {
		t.Fatal(err)
	}
	srv, _ := startLocal(t, localcc.Options{Account: acctA, Org: &org, Fixtures: []localcc.Fixture{}})
	ctx := context.Background()
	base := sdkConfig(t, srv.URL(), "AKIDPLAIN", "eu-west-1")

	accts, err := cloudcontrol.NewFromConfig(base).ListResources(ctx, &cloudcontrol.ListResourcesInput{TypeName: aws.String("AWS::Organizations::Account")})
	if err != nil {
		t.Fatal(err)
	}
	if len(accts.ResourceDescriptions) != 4 {
		t.Fatalf("accounts listed from the management account: %d, want 4", len(accts.ResourceDescriptions))
	}
	covered, vpcs := 0, 0
	for _, m := range org.Members() {
		cfg := assume(base, "arn:aws:iam::"+m+":role/"+localcc.DefaultOrgRole, "")
		out, err := cloudcontrol.NewFromConfig(cfg).ListResources(ctx, &cloudcontrol.ListResourcesInput{TypeName: aws.String("AWS::EC2::VPC")})
		if err != nil {
			t.Fatalf("%s: %v", m, err)
		}
		if len(out.ResourceDescriptions) != 4 {
			t.Fatalf("%s/eu-west-1: %d VPCs through its role, want 4", m, len(out.ResourceDescriptions))
		}
		for _, region := range org.Regions {
			vpcs += len(srv.ResourcesIn(localcc.Scope{Account: m, Region: region}, "AWS::EC2::VPC"))
			for _, fl := range srv.ResourcesIn(localcc.Scope{Account: m, Region: region}, "AWS::EC2::FlowLog") {
				if fl.Properties["LogDestination"] != "arn:aws:s3:::"+localcc.OrgBucket(localcc.OrgMember(0)) {
					t.Fatalf("covered flow log %v does not deliver to the central bucket", fl.Properties)
				}
				covered++
			}
		}
	}
	if vpcs != 24 || covered == 0 || covered == vpcs {
		t.Fatalf("%d VPCs, %d covered: want 24 with some, not all, covered", vpcs, covered)
	}

	again, _ := startLocal(t, localcc.Options{Account: acctA, Org: &org, Fixtures: []localcc.Fixture{}})
	sp := localcc.Scope{Account: localcc.OrgMember(1), Region: "us-east-1"}
	if a, b := ids(srv.ResourcesIn(sp, "AWS::EC2::VPC")), ids(again.ResourcesIn(sp, "AWS::EC2::VPC")); !reflect.DeepEqual(a, b) {
		t.Fatalf("same seed, different VPCs: %v and %v", a, b)
	}
}

func ids(ds []localcc.Described) []string {
	var out []string
	for _, d := range ds {
		out = append(out, d.Identifier)
	}
	return out
}

// Every mistake in an --org value is reported at once.
func TestParseOrganizationErrors(t *testing.T) {
	_, err := localcc.ParseOrganization("accounts=x,regions=nowhere,covered=2,colour=red")
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"accounts=x", `"nowhere"`, "covered=2", "colour=red: unknown key", "expected e.g."} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

// Suspended and closing members: listed like the others but, as on AWS,
// without their status (only GetResource has it), and STS refuses their
// roles with AccessDenied although the roles exist and trust the caller.
func TestInactiveMembers(t *testing.T) {
	org, err := localcc.ParseOrganization("accounts=4,regions=us-east-1,vpcs=1,covered=0,suspended=1,closing=1")
	if err != nil {
		t.Fatal(err)
	}
	srv, _ := startLocal(t, localcc.Options{Account: acctA, Org: &org, Fixtures: []localcc.Fixture{}})
	ctx := context.Background()
	base := sdkConfig(t, srv.URL(), "AKIDPLAIN", "us-east-1")
	cc := cloudcontrol.NewFromConfig(base)

	list, err := cc.ListResources(ctx, &cloudcontrol.ListResourcesInput{TypeName: aws.String("AWS::Organizations::Account")})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range list.ResourceDescriptions {
		if p := aws.ToString(d.Properties); strings.Contains(p, "Status") || !strings.Contains(p, "AccountName") {
			t.Fatalf("listed account %s: %s; want AccountId, AccountName and Email only", aws.ToString(d.Identifier), p)
		}
	}
	want := map[string]string{localcc.OrgMember(0): "ACTIVE", localcc.OrgMember(1): "ACTIVE", localcc.OrgMember(2): "PENDING_CLOSURE", localcc.OrgMember(3): "SUSPENDED"}
	for acct, status := range want {
		got, err := cc.GetResource(ctx, &cloudcontrol.GetResourceInput{TypeName: aws.String("AWS::Organizations::Account"), Identifier: aws.String(acct)})
		if err != nil {
			t.Fatal(err)
		}
		if p := aws.ToString(got.ResourceDescription.Properties); !strings.Contains(p, `"Status":"`+status+`"`) {
			t.Fatalf("account %s read as %s, want Status %s", acct, p, status)
		}
		role := "arn:aws:iam::" + acct + ":role/" + localcc.DefaultOrgRole
		_, err = cloudcontrol.NewFromConfig(assume(base, role, "")).ListResources(ctx, &cloudcontrol.ListResourcesInput{TypeName: aws.String("AWS::EC2::VPC")})
		if status == "ACTIVE" && err != nil {
			t.Fatalf("%s: %v", acct, err)
		}
		if status != "ACTIVE" {
			wantCode(t, err, "AccessDenied", "is not authorized to perform: sts:AssumeRole on resource: "+role)
		}
	}
	if _, err := localcc.ParseOrganization("accounts=2,suspended=1,closing=1"); err == nil || !strings.Contains(err.Error(), "at most accounts-1 = 1") {
		t.Fatalf("too many inactive members: %v", err)
	}
}
