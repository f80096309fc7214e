package orgflow_test

import (
	"strings"
	"testing"

	"github.com/athanor-iac/athanor/localcc"
)

// Suspended and closing accounts are skipped, not entered (STS refuses
// their roles) and not counted as uncovered: the report lists them with
// their status, coverage reaches 100 % of the rest, and none of their
// VPCs gets a flow log.
func TestInactiveAccountsSkipped(t *testing.T) {
	org := localcc.Organization{Accounts: 4, Regions: regions[:1], VPCs: 2, Suspended: 1, Closing: 1}
	e := newEnv(t, org)
	suspended, closing := localcc.OrgMember(3), localcc.OrgMember(2)

	before := e.coverage()
	if before.Total != 6 || len(before.Scopes) != 3 || len(before.Skipped) != 2 {
		t.Fatalf("before: %d VPCs in %d scopes, %d skipped; want 6 in 3 (management and two active members), 2 skipped", before.Total, len(before.Scopes), len(before.Skipped))
	}
	if s := before.Skipped; s[0].Account != closing || !strings.Contains(s[0].Reason, "PENDING_CLOSURE") || s[1].Account != suspended || !strings.Contains(s[1].Reason, "SUSPENDED") {
		t.Fatalf("skipped: %+v", s)
	}
	out := e.up()
	for _, want := range []string{"skipping account " + suspended + ": account is SUSPENDED", "coverage after: 6 of 6 VPCs (100 %); skipped, not counted: 2 accounts"} {
		if !strings.Contains(out, want) {
			t.Fatalf("run output lacks %q:\n%s", want, out)
		}
	}
	for _, acct := range []string{suspended, closing} {
		if fls := e.srv.ResourcesIn(localcc.Scope{Account: acct, Region: regions[0]}, "AWS::EC2::FlowLog"); len(fls) != 0 {
			t.Fatalf("%d flow logs in the inactive account %s", len(fls), acct)
		}
	}
}
