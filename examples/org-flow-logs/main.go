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
//     write for the organisation's accounts (aws:SourceAccount), as the
//     VPC user guide documents for cross-account delivery;
//   - one flow log per VPC not yet covered: all traffic, to the bucket, in
//     Parquet with hourly partitions.
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
//	ORG_REGIONS=us-east-1,eu-west-1 go run ./examples/org-flow-logs coverage [--json]
//
// The program is in package orgflow, beside this file, so that the
// benchmarks run it too.
//
// Offline, against a generated organisation (management account
// 111111111111, member 200000000001 the log archive):
//
//	athanor local --account 111111111111 --org accounts=3,regions=us-east-1+eu-west-1,vpcs=3,covered=0.2 --seed 1
//	export AWS_ENDPOINT_URL_CLOUDCONTROL=http://127.0.0.1:4566 AWS_ENDPOINT_URL_STS=http://127.0.0.1:4566
//	ORG_REGIONS=us-east-1,eu-west-1 go run ./examples/org-flow-logs coverage
//	ORG_REGIONS=us-east-1,eu-west-1 go run ./examples/org-flow-logs --yes
package main

import (
	"context"
	"os"
	"os/signal"
	"strings"

	"github.com/athanor-iac/athanor"
	"github.com/athanor-iac/athanor/examples/org-flow-logs/orgflow"
	_ "github.com/athanor-iac/athanor/localcc" // --local: the embedded local endpoint; drop to leave it out of the binary
)

// configFromEnv reads ORG_ACCOUNTS, ORG_REGIONS, ORG_MANAGEMENT,
// ORG_LOG_ARCHIVE, ORG_ROLE and ORG_BUCKET.
func configFromEnv() orgflow.Config {
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
		LogArchive: os.Getenv("ORG_LOG_ARCHIVE"), Role: os.Getenv("ORG_ROLE"), Bucket: os.Getenv("ORG_BUCKET")}
	return c
}

func main() {
	c := configFromEnv()
	if len(os.Args) > 1 && os.Args[1] == "coverage" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
		code := c.Coverage(ctx, os.Args[2:], os.Stdout, os.Stderr)
		stop()
		os.Exit(code)
	}
	athanor.Run("org-flow-logs", c.Program)
}
