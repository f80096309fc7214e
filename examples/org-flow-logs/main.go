// Command org-flow-logs gives every VPC of every account and region of an
// AWS organisation a flow log to one central bucket, in one program: what
// AWS Config's vpc-flow-logs-enabled rule (CIS AWS Foundations 3.9) asks
// for, delivering where a log archive wants it.
//
// It runs in the organisation's management account. It finds the accounts
// (AWS::Organizations::Account through Cloud Control, or ORG_ACCOUNTS),
// reaches each through the role AWS Organizations made there
// (OrganizationAccountAccessRole, or ORG_ROLE), finds every VPC and flow
// log of every region in ORG_REGIONS with lookups, and declares:
//
//   - in the log-archive account (the account named "log-archive", or
//     ORG_LOG_ARCHIVE), the central bucket, encrypted, private, with a
//     lifecycle, and its bucket policy letting delivery.logs.amazonaws.com
//     write for the organisation, as the VPC user guide documents for
//     cross-account delivery;
//   - with ORG_KMS=true, a customer managed KMS key beside it that
//     encrypts the bucket (SSE-KMS, instead of SSE-S3), its key policy
//     letting delivery.logs.amazonaws.com use it for the same sources;
//   - one flow log per VPC not yet covered: all traffic, to the bucket, in
//     Parquet with hourly partitions.
//
// Who may deliver: when the organisation's ID is known (found from the
// management account, or ORG_ID) the bucket and key policies name it
// (aws:SourceOrgID), one size for any number of accounts. When it is not
// (ORG_MANAGEMENT and ORG_ACCOUNTS given, no ORG_ID) they list the
// accounts (aws:SourceAccount); a list that would pass S3's 20 KB
// bucket-policy limit, about 660 accounts, is refused before any call.
//
// Accounts that are SUSPENDED or PENDING_CLOSURE (their status read with
// one GetResource each, as Cloud Control's list leaves it out) are
// skipped: STS refuses to assume roles in them. The run log and the
// coverage report list them as skipped with their status, apart from the
// covered and uncovered counts. Accounts given in ORG_ACCOUNTS are taken
// as given.
//
// A VPC already covered by a flow log someone else made (to the bucket,
// all traffic) is left alone: EC2 refuses a second flow log with the same
// destination, and taking the flow log over would make destroying this
// program delete what its owner relies on. The program tags its own flow
// logs (ManagedBy) to tell them apart.
//
// A rerun after a VPC appears creates exactly its flow log; a VPC deleted
// takes its flow logs with it (EC2 deletes them), and the rerun drops
// that flow log from the state.
//
//	ORG_REGIONS=us-east-1,eu-west-1 go run ./examples/org-flow-logs plan
//	ORG_REGIONS=us-east-1,eu-west-1 go run ./examples/org-flow-logs --yes
//	ORG_REGIONS=us-east-1,eu-west-1 ORG_KMS=true go run ./examples/org-flow-logs --yes
//	ORG_REGIONS=us-east-1,eu-west-1 go run ./examples/org-flow-logs coverage [--json]
//
// The program is in package orgflow, beside this file, so that the
// benchmarks run it too.
//
// Offline, against a generated organisation (management account
// 111111111111, member 200000000001 the log archive, the last member
// suspended):
//
//	athanor local --account 111111111111 --org accounts=3,regions=us-east-1+eu-west-1,vpcs=3,covered=0.2,suspended=1 --seed 1
//	export AWS_ENDPOINT_URL_CLOUDCONTROL=http://127.0.0.1:4566 AWS_ENDPOINT_URL_STS=http://127.0.0.1:4566
//	ORG_REGIONS=us-east-1,eu-west-1 go run ./examples/org-flow-logs coverage
//	ORG_REGIONS=us-east-1,eu-west-1 go run ./examples/org-flow-logs --yes
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"regexp"
	"strconv"
	"strings"

	"github.com/athanor-iac/athanor"
	"github.com/athanor-iac/athanor/examples/org-flow-logs/orgflow"
	_ "github.com/athanor-iac/athanor/localcc" // --local: the embedded local endpoint; drop to leave it out of the binary
)

// configFromEnv reads ORG_ACCOUNTS, ORG_REGIONS, ORG_MANAGEMENT,
// ORG_LOG_ARCHIVE, ORG_ROLE, ORG_BUCKET, ORG_ID and ORG_KMS, reporting
// every malformed value at once.
func configFromEnv() (orgflow.Config, error) {
	list := func(k string) []string {
		var out []string
		for _, s := range strings.Split(os.Getenv(k), ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
		return out
	}
	c := orgflow.Config{Accounts: list("ORG_ACCOUNTS"), Regions: list("ORG_REGIONS"), Management: os.Getenv("ORG_MANAGEMENT"),
		LogArchive: os.Getenv("ORG_LOG_ARCHIVE"), Role: os.Getenv("ORG_ROLE"), Bucket: os.Getenv("ORG_BUCKET"), OrgID: os.Getenv("ORG_ID")}
	var errs []error
	if v := os.Getenv("ORG_KMS"); v != "" {
		kms, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("ORG_KMS=%s: want true or false (ORG_KMS=true encrypts the central bucket with a KMS key)", v))
		}
		c.KMS = kms
	}
	if c.OrgID != "" && !orgIDRE.MatchString(c.OrgID) {
		errs = append(errs, fmt.Errorf("ORG_ID=%s: not an organisation ID like o-a1b2c3d4e5; print yours with: aws organizations describe-organization --query Organization.Id --output text", c.OrgID))
	}
	return c, errors.Join(errs...)
}

// orgIDRE is the form of an organisation ID (AWS::Organizations::Organization Id).
var orgIDRE = regexp.MustCompile(`^o-[a-z0-9]{10,32}$`)

func main() {
	c, err := configFromEnv()
	if err != nil {
		fmt.Fprintf(os.Stderr, "error: %v\n", err)
		os.Exit(athanor.ExitUsage)
	}
	if len(os.Args) > 1 && os.Args[1] == "coverage" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
		code := c.Coverage(ctx, os.Args[2:], os.Stdout, os.Stderr)
		stop()
		os.Exit(code)
	}
	athanor.Run("org-flow-logs", c.Program)
}
