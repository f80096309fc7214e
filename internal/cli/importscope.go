package cli

import (
	"fmt"
	"regexp"
	"time"

	"github.com/athanor-iac/athanor/internal/cli/cmdutil"
	"github.com/athanor-iac/athanor/internal/cli/runner"
	"github.com/athanor-iac/athanor/state"
)

// ImportScope is the scope a resource to import lives in, as the program
// declares it (athanor.ScopeOptions): empty for the program's own account
// and region.
type ImportScope struct {
	Region      string        // ScopeOptions.Region (--scope-region)
	RoleARN     string        // ScopeOptions.RoleARN (--role-arn)
	ExternalID  string        // ScopeOptions.ExternalID (--external-id)
	SessionName string        // ScopeOptions.SessionName (--session-name)
	Duration    time.Duration // ScopeOptions.Duration (--role-duration)
	Profile     string        // ScopeOptions.Profile (--scope-profile)
	// Account, when set, is where the scope must lead (--account): a
	// check, since the role or profile decides the account.
	Account string
}

// STS's limits (research: scopes-and-org A4), checked before anything is
// sent.
var (
	roleARNRE     = regexp.MustCompile(`^arn:aws[a-z-]*:iam::([0-9]{12}):role/(?:[\x21-\x7e]*/)?[\w+=,.@-]+$`)
	sessionNameRE = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)
	externalIDRE  = regexp.MustCompile(`^[\w+=,.@:/-]+$`)
)

const (
	minRoleDuration = 15 * time.Minute
	maxRoleDuration = 12 * time.Hour
)

// set says whether any scope flag was given.
func (s ImportScope) set() bool { return s != ImportScope{} }

// spec checks the scope flags, every mistake at once, and returns the
// spec a program's athanor.Scope with these options resolves, defaults
// included, so that the record matches the program's.
func (s ImportScope) spec() (state.Scope, []error) {
	var errs []error
	if s.Region != "" && !regionRE.MatchString(s.Region) {
		errs = append(errs, fmt.Errorf("--scope-region %q: give a region name, such as eu-west-1", s.Region))
	}
	if s.Account != "" && !accountRE.MatchString(s.Account) {
		errs = append(errs, fmt.Errorf("--account %q: give the 12-digit account ID, such as 222222222222", s.Account))
	}
	if s.RoleARN != "" {
		m := roleARNRE.FindStringSubmatch(s.RoleARN)
		switch {
		case m == nil:
			errs = append(errs, fmt.Errorf("--role-arn %q: give a role's ARN, such as arn:aws:iam::222222222222:role/Deploy", s.RoleARN))
		case s.Account != "" && accountRE.MatchString(s.Account) && m[1] != s.Account:
			errs = append(errs, fmt.Errorf("--role-arn %s is a role of account %s, not of --account %s: give the role of the account the resource is in", s.RoleARN, m[1], s.Account))
		}
	} else {
		for _, f := range []struct{ name, value string }{{"--external-id", s.ExternalID}, {"--session-name", s.SessionName}} {
			if f.value != "" {
				errs = append(errs, fmt.Errorf("%s is sent when assuming --role-arn: give --role-arn too, or drop %s", f.name, f.name))
			}
		}
		if s.Duration != 0 {
			errs = append(errs, fmt.Errorf("--role-duration is how long --role-arn's credentials last: give --role-arn too, or drop --role-duration"))
		}
	}
	if n := len(s.ExternalID); n > 0 && (n < 2 || n > 1224 || !externalIDRE.MatchString(s.ExternalID)) {
		errs = append(errs, fmt.Errorf("--external-id %q: 2 to 1224 letters, digits and +=,.@:/-", s.ExternalID))
	}
	if s.SessionName != "" && !sessionNameRE.MatchString(s.SessionName) {
		errs = append(errs, fmt.Errorf("--session-name %q: 2 to 64 letters, digits and +=,.@-", s.SessionName))
	}
	if s.Duration != 0 && (s.Duration < minRoleDuration || s.Duration > maxRoleDuration || s.Duration%time.Second != 0) {
		errs = append(errs, fmt.Errorf("--role-duration %s: whole seconds from 15m to 12h, as the program's ScopeOptions.Duration (0: 15 minutes)", s.Duration))
	}
	name := s.SessionName
	if name == "" && s.RoleARN != "" {
		name = runner.DefaultSessionName
	}
	return state.Scope{Region: s.Region, RoleARN: s.RoleARN, ExternalID: s.ExternalID, SessionName: name,
		DurationSeconds: int(s.Duration / time.Second), Profile: s.Profile}, errs
}

// checkImportFlags checks the endpoints and the scope of an import before
// anything is read or sent.
func checkImportFlags(opts *ImportOptions) (state.Scope, error) {
	spec, errs := opts.Scope.spec()
	for _, f := range []struct{ name, url string }{{"--endpoint", opts.Endpoint}, {"--sts-endpoint", opts.STSEndpoint}} {
		if err := cmdutil.CheckEndpoint(f.name, f.url); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return spec, &UsageError{Err: cmdutil.Mistakes(errs)}
	}
	return spec, nil
}
