// Package orgflow is the program of examples/org-flow-logs, importable so
// that the benchmarks run the same program: flow logs for every VPC of an
// organisation to a central bucket, and the coverage report. See the
// example's main.go for what it declares and why.
package orgflow

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/athanor-iac/athanor"
	"github.com/athanor-iac/athanor/aws/ec2"
	"github.com/athanor-iac/athanor/aws/s3"
	"github.com/athanor-iac/athanor/coverage"
)

// AppName is the program's name in the state.
const AppName = "org-flow-logs"

// ManagedTag marks the flow logs this program made.
const ManagedTag = "ManagedBy"

// DefaultRole is the role AWS Organizations makes in member accounts.
const DefaultRole = "OrganizationAccountAccessRole"

// Config says which organisation to cover; main.go reads it from the environment.
type Config struct {
	// Accounts are the accounts to cover; empty means every account
	// AWS::Organizations::Account lists from the management account.
	Accounts []string
	// Regions are the regions to cover.
	Regions []string
	// Management is the account the program runs in (reached without a
	// role); empty means the organisation's ManagementAccountId.
	Management string
	// LogArchive is the account of the central bucket; empty means the
	// account named "log-archive" (or "Log Archive").
	LogArchive string
	// Role is the role assumed in every other account; empty means
	// DefaultRole.
	Role string
	// Bucket names the central bucket; empty means
	// org-flow-logs-LOGARCHIVE.
	Bucket string
	// OrgID is the organisation's ID (o-...); empty means the one found
	// from the management account, if any. When it is known the bucket
	// policy admits the organisation (aws:SourceOrgID), one size for any
	// number of accounts; when not, it lists the accounts
	// (aws:SourceAccount), and a list over S3's 20 KB policy limit is
	// refused before any call.
	OrgID string
	// KMS encrypts the central bucket with a customer managed KMS key
	// declared beside it (SSE-KMS) instead of S3 managed keys (SSE-S3);
	// the key policy lets delivery.logs.amazonaws.com use it for the
	// same sources as the bucket policy.
	KMS bool
}

// Coverage prints the coverage report (a table, or JSON with
// --json) and changes nothing: it plans with a program that only looks.
// Other arguments go to the plan (--endpoint, --state, --stage, ...).
func (c Config) Coverage(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	asJSON := false
	var rest []string
	for _, a := range args {
		switch a {
		case "--json":
			asJSON = true
			continue
		case "-h", "--help":
			fmt.Fprintf(stdout, "Print which VPCs of the organisation have a flow log to the central bucket capturing all traffic, per account and region, and which accounts were skipped (SUSPENDED or PENDING_CLOSURE: their roles cannot be assumed); change nothing.\n\nUsage:\n  %s coverage [--json] [plan flags: --endpoint, --state, --stage, --region, --profile, ...]\n", AppName)
			return athanor.ExitOK
		}
		rest = append(rest, a)
	}
	var report coverage.Report
	code := athanor.Main(ctx, AppName, append([]string{"plan"}, rest...), io.Discard, stderr, func(app *athanor.App) error {
		org, err := c.discover(app)
		if err != nil {
			return err
		}
		if org == nil {
			fmt.Fprintln(stderr, noOrg)
			return nil
		}
		scopes, err := org.lookAll(app)
		if err != nil {
			return err
		}
		report = coverage.Compute(org.policy(app), scopes, org.skipped...)
		// Declaring nothing plans deleting what the program manages;
		// the plan is discarded and nothing is applied.
		return nil
	})
	if code != athanor.ExitOK {
		return code
	}
	if asJSON {
		report.WriteJSON(stdout)
	} else {
		report.WriteTable(stdout)
	}
	return athanor.ExitOK
}

// in is the Declarer for an account and region: the management account
// directly, every other through its role.
func (o *org) in(app *athanor.App, account, region string) athanor.Declarer {
	opts := athanor.ScopeOptions{Region: region}
	if account != o.Management {
		role := o.Role
		if role == "" {
			role = DefaultRole
		}
		opts.RoleARN = "arn:aws:iam::" + account + ":role/" + role
	}
	return app.Scope(opts)
}

func (o *org) policy(app *athanor.App) coverage.Policy {
	return coverage.Policy{Bucket: "arn:aws:s3:::" + o.bucket, TrafficType: ec2.FlowLogTrafficTypeAll,
		Managed: coverage.Tagged(ManagedTag, managedBy(app))}
}

func managedBy(app *athanor.App) string { return "athanor/" + AppName + "/" + app.Stage() }

// look finds the VPCs and flow logs of one account and region.
func (o *org) look(app *athanor.App, account, region string) (coverage.Scope, error) {
	in := o.in(app, account, region)
	vpcs, err := ec2.ListVPCs(in)
	if err != nil {
		return coverage.Scope{}, err
	}
	fls, err := ec2.ListFlowLogs(in)
	if err != nil {
		return coverage.Scope{}, err
	}
	return coverage.FromLookups(account, region, vpcs, fls), nil
}

// lookAll looks in every account and region at once.
func (o *org) lookAll(app *athanor.App) ([]coverage.Scope, error) {
	var jobs []func() (coverage.Scope, error)
	for _, acct := range o.accounts {
		for _, region := range o.Regions {
			jobs = append(jobs, func() (coverage.Scope, error) { return o.look(app, acct, region) })
		}
	}
	return parallel(jobs)
}

// Program declares the central bucket and the missing flow logs, and logs
// the coverage before and after.
func (c Config) Program(app *athanor.App) error {
	o, err := c.discover(app)
	if err != nil {
		return err
	}
	if o == nil {
		app.Log(noOrg)
		return nil
	}
	archive := o.in(app, o.LogArchive, o.Regions[0])
	policy, err := o.declareBucket(archive)
	if err != nil {
		return err
	}
	scopes, err := o.lookAll(app)
	if err != nil {
		return err
	}
	pol := o.policy(app)
	before := coverage.Compute(pol, scopes, o.skipped...)
	for _, s := range o.skipped {
		app.Log("skipping account %s: %s", s.Account, s.Reason)
	}
	app.Log("coverage before: %d of %d VPCs (%s) in %d accounts and %d regions%s", before.Covered, before.Total, before.PercentText(), len(o.accounts), len(o.Regions), before.SkippedText())

	var jobs []func() (coverage.Scope, error)
	for _, sc := range before.Scopes {
		for _, v := range sc.VPCs {
			if v.Covered && v.ByOthers {
				continue // someone else's flow log meets the policy: leave it
			}
			jobs = append(jobs, func() (coverage.Scope, error) {
				fl, err := o.declareFlowLog(app, sc.Account, sc.Region, v.ID, policy)
				if err != nil {
					return coverage.Scope{}, err
				}
				return coverage.Scope{Account: sc.Account, Region: sc.Region, FlowLogs: []coverage.FlowLog{fl}}, nil
			})
		}
	}
	made, err := parallel(jobs)
	if err != nil || app.Planning() {
		return err
	}
	after := coverage.Compute(pol, withFlowLogs(scopes, made), o.skipped...)
	app.Log("coverage after: %d of %d VPCs (%s)%s", after.Covered, after.Total, after.PercentText(), after.SkippedText())
	return nil
}

// withFlowLogs adds the flow logs of made to the scopes they were made in.
func withFlowLogs(scopes []coverage.Scope, made []coverage.Scope) []coverage.Scope {
	out := append([]coverage.Scope(nil), scopes...)
	at := map[string]int{}
	for i, s := range out {
		at[s.Account+"/"+s.Region] = i
	}
	for _, m := range made {
		for _, fl := range m.FlowLogs {
			i := at[m.Account+"/"+m.Region]
			out[i].FlowLogs = append(out[i].FlowLogs, fl)
		}
	}
	return out
}

// declareFlowLog declares the flow log of one VPC and returns it as
// coverage sees it.
func (o *org) declareFlowLog(app *athanor.App, account, region, vpc string, after *s3.BucketPolicyResource) (coverage.FlowLog, error) {
	props := ec2.FlowLogProps{
		ResourceId:         vpc,
		ResourceType:       ec2.FlowLogResourceTypeVpc,
		TrafficType:        ec2.FlowLogTrafficTypeAll,
		LogDestinationType: ec2.FlowLogLogDestinationTypeS3,
		LogDestination:     "arn:aws:s3:::" + o.bucket,
		DestinationOptions: &ec2.FlowLogDestinationOptions{
			FileFormat:       ec2.FlowLogDestinationOptionsFileFormatParquet,
			PerHourPartition: true,
		},
		Tags: []athanor.Tag{{Key: ManagedTag, Value: managedBy(app)}},
	}
	fl, err := ec2.FlowLog(o.in(app, account, region), "flowLog-"+account+"-"+region+"-"+vpc, props, athanor.DependsOn(after))
	if err != nil {
		return coverage.FlowLog{}, err
	}
	return coverage.FlowLog{ID: fl.Id, ResourceID: vpc, ResourceType: props.ResourceType, TrafficType: props.TrafficType,
		LogDestinationType: props.LogDestinationType, LogDestination: props.LogDestination,
		Tags: map[string]string{ManagedTag: managedBy(app)}}, nil
}

// parallel runs the jobs at once and returns their results in order, or
// their errors together. The engine bounds the calls in flight.
func parallel[T any](jobs []func() (T, error)) ([]T, error) {
	out := make([]T, len(jobs))
	errs := make([]error, len(jobs))
	var wg sync.WaitGroup
	for i, job := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i], errs[i] = job()
		}()
	}
	wg.Wait()
	return out, errors.Join(errs...)
}
