package cloudcontrol

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// AssumeRole is a role a provider acts as (Options.Role), through the
// SDK's STS AssumeRole credentials provider.
type AssumeRole struct {
	ARN         string
	ExternalID  string
	SessionName string        // empty: the SDK's aws-go-sdk-<time>
	Duration    time.Duration // 0: the SDK's 15 minutes
}

func (r *AssumeRole) apply(o *stscreds.AssumeRoleOptions) {
	if r.ExternalID != "" {
		o.ExternalID = aws.String(r.ExternalID)
	}
	if r.SessionName != "" {
		o.RoleSessionName = r.SessionName
	}
	if r.Duration > 0 {
		o.Duration = r.Duration
	}
}

// Account returns the AWS account the provider's credentials act in, from
// STS GetCallerIdentity, asked once. With a Role, this is also where the
// role is assumed, so an error says the role cannot be assumed.
func (p *Provider) Account(ctx context.Context) (string, error) {
	p.accountMu.Lock()
	defer p.accountMu.Unlock()
	if p.account != "" {
		return p.account, nil
	}
	if p.sts == nil {
		return "", errors.New("the provider was built over a given client and cannot ask STS who it is")
	}
	out, err := p.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		if r := p.opts.Role; r != nil {
			return "", fmt.Errorf("assume role %s: %w", r.ARN, err)
		}
		return "", fmt.Errorf("find the account of the credentials (STS GetCallerIdentity): %w", err)
	}
	p.account = aws.ToString(out.Account)
	return p.account, nil
}

// RoleCredentials assumes opts.Role with opts.Credentials, or without them
// the credentials of opts' configuration (Profile, Local), through STS in
// opts.Region (and STSEndpoint), and returns them cached and refreshed
// before they expire. Assumed-role credentials are good in every region,
// so the providers of one role in many regions share them
// (Options.Credentials) and the role is assumed once, not once per
// region. Nothing is sent until the first call.
func RoleCredentials(ctx context.Context, opts Options) (aws.CredentialsProvider, error) {
	if opts.Role == nil {
		return nil, errors.New("no role to assume")
	}
	cfg, err := loadConfig(ctx, opts)
	if err != nil {
		return nil, err
	}
	if opts.Credentials != nil {
		cfg.Credentials = opts.Credentials
	}
	return aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(sts.NewFromConfig(cfg, opts.stsOptions), opts.Role.ARN, opts.Role.apply)), nil
}

// ProfileCredentials are the credentials of opts' configuration (Profile,
// Local), as the SDK resolves them (cached, and refreshed before they
// expire when they do), for the providers of every region the profile is
// used in (Options.Credentials): a profile that assumes a role or signs in
// through IAM Identity Center does so once, not once per region. Nothing
// is sent until the first call.
func ProfileCredentials(ctx context.Context, opts Options) (aws.CredentialsProvider, error) {
	cfg, err := loadConfig(ctx, opts)
	if err != nil {
		return nil, err
	}
	if cfg.Credentials == nil {
		return nil, fmt.Errorf("profile %q gives no credentials", opts.Profile)
	}
	return cfg.Credentials, nil
}

// Credentials returns what the provider signs with (nil over a given
// client), for other providers to share (Options.Credentials, or the
// source of RoleCredentials): a run's scopes that reach out with the
// run's own credentials resolve them once.
func (p *Provider) Credentials() aws.CredentialsProvider {
	if m, ok := p.creds.(markedCredentials); ok {
		return m.CredentialsProvider
	}
	return p.creds
}
