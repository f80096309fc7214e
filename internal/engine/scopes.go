package engine

import (
	"context"
	"fmt"

	"github.com/athanor-iac/athanor/provider/cloudcontrol"
	"github.com/athanor-iac/athanor/state"
)

// prov is the provider of a scope: the run's own for nil, otherwise the
// one Options.Scopes gives, each with its own rate limit.
func (e *Engine) prov(ctx context.Context, s *state.Scope) (Provider, error) {
	if s == nil {
		if e.opts.Provider == nil {
			return nil, fmt.Errorf("no AWS provider: this pass reads nothing")
		}
		return e.opts.Provider, nil
	}
	if e.opts.Scopes == nil {
		return nil, fmt.Errorf("%s: this run has no way to reach other accounts and regions", s)
	}
	p, err := e.opts.Scopes(ctx, s)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s, err)
	}
	return p, nil
}

// movedScope makes a resource declared in another account or region than
// the one it lives in a replacement: it cannot move, so a new one is made
// where it is now declared and the old one deleted where it was.
func movedScope(c *Change, rec *state.Record, to *state.Scope) {
	if rec == nil || rec.Identifier == "" || rec.Scope.Key() == to.Key() || c.Action == Create {
		return
	}
	c.Action = Replace
	reason := fmt.Sprintf("moves from %s to %s", scopeName(rec.Scope), scopeName(to))
	if c.Reason != "" {
		reason = c.Reason + "; " + reason
	}
	c.Reason = reason
}

func scopeName(s *state.Scope) string {
	if s.Key() == "" {
		return "the run's own account and region"
	}
	return s.Key()
}

// homeKey is the run's own "ACCOUNT/REGION", asked of Options.Home once;
// "" when it cannot be known.
func (e *Engine) homeKey(ctx context.Context) string {
	e.homeMu.Lock()
	defer e.homeMu.Unlock()
	if e.homeRead {
		return e.home
	}
	home := e.opts.Home
	if home == nil {
		home = providerHome(e.opts.Provider)
	}
	if home != nil {
		if key, err := home(ctx); err == nil {
			e.home = key
		} else if ctx.Err() != nil {
			return "" // asked again by a later check
		}
	}
	e.homeRead = true
	return e.home
}

// providerHome tells where p works, when p is Cloud Control's provider:
// the account STS names and the region it calls.
func providerHome(p Provider) func(context.Context) (string, error) {
	cc, ok := p.(*cloudcontrol.Provider)
	if !ok || cc == nil {
		return nil
	}
	return func(ctx context.Context) (string, error) {
		acct, err := cc.Account(ctx)
		if err != nil {
			return "", err
		}
		_, region := cc.Target()
		return acct + "/" + region, nil
	}
}
