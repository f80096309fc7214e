package localcc

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
)

// Organization describes a generated AWS organisation for the endpoint to
// start with, so that programs that cover every account and region (such
// as examples/org-flow-logs) and the benchmarks run offline: a management
// account (Options.Account), member accounts each with a role the
// management account may assume, VPCs in every account and region, and a
// share of them already watched by a flow log that someone else made.
//
// The same Organization and Seed always give the same accounts, VPC IDs
// and covered VPCs.
type Organization struct {
	// Accounts is how many member accounts there are besides the
	// management account; the first is the log-archive account.
	Accounts int
	// Regions are where VPCs are made; empty means Options.Regions, or
	// else Options.Region.
	Regions []string
	// VPCs is how many VPCs each account has in each region, the
	// management account included.
	VPCs int
	// Covered is the fraction in [0, 1] of VPCs that already have a flow
	// log delivering all traffic to Bucket, as if made before the program
	// ran (by a console user, another tool).
	Covered float64
	// RoleName is the role in each member account that trusts the
	// management account; empty means OrganizationAccountAccessRole, the
	// role AWS Organizations creates in accounts it makes.
	RoleName string
	// Bucket names the central flow-log bucket the covered VPCs' flow logs
	// deliver to; empty means OrgBucket(log-archive account).
	Bucket string
	// Suspended is how many member accounts are SUSPENDED (closed, kept
	// in the organisation for 90 days) and Closing how many are
	// PENDING_CLOSURE: the last members, never the log-archive account.
	// Their VPCs exist, but STS refuses to assume roles in them, as AWS
	// does (see Server.inactiveAccount).
	Suspended, Closing int
}

// DefaultOrgRole is the role AWS Organizations creates in new member
// accounts, trusting the management account.
const DefaultOrgRole = "OrganizationAccountAccessRole"

// OrgMember returns the ID of member account i (0-based) of a generated
// organisation: 200000000001, 200000000002, ... Member 0 is the
// log-archive account.
func OrgMember(i int) string { return fmt.Sprintf("2%011d", i+1) }

// OrgBucket is the default central bucket of a generated organisation
// whose log-archive account is logArchive.
func OrgBucket(logArchive string) string { return "org-flow-logs-" + logArchive }

// ParseOrganization reads the --org flag's form,
// "accounts=N,regions=R1+R2,vpcs=N,covered=F[,suspended=N][,closing=N][,role=NAME][,bucket=NAME]",
// reporting every mistake at once.
func ParseOrganization(s string) (Organization, error) {
	var o Organization
	var errs []string
	for _, kv := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if !ok {
			errs = append(errs, fmt.Sprintf("%q is not KEY=VALUE", kv))
			continue
		}
		var err error
		switch k {
		case "accounts":
			o.Accounts, err = strconv.Atoi(v)
			if err == nil && o.Accounts < 1 {
				err = fmt.Errorf("need at least 1")
			}
		case "vpcs":
			o.VPCs, err = strconv.Atoi(v)
			if err == nil && o.VPCs < 0 {
				err = fmt.Errorf("cannot be negative")
			}
		case "covered":
			o.Covered, err = strconv.ParseFloat(v, 64)
			if err == nil && (o.Covered < 0 || o.Covered > 1) {
				err = fmt.Errorf("must be between 0 and 1")
			}
		case "regions":
			for _, r := range strings.Split(v, "+") {
				if !regionRE.MatchString(r) {
					err = fmt.Errorf("%q is not a region name like us-east-1", r)
					break
				}
				o.Regions = append(o.Regions, r)
			}
		case "suspended", "closing":
			var n int
			n, err = strconv.Atoi(v)
			if err == nil && n < 0 {
				err = fmt.Errorf("cannot be negative")
			}
			if k == "suspended" {
				o.Suspended = n
			} else {
				o.Closing = n
			}
		case "role":
			o.RoleName = v
		case "bucket":
			o.Bucket = v
		default:
			err = fmt.Errorf("unknown key (want accounts, regions, vpcs, covered, suspended, closing, role or bucket)")
		}
		if err != nil {
			errs = append(errs, fmt.Sprintf("%s=%s: %v", k, v, err))
		}
	}
	if o.Accounts == 0 && len(errs) == 0 {
		errs = append(errs, "accounts=N is required")
	}
	if o.Accounts > 0 && o.Suspended+o.Closing > o.Accounts-1 {
		errs = append(errs, fmt.Sprintf("suspended=%d and closing=%d leave no room: at most accounts-1 = %d members can be inactive, the first (the log archive) stays active", o.Suspended, o.Closing, o.Accounts-1))
	}
	if len(errs) > 0 {
		return Organization{}, fmt.Errorf("%s (expected e.g. accounts=20,regions=us-east-1+eu-west-1,vpcs=12,covered=0.1,suspended=1)", strings.Join(errs, "; "))
	}
	return o, nil
}

// Account statuses of AWS::Organizations::Account (its read-only Status;
// State, which Organizations added later, takes the same values here).
const (
	AccountActive         = "ACTIVE"
	AccountSuspended      = "SUSPENDED"
	AccountPendingClosure = "PENDING_CLOSURE"
)

// StatusOf returns the status of member i (0-based): the last Suspended
// members are SUSPENDED, the Closing before them PENDING_CLOSURE, the
// rest ACTIVE.
func (o Organization) StatusOf(i int) string {
	switch {
	case i >= o.Accounts-o.Suspended:
		return AccountSuspended
	case i >= o.Accounts-o.Suspended-o.Closing:
		return AccountPendingClosure
	}
	return AccountActive
}

// Members returns the member account IDs, the log-archive account first.
func (o Organization) Members() []string {
	out := make([]string, o.Accounts)
	for i := range out {
		out[i] = OrgMember(i)
	}
	return out
}

// Fixtures generates the organisation's resources for management account
// mgmt, defaultRegions standing in for an empty Regions: the
// AWS::Organizations::Organization and AWS::Organizations::Account of
// every account (in the management account, as Organizations lists them), each member's role, the VPCs and
// the flow logs of the covered ones. seed makes it repeatable.
func (o Organization) Fixtures(mgmt string, defaultRegions []string, seed uint64) []Fixture {
	regions := o.Regions
	if len(regions) == 0 {
		regions = defaultRegions
	}
	role := o.RoleName
	if role == "" {
		role = DefaultOrgRole
	}
	members := o.Members()
	bucket := o.Bucket
	if bucket == "" && len(members) > 0 {
		bucket = OrgBucket(members[0])
	}
	rng := rand.New(rand.NewPCG(seed, seed^0x6f7267)) // "org"
	trust := map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{
		"Effect": "Allow", "Principal": map[string]any{"AWS": "arn:aws:iam::" + mgmt + ":root"}, "Action": "sts:AssumeRole"}}}

	var fx []Fixture
	account := func(id, name, status string) {
		fx = append(fx, Fixture{Type: "AWS::Organizations::Account", Account: mgmt, Properties: map[string]any{
			"AccountId": id, "AccountName": name, "Email": name + "@example.com", "Status": status, "State": status, "JoinedMethod": "CREATED"}})
	}
	fx = append(fx, Fixture{Type: "AWS::Organizations::Organization", Account: mgmt, Properties: map[string]any{
		"Id": fmt.Sprintf("o-%010x", rng.Uint64()&0xffffffffff), "FeatureSet": "ALL",
		"ManagementAccountId": mgmt, "ManagementAccountArn": "arn:aws:organizations::" + mgmt + ":account", "ManagementAccountEmail": "management@example.com"}})
	account(mgmt, "management", AccountActive)
	for i, m := range members {
		name := fmt.Sprintf("member-%d", i+1)
		if i == 0 {
			name = "log-archive"
		}
		account(m, name, o.StatusOf(i))
		fx = append(fx, Fixture{Type: "AWS::IAM::Role", Account: m, Properties: map[string]any{"RoleName": role, "AssumeRolePolicyDocument": trust}})
	}
	for ai, acct := range append([]string{mgmt}, members...) {
		for ri, region := range regions {
			for v := 0; v < o.VPCs; v++ {
				vpc := fmt.Sprintf("vpc-%017x", rng.Uint64())
				fx = append(fx, Fixture{Type: "AWS::EC2::VPC", Account: acct, Region: region, Properties: map[string]any{
					"VpcId": vpc, "CidrBlock": fmt.Sprintf("10.%d.%d.0/24", (ai*len(regions)+ri)%256, v%256)}})
				if rng.Float64() < o.Covered {
					fx = append(fx, Fixture{Type: flowLogType, Account: acct, Region: region, Properties: map[string]any{
						"Id": fmt.Sprintf("fl-%017x", rng.Uint64()), "ResourceId": vpc, "ResourceType": "VPC", "TrafficType": "ALL",
						"LogDestinationType": "s3", "LogDestination": "arn:aws:s3:::" + bucket,
						"Tags": []any{map[string]any{"Key": "CreatedBy", "Value": "someone-else"}}}})
				}
			}
		}
	}
	return fx
}

// inactiveAccount returns the status of account id when an
// AWS::Organizations::Account of the endpoint says it is SUSPENDED,
// PENDING_CLOSURE or CLOSED (State, else Status), and "" otherwise.
// Called with s.mu held.
func (s *Server) inactiveAccount(id string) string {
	for sc, byType := range s.resources {
		if sc.Region != "" {
			continue // Organizations' resources are global: no region
		}
		for _, r := range byType["AWS::Organizations::Account"] {
			if str(r.Model, "AccountId") != id {
				continue
			}
			st := str(r.Model, "State")
			if st == "" {
				st = str(r.Model, "Status")
			}
			switch st {
			case AccountSuspended, AccountPendingClosure, "CLOSED":
				return st
			}
		}
	}
	return ""
}
