package orgflow

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/athanor-iac/athanor"
	"github.com/athanor-iac/athanor/aws/organizations"
	"github.com/athanor-iac/athanor/coverage"
)

// noOrg says why nothing is covered.
const noOrg = "no organisation found from this account and ORG_ACCOUNTS is not set: nothing to cover. Run in the management account, or set ORG_ACCOUNTS, ORG_MANAGEMENT, ORG_LOG_ARCHIVE and ORG_REGIONS."

// org is the organisation as found: the accounts to cover, those skipped
// and why, the management and log-archive accounts, the organisation's
// ID when known, and the policy's bucket.
type org struct {
	Config
	accounts []string
	skipped  []coverage.Skipped
	orgID    string
	bucket   string
}

// discover finds the accounts, the management and the log-archive
// account, and the organisation's ID. It returns nil, and no error, when
// the run's account sees no organisation and no accounts are given:
// there is nothing to cover. It checks the bucket policy's size before
// anything is declared.
func (c Config) discover(app *athanor.App) (*org, error) {
	o := &org{Config: c, accounts: c.Accounts, orgID: c.OrgID}
	if o.Management == "" {
		orgs, err := organizations.ListOrganizations(app)
		if err == nil && len(orgs) == 0 && len(c.Accounts) == 0 {
			return nil, nil
		}
		if err != nil || len(orgs) == 0 {
			return nil, fmt.Errorf("finding the management account: %v; run in the management account, or set ORG_MANAGEMENT", err)
		}
		o.Management = orgs[0].ManagementAccountId
		if o.orgID == "" {
			o.orgID = orgs[0].Id
		}
	}
	if len(o.accounts) == 0 || o.LogArchive == "" {
		accts, err := organizations.ListAccounts(app)
		if err != nil {
			return nil, fmt.Errorf("listing the organisation's accounts: %w; set ORG_ACCOUNTS and ORG_LOG_ARCHIVE instead", err)
		}
		for _, a := range accts {
			if n := strings.ToLower(a.AccountName); o.LogArchive == "" && (n == "log-archive" || n == "log archive") {
				o.LogArchive = a.AccountId
			}
		}
		if len(c.Accounts) == 0 {
			if o.accounts, o.skipped, err = o.active(app, accts); err != nil {
				return nil, err
			}
		}
	}
	if len(c.Regions) == 0 {
		return nil, errors.New("no regions to cover: set ORG_REGIONS (Config.Regions), e.g. ORG_REGIONS=us-east-1,eu-west-1")
	}
	if o.LogArchive == "" {
		return nil, errors.New("no account is named log-archive: set ORG_LOG_ARCHIVE to the account of the central bucket")
	}
	for _, s := range o.skipped {
		if s.Account == o.LogArchive {
			return nil, fmt.Errorf("the log-archive account %s is skipped (%s): the central bucket cannot be made there; set ORG_LOG_ARCHIVE to an active account", o.LogArchive, s.Reason)
		}
	}
	sort.Strings(o.accounts)
	o.bucket = o.Bucket
	if o.bucket == "" {
		o.bucket = "org-flow-logs-" + o.LogArchive
	}
	if err := o.checkPolicySize(); err != nil {
		return nil, err
	}
	return o, nil
}

// active splits the organisation's accounts into those to cover and those
// to skip: an account that is SUSPENDED (closed, kept in the organisation
// for 90 days) or PENDING_CLOSURE cannot be entered, as STS refuses to
// assume roles in it with AccessDenied, so it is listed as skipped with
// its status rather than failing the run or counting as uncovered.
//
// Cloud Control's list of AWS::Organizations::Account returns only
// AccountId, AccountName and Email (research/scopes-and-org.md section D),
// so the status of each member is read with GetResource, one call per
// member, at once; the list's omission is read from the handler's source,
// while that the read returns Status is INFERRED (the read handler calls
// DescribeAccount, and the schema lists Status and State as read-only
// properties a read must return). A status already in the list is used
// as it is. The management account runs the program and needs no look.
func (o *org) active(app *athanor.App, accts []*organizations.AccountResource) ([]string, []coverage.Skipped, error) {
	var jobs []func() (*organizations.AccountResource, error)
	for _, a := range accts {
		if a.AccountId == o.Management || statusOf(a) != "" {
			jobs = append(jobs, func() (*organizations.AccountResource, error) { return a, nil })
			continue
		}
		jobs = append(jobs, func() (*organizations.AccountResource, error) {
			full, err := organizations.GetAccount(app, a.AccountId)
			if err != nil {
				return nil, fmt.Errorf("reading the status of account %s: %w; or set ORG_ACCOUNTS to the accounts to cover", a.AccountId, err)
			}
			return full, nil
		})
	}
	read, err := parallel(jobs)
	if err != nil {
		return nil, nil, err
	}
	var ids []string
	var skipped []coverage.Skipped
	for _, a := range read {
		switch st := statusOf(a); st {
		case organizations.AccountStatusSuspended, organizations.AccountStatusPendingClosure, organizations.AccountStateClosed:
			skipped = append(skipped, coverage.Skipped{Account: a.AccountId, Reason: "account is " + st + ", its roles cannot be assumed"})
		default:
			ids = append(ids, a.AccountId)
		}
	}
	return ids, skipped, nil
}

// statusOf is an account's State, or its older Status when State is not
// given; "" when neither is (as in a Cloud Control list).
func statusOf(a *organizations.AccountResource) string {
	if a.State != "" {
		return a.State
	}
	return a.Status
}
