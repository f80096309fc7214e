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
	"sort"
	"strings"
	"sync"

	"github.com/athanor-iac/athanor"
	"github.com/athanor-iac/athanor/aws/ec2"
	"github.com/athanor-iac/athanor/aws/organizations"
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
			fmt.Fprintf(stdout, "Print which VPCs of the organisation have a flow log to the central bucket capturing all traffic, per account and region; change nothing.\n\nUsage:\n  %s coverage [--json] [plan flags: --endpoint, --state, --stage, --region, --profile, ...]\n", AppName)
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
		report = coverage.Compute(org.policy(app), scopes)
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

// noOrg says why nothing is covered.
const noOrg = "no organisation found from this account and ORG_ACCOUNTS is not set: nothing to cover. Run in the management account, or set ORG_ACCOUNTS, ORG_MANAGEMENT, ORG_LOG_ARCHIVE and ORG_REGIONS."

// org is the organisation as found: its accounts, the management and
// log-archive accounts, and the policy's bucket.
type org struct {
	Config
	accounts []string
	bucket   string
}

// discover finds the accounts, the management and the log-archive account.
// It returns nil, and no error, when the run's account sees no
// organisation and no accounts are given: there is nothing to cover.
func (c Config) discover(app *athanor.App) (*org, error) {
	o := &org{Config: c, accounts: c.Accounts}
	if o.Management == "" {
		orgs, err := organizations.ListOrganizations(app)
		if err == nil && len(orgs) == 0 && len(c.Accounts) == 0 {
			return nil, nil
		}
		if err != nil || len(orgs) == 0 {
			return nil, fmt.Errorf("finding the management account: %v; run in the management account, or set ORG_MANAGEMENT", err)
		}
		o.Management = orgs[0].ManagementAccountId
	}
	if len(o.accounts) == 0 || o.LogArchive == "" {
		accts, err := organizations.ListAccounts(app)
		if err != nil {
			return nil, fmt.Errorf("listing the organisation's accounts: %w; set ORG_ACCOUNTS and ORG_LOG_ARCHIVE instead", err)
		}
		for _, a := range accts {
			if len(c.Accounts) == 0 {
				o.accounts = append(o.accounts, a.AccountId)
			}
			if n := strings.ToLower(a.AccountName); o.LogArchive == "" && (n == "log-archive" || n == "log archive") {
				o.LogArchive = a.AccountId
			}
		}
	}
	if len(c.Regions) == 0 {
		return nil, errors.New("no regions to cover: set ORG_REGIONS (Config.Regions), e.g. ORG_REGIONS=us-east-1,eu-west-1")
	}
	if o.LogArchive == "" {
		return nil, errors.New("no account is named log-archive: set ORG_LOG_ARCHIVE to the account of the central bucket")
	}
	sort.Strings(o.accounts)
	o.bucket = o.Bucket
	if o.bucket == "" {
		o.bucket = "org-flow-logs-" + o.LogArchive
	}
	return o, nil
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
	before := coverage.Compute(pol, scopes)
	app.Log("coverage before: %d of %d VPCs (%s) in %d accounts and %d regions", before.Covered, before.Total, before.PercentText(), len(o.accounts), len(o.Regions))

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
	after := coverage.Compute(pol, withFlowLogs(scopes, made))
	app.Log("coverage after: %d of %d VPCs (%s)", after.Covered, after.Total, after.PercentText())
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

// declareBucket declares the central bucket and its policy in the
// log-archive account, and returns the policy, which flow logs must come
// after: without it EC2 tries to attach one of its own.
func (o *org) declareBucket(archive athanor.Declarer) (*s3.BucketPolicyResource, error) {
	bucket, err := s3.Bucket(archive, "centralBucket", s3.BucketProps{
		BucketName: o.bucket,
		BucketEncryption: &s3.BucketBucketEncryption{ServerSideEncryptionConfiguration: []s3.BucketServerSideEncryptionRule{{
			// SSE-S3: SSE-KMS would need a customer managed key whose key
			// policy admits delivery.logs.amazonaws.com as well.
			ServerSideEncryptionByDefault: &s3.BucketServerSideEncryptionByDefault{SSEAlgorithm: "AES256"},
		}}},
		PublicAccessBlockConfiguration: &s3.BucketPublicAccessBlockConfiguration{
			BlockPublicAcls: athanor.Bool(true), BlockPublicPolicy: athanor.Bool(true),
			IgnorePublicAcls: athanor.Bool(true), RestrictPublicBuckets: athanor.Bool(true),
		},
		LifecycleConfiguration: &s3.BucketLifecycleConfiguration{Rules: []s3.BucketRule{{
			Id: "archive-then-expire", Status: "Enabled",
			Transitions:      []s3.BucketTransition{{StorageClass: "GLACIER_IR", TransitionInDays: athanor.Int(90)}},
			ExpirationInDays: athanor.Int(400),
		}}},
	})
	if err != nil {
		return nil, err
	}
	return s3.BucketPolicy(archive, "centralBucketPolicy", s3.BucketPolicyProps{
		Bucket:         bucket.Resource.Identifier,
		PolicyDocument: deliveryPolicy(bucket.Arn, o.accounts),
	})
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

// deliveryPolicy is the bucket policy the VPC user guide gives for flow
// logs published to S3 from other accounts ("Amazon S3 bucket permissions
// for flow logs"): the log delivery service may write objects, owned by
// the bucket owner, and read the bucket's ACL, on behalf of the listed
// source accounts only. Bucket policies are capped at 20 KB, about 500
// accounts listed this way.
func deliveryPolicy(bucketARN string, accounts []string) map[string]any {
	principal := map[string]any{"Service": "delivery.logs.amazonaws.com"}
	return map[string]any{
		"Version": "2012-10-17",
		"Statement": []any{
			map[string]any{
				"Sid": "AWSLogDeliveryWrite", "Effect": "Allow", "Principal": principal,
				"Action": "s3:PutObject", "Resource": bucketARN + "/AWSLogs/*",
				"Condition": map[string]any{"StringEquals": map[string]any{
					"aws:SourceAccount": accounts,
					"s3:x-amz-acl":      "bucket-owner-full-control",
				}},
			},
			map[string]any{
				"Sid": "AWSLogDeliveryAclCheck", "Effect": "Allow", "Principal": principal,
				"Action": []string{"s3:GetBucketAcl", "s3:ListBucket"}, "Resource": bucketARN,
				"Condition": map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": accounts}},
			},
		},
	}
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
