package runner

import (
	"context"
	"fmt"
	"regexp"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/athanor-iac/athanor/internal/engine"
	"github.com/athanor-iac/athanor/provider/cloudcontrol"
	"github.com/athanor-iac/athanor/state"
)

// scopeRegistry builds and remembers the provider of every way into an
// account and region a run takes, for both passes of the run and for the
// records of earlier runs. Each (role or profile, account, region) has its
// own provider, signing with its own credentials: two roles into one
// account may have different permissions. What AWS shares, the run
// shares:
//   - a role's credentials are good in every region, so a role is assumed
//     once (one credentials cache per source profile, role ARN, external
//     ID, session name and duration), not once per region; so are a
//     profile's, resolved once per profile, and the run's own;
//   - AWS throttles per account and region, whoever calls, so the
//     providers of one account and region share one adaptive rate limit.
//
// A scope that reaches out as the run does (no role, no profile but the
// run's) in the run's own region is the run's own (nil). A role or
// profile that leads to the run's own account and region is not: it signs
// with its own credentials, and its scope is Home, the run's own for every
// comparison.
type scopeRegistry struct {
	base cloudcontrol.Options // endpoint, observer, rate: what every scope shares
	def  *cloudcontrol.Provider

	mu       sync.Mutex
	specs    map[state.Scope]*once[scoped]                  // by spec, account left empty
	creds    map[state.Scope]*once[aws.CredentialsProvider] // of roles, by way in: spec without account and region
	profiles map[string]*once[aws.CredentialsProvider]      // by profile
	configs  map[string]*once[aws.Config]                   // the shared AWS configuration, by profile
	limits   map[string]*cloudcontrol.RateLimit             // by "ACCOUNT/REGION"
	defKey   string
}

// scoped is what a spec resolves to: where it leads (nil: the run's own
// account and region) and the provider that calls there.
type scoped struct {
	scope *state.Scope
	prov  *cloudcontrol.Provider
}

func newScopeRegistry(def *cloudcontrol.Provider, base cloudcontrol.Options) *scopeRegistry {
	return &scopeRegistry{base: base, def: def, specs: map[state.Scope]*once[scoped]{},
		creds: map[state.Scope]*once[aws.CredentialsProvider]{}, profiles: map[string]*once[aws.CredentialsProvider]{},
		configs: map[string]*once[aws.Config]{},
		limits:  map[string]*cloudcontrol.RateLimit{}}
}

var regionRE = regexp.MustCompile(`^[a-z]{2}(-[a-z0-9]+)+-[0-9]+$`)

// DefaultSessionName is the role session name of a scope that names none
// (athanor.ScopeOptions.SessionName), recorded with its resources.
const DefaultSessionName = "athanor"

// ResolveScope resolves spec as a run of a program does a scope with the
// same options, for commands that reach a scope outside a run (athanor
// import): where it leads (nil: def's own account and region) and the
// provider that calls there. def and base are the provider and options
// such a run would have.
func ResolveScope(ctx context.Context, def *cloudcontrol.Provider, base cloudcontrol.Options, spec state.Scope) (*state.Scope, engine.Provider, error) {
	r := newScopeRegistry(def, base)
	e, err := r.entry(ctx, spec)
	if err != nil {
		return nil, nil, err
	}
	return e.scope, e.prov, nil
}

// Resolve returns where spec leads (nil: the run's own account and
// region), building its provider and asking STS for its account once.
func (r *scopeRegistry) Resolve(ctx context.Context, spec state.Scope) (*state.Scope, error) {
	e, err := r.entry(ctx, spec)
	if err != nil {
		return nil, err
	}
	return e.scope, nil
}

// providerFunc is provider as engine.Options.Scopes wants it; nil for a
// run that reads nothing.
func (r *scopeRegistry) providerFunc() func(context.Context, *state.Scope) (engine.Provider, error) {
	if r == nil {
		return nil
	}
	return r.provider
}

// provider is the provider of a scope a declaration or a record names.
// A record's account and region must be where its way in still leads.
func (r *scopeRegistry) provider(ctx context.Context, s *state.Scope) (engine.Provider, error) {
	spec := *s
	spec.Account, spec.Home = "", false
	e, err := r.entry(ctx, spec)
	if err != nil {
		return nil, err
	}
	if s.Account == "" {
		return e.prov, nil
	}
	got := e.scope.Place()
	if e.scope == nil {
		if got, err = r.defaultKey(ctx); err != nil {
			return nil, err
		}
	}
	if got != s.Place() {
		return nil, fmt.Errorf("the resource is in %s, but this way in now leads to %s; restore the role or profile it was made with", s.Place(), got)
	}
	return e.prov, nil
}

// entry resolves spec once. A spec without a region and one naming the
// run's region are one way in: a declaration's and its record's.
func (r *scopeRegistry) entry(ctx context.Context, spec state.Scope) (scoped, error) {
	if spec.Region == "" {
		_, spec.Region = r.def.Target()
	}
	return onceFor(ctx, &r.mu, r.specs, spec, func() (scoped, error) { return r.build(ctx, spec) })
}

// build makes the provider of spec and finds its account.
func (r *scopeRegistry) build(ctx context.Context, spec state.Scope) (scoped, error) {
	if !regionRE.MatchString(spec.Region) {
		return scoped{}, fmt.Errorf("region %q is not a region name, like eu-west-1", spec.Region)
	}
	defKey, err := r.defaultKey(ctx)
	if err != nil {
		return scoped{}, err
	}
	if _, region := r.def.Target(); r.runsOwnWay(spec) && spec.Region == region {
		return scoped{prov: r.def}, nil
	}
	opts := r.base
	opts.Region = spec.Region
	if opts.Credentials, err = r.sourceCredentials(ctx, spec.Profile); err != nil {
		return scoped{}, err
	}
	if spec.Profile != "" {
		opts.Profile = spec.Profile
	}
	if opts.Config, err = r.config(ctx, opts); err != nil {
		return scoped{}, err
	}
	if spec.RoleARN != "" {
		opts.Role = &cloudcontrol.AssumeRole{ARN: spec.RoleARN, ExternalID: spec.ExternalID, SessionName: spec.SessionName, Duration: time.Duration(spec.DurationSeconds) * time.Second}
		if opts.Credentials, err = r.roleCredentials(ctx, spec, opts); err != nil {
			return scoped{}, err
		}
	}
	prov, err := cloudcontrol.New(ctx, opts)
	if err != nil {
		return scoped{}, err
	}
	// The account is asked in the scope's own region: a region that does
	// not answer stops the plan here, naming the scope.
	acct, err := prov.Account(ctx)
	if err != nil {
		return scoped{}, err
	}
	spec.Account = acct
	key := spec.Place()
	// A role or profile into the run's own account and region signs with
	// its own credentials (the program asked for them), and is the run's
	// own everywhere else: its resources compare as the run's, and it
	// shares the run's rate limit.
	spec.Home = key == defKey
	r.mu.Lock()
	defer r.mu.Unlock()
	if lim, ok := r.limits[key]; ok {
		prov = prov.WithRateLimit(lim)
	} else {
		r.limits[key] = prov.RateLimit()
	}
	return scoped{scope: &spec, prov: prov}, nil
}

// runsOwnWay reports whether spec reaches out as the run does: no role,
// and no profile but the run's.
func (r *scopeRegistry) runsOwnWay(spec state.Scope) bool {
	return spec.RoleARN == "" && (spec.Profile == "" || spec.Profile == r.base.Profile)
}

// config is the AWS configuration of opts.Profile, loaded once for every
// scope that uses the profile: a load costs milliseconds and 1.7 MB of
// allocations, and scenario g built 80 providers and 19 roles' credentials
// from the same configuration.
func (r *scopeRegistry) config(ctx context.Context, opts cloudcontrol.Options) (*aws.Config, error) {
	cfg, err := onceFor(ctx, &r.mu, r.configs, opts.Profile, func() (aws.Config, error) {
		return cloudcontrol.LoadConfig(ctx, opts)
	})
	if err != nil {
		return nil, err
	}
	return &cfg, nil
}

// sourceCredentials are the credentials of profile, or of the run for
// none or the run's own, shared by every region and role they are used
// with: a profile that assumes a role or signs in through IAM Identity
// Center does so once per run, as the run's own credentials are resolved
// once. nil leaves them to the configuration (a run's provider built over
// a given client).
func (r *scopeRegistry) sourceCredentials(ctx context.Context, profile string) (aws.CredentialsProvider, error) {
	if profile == "" || profile == r.base.Profile {
		return r.def.Credentials(), nil
	}
	opts := r.base
	opts.Profile = profile
	// Resolved in the run's own region, as roles are assumed.
	_, opts.Region = r.def.Target()
	return onceFor(ctx, &r.mu, r.profiles, profile, func() (aws.CredentialsProvider, error) {
		return cloudcontrol.ProfileCredentials(ctx, opts)
	})
}

// roleCredentials are the credentials of spec's role, assumed with
// opts.Credentials (sourceCredentials) and shared by every region it is
// used in. The role is assumed through STS in the run's own region, which
// is known to answer: a scope in a region that does not fails on its own
// account lookup, not on the credentials its role's other regions share.
func (r *scopeRegistry) roleCredentials(ctx context.Context, spec state.Scope, opts cloudcontrol.Options) (aws.CredentialsProvider, error) {
	way := spec
	way.Account, way.Region = "", ""
	_, opts.Region = r.def.Target()
	return onceFor(ctx, &r.mu, r.creds, way, func() (aws.CredentialsProvider, error) {
		return cloudcontrol.RoleCredentials(ctx, opts)
	})
}

// defaultKey is the run's own "ACCOUNT/REGION", asked of STS once.
func (r *scopeRegistry) defaultKey(ctx context.Context) (string, error) {
	r.mu.Lock()
	key := r.defKey
	r.mu.Unlock()
	if key != "" {
		return key, nil
	}
	acct, err := r.def.Account(ctx)
	if err != nil {
		if r.base.STSEndpoint != "" {
			return "", fmt.Errorf("the run's own account, from STS at %s (--sts-endpoint, else --endpoint): %w", r.base.STSEndpoint, err)
		}
		return "", fmt.Errorf("the run's own account: %w", err)
	}
	_, region := r.def.Target()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.defKey = acct + "/" + region
	if _, ok := r.limits[r.defKey]; !ok {
		r.limits[r.defKey] = r.def.RateLimit()
	}
	return r.defKey, nil
}

// once is a value built once for its key, however many ask for it at
// once; an error is kept like a value, so a run reports it once.
type once[T any] struct {
	done chan struct{}
	val  T
	err  error
}

// onceFor returns the value of key in m, building it with build on the
// first call; later callers wait for it, or for ctx.
func onceFor[K comparable, T any](ctx context.Context, mu *sync.Mutex, m map[K]*once[T], key K, build func() (T, error)) (T, error) {
	mu.Lock()
	e, ok := m[key]
	if !ok {
		e = &once[T]{done: make(chan struct{})}
		m[key] = e
	}
	mu.Unlock()
	if !ok {
		e.val, e.err = build()
		close(e.done)
	}
	select {
	case <-e.done:
		return e.val, e.err
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	}
}

// Interface guards
var _ Scopes = (*scopeRegistry)(nil)
