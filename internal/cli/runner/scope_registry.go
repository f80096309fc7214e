package runner

import (
	"context"
	"fmt"
	"regexp"
	"sync"
	"time"

	"github.com/athanor-iac/athanor/internal/engine"
	"github.com/athanor-iac/athanor/provider/cloudcontrol"
	"github.com/athanor-iac/athanor/state"
)

// scopeRegistry builds and remembers the provider of every account and
// region a run reaches, for both passes of the run and for the records of
// earlier runs. Scopes that resolve to one account and region share one
// provider, so each (account, region) has one adaptive rate limit however
// many ways lead to it; a scope that resolves to the run's own account and
// region is the run's own (nil).
type scopeRegistry struct {
	base cloudcontrol.Options // endpoint, observer, rate: what every scope shares
	def  *cloudcontrol.Provider

	mu     sync.Mutex
	specs  map[state.Scope]*scopeEntry       // by spec, account left empty
	byKey  map[string]*cloudcontrol.Provider // by "ACCOUNT/REGION"
	defKey string
}

type scopeEntry struct {
	done  chan struct{}
	scope *state.Scope
	prov  *cloudcontrol.Provider
	err   error
}

func newScopeRegistry(def *cloudcontrol.Provider, base cloudcontrol.Options) *scopeRegistry {
	return &scopeRegistry{base: base, def: def, specs: map[state.Scope]*scopeEntry{}, byKey: map[string]*cloudcontrol.Provider{}}
}

var regionRE = regexp.MustCompile(`^[a-z]{2}(-[a-z0-9]+)+-[0-9]+$`)

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
// A record's account must be where its way in still leads.
func (r *scopeRegistry) provider(ctx context.Context, s *state.Scope) (engine.Provider, error) {
	spec := *s
	spec.Account = ""
	e, err := r.entry(ctx, spec)
	if err != nil {
		return nil, err
	}
	if got := e.scope.Key(); s.Account != "" && e.scope != nil && got != s.Key() {
		return nil, fmt.Errorf("the resource is in %s, but this way in now leads to %s; restore the role or profile it was made with", s.Key(), got)
	}
	return e.prov, nil
}

func (r *scopeRegistry) entry(ctx context.Context, spec state.Scope) (*scopeEntry, error) {
	r.mu.Lock()
	e, ok := r.specs[spec]
	if !ok {
		e = &scopeEntry{done: make(chan struct{})}
		r.specs[spec] = e
	}
	r.mu.Unlock()
	if !ok {
		e.scope, e.prov, e.err = r.build(ctx, spec)
		close(e.done)
	}
	select {
	case <-e.done:
		return e, e.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// build makes the provider of spec and finds its account.
func (r *scopeRegistry) build(ctx context.Context, spec state.Scope) (*state.Scope, *cloudcontrol.Provider, error) {
	_, defRegion := r.def.Target()
	if spec.Region == "" {
		spec.Region = defRegion
	}
	if !regionRE.MatchString(spec.Region) {
		return nil, nil, fmt.Errorf("region %q is not a region name, like eu-west-1", spec.Region)
	}
	defKey, err := r.defaultKey(ctx)
	if err != nil {
		return nil, nil, err
	}
	opts := r.base
	opts.Region = spec.Region
	if spec.Profile != "" {
		opts.Profile = spec.Profile
	}
	if spec.RoleARN != "" {
		opts.Role = &cloudcontrol.AssumeRole{ARN: spec.RoleARN, ExternalID: spec.ExternalID, SessionName: spec.SessionName, Duration: time.Duration(spec.DurationSeconds) * time.Second}
	}
	prov, err := cloudcontrol.New(ctx, opts)
	if err != nil {
		return nil, nil, err
	}
	acct, err := prov.Account(ctx)
	if err != nil {
		return nil, nil, err
	}
	spec.Account = acct
	key := spec.Key()
	if key == defKey {
		return nil, r.def, nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if shared, ok := r.byKey[key]; ok {
		return &spec, shared, nil
	}
	r.byKey[key] = prov
	return &spec, prov, nil
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
		return "", fmt.Errorf("the run's own account: %w", err)
	}
	_, region := r.def.Target()
	r.mu.Lock()
	r.defKey = acct + "/" + region
	r.mu.Unlock()
	return acct + "/" + region, nil
}

// Interface guards
var _ Scopes = (*scopeRegistry)(nil)
