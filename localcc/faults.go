package localcc

type faultKind int

const (
	faultNone faultKind = iota
	faultServer
	faultDropBefore
	faultDropAfter
)

// drawFault decides whether this API call fails on purpose.
func (s *Server) drawFault() faultKind {
	f := s.opts.Faults
	if f.ServerErrors <= 0 && f.Drops <= 0 {
		return faultNone
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	x := s.rng.Float64()
	switch {
	case x < f.ServerErrors:
		s.metrics.faults.server.Add(1)
		return faultServer
	case x < f.ServerErrors+f.Drops:
		s.metrics.faults.drops.Add(1)
		if s.rng.IntN(2) == 0 {
			return faultDropBefore
		}
		return faultDropAfter
	}
	return faultNone
}

// drawHandlerFault decides whether a completing mutation fails on purpose.
// Called with s.mu held.
func (s *Server) drawHandlerFault() bool {
	if s.opts.Faults.HandlerFailures <= 0 || s.rng.Float64() >= s.opts.Faults.HandlerFailures {
		return false
	}
	s.metrics.faults.handler.Add(1)
	return true
}
