package localcc

import (
	"golang.org/x/time/rate"
)

// Throttle is a token bucket: RPS calls a second on average, Burst at once
// (default one second's worth). A zero RPS means no limit.
type Throttle struct {
	RPS   float64
	Burst int
}

// throttleFor is the bucket configured for sp.
func (s *Server) throttleFor(sp Scope) Throttle {
	if t, ok := s.opts.ScopeThrottle[sp]; ok {
		return t
	}
	return Throttle{RPS: s.opts.ThrottleRPS, Burst: s.opts.ThrottleBurst}
}

// allow takes a token from sp's bucket, reporting false when the call is
// to be throttled. Each account and region has its own bucket, as Cloud
// Control limits them separately.
func (s *Server) allow(sp Scope) bool {
	s.limitMu.Lock()
	l, ok := s.limiters[sp]
	if !ok {
		if t := s.throttleFor(sp); t.RPS > 0 {
			burst := t.Burst
			if burst <= 0 {
				burst = max(1, int(t.RPS))
			}
			l = rate.NewLimiter(rate.Limit(t.RPS), burst)
		}
		s.limiters[sp] = l
	}
	s.limitMu.Unlock()
	return l == nil || l.AllowN(s.clock.Now(), 1)
}
