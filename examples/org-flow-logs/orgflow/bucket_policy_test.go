package orgflow_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/athanor-iac/athanor"
	"github.com/athanor-iac/athanor/examples/org-flow-logs/orgflow"
	"github.com/athanor-iac/athanor/localcc"
)

// Given only a list of accounts (the organisation's ID unknown), the
// bucket policy lists them in aws:SourceAccount; given the organisation's
// ID as well, it names the organisation instead.
func TestBucketPolicySources(t *testing.T) {
	e := newEnv(t, localcc.Organization{Accounts: 2, Regions: regions[:1], VPCs: 1})
	listed := []string{mgmt, localcc.OrgMember(0), localcc.OrgMember(1)}
	e.cfg = orgflow.Config{Accounts: listed, Regions: regions[:1], Management: mgmt, LogArchive: localcc.OrgMember(0)}
	e.up()
	if pol := e.bucketPolicy(); !strings.Contains(pol, `"aws:SourceAccount":["111111111111","200000000001","200000000002"]`) || strings.Contains(pol, "aws:SourceOrgID") {
		t.Fatalf("policy for a list of accounts: %s", pol)
	}
	e.cfg.OrgID = e.orgID()
	e.up()
	if pol := e.bucketPolicy(); !strings.Contains(pol, `"aws:SourceOrgID":"`+e.orgID()+`"`) || strings.Contains(pol, "aws:SourceAccount") {
		t.Fatalf("policy with ORG_ID: %s", pol)
	}
}

// A list of accounts whose policy would pass S3's 20 KB is refused before
// any Cloud Control call, with an error that says how to name the
// organisation instead.
func TestBucketPolicyTooLarge(t *testing.T) {
	e := newEnv(t, localcc.Organization{Accounts: 1, Regions: regions[:1], VPCs: 1})
	var many []string
	for i := range 700 {
		many = append(many, fmt.Sprintf("3%011d", i))
	}
	e.cfg = orgflow.Config{Accounts: many, Regions: regions[:1], Management: mgmt, LogArchive: localcc.OrgMember(0)}
	var out bytes.Buffer
	code := athanor.Main(context.Background(), orgflow.AppName, append([]string{"plan"}, e.flags(e.state)...), &out, &out, e.cfg.Program)
	if code == 0 {
		t.Fatalf("a policy listing 700 accounts was accepted:\n%s", out.String())
	}
	for _, want := range []string{"700 accounts", "over S3's limit of 20480 bytes", "export ORG_ID=$(aws organizations describe-organization --query Organization.Id --output text)"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("error lacks %q:\n%s", want, out.String())
		}
	}
	for op := range e.srv.Metrics().Calls {
		if op != "GetCallerIdentity" {
			t.Errorf("%s called before the policy was refused", op)
		}
	}
}
