package cloudcontrol

// RateLimit is an adaptive request budget that several providers share
// (Options.RateLimit): AWS throttles per account and region, whoever
// calls, so the providers of several roles into one account and region
// slow down together when any of them is throttled.
type RateLimit struct{ a *adaptiveLimiter }

// NewRateLimit returns a rate limit starting at rps calls a second (0:
// DefaultRequestsPerSecond).
func NewRateLimit(rps float64) *RateLimit {
	if rps <= 0 {
		rps = DefaultRequestsPerSecond
	}
	return &RateLimit{a: newAdaptiveLimiter(rps)}
}

// Rate is the current bound in calls a second: lower after throttling,
// recovering slowly.
func (l *RateLimit) Rate() float64 {
	l.a.mu.Lock()
	defer l.a.mu.Unlock()
	return float64(l.a.lim.Limit())
}

// RateLimit returns the provider's rate limit, to share with providers
// built later for the same account and region.
func (p *Provider) RateLimit() *RateLimit { return &RateLimit{a: p.limiter} }

// WithRateLimit returns a provider that makes the same calls, with the
// same credentials and poll scheduler, under l: a provider whose account
// and region are known only once it has asked STS joins the rate limit of
// the others there. p itself is unchanged.
func (p *Provider) WithRateLimit(l *RateLimit) *Provider {
	opts := p.opts
	opts.RateLimit = l
	q := NewWithAPI(p.api, opts)
	q.poller = p.poller
	q.creds, q.sts = p.creds, p.sts
	q.endpoint, q.region = p.endpoint, p.region
	p.accountMu.Lock()
	q.account = p.account
	p.accountMu.Unlock()
	return q
}
