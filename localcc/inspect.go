package localcc

import "sort"

// Described is a resource as a read reports it.
type Described struct {
	Identifier string
	Properties map[string]any
}

// Resources returns every resource of typeName in the default account and
// region as GetResource would report it, sorted by identifier, settling due
// requests first. Tests use it to see what a program left behind without
// going through the API (and without counting in the metrics).
func (s *Server) Resources(typeName string) []Described {
	return s.ResourcesIn(s.defaultScope(), typeName)
}

// ResourcesIn is Resources for one account and region.
func (s *Server) ResourcesIn(sp Scope, typeName string) []Described {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.settle()
	sc, err := s.schemas.Lookup(typeName)
	if err != nil {
		return nil
	}
	var out []Described
	for id, r := range s.store(s.orDefault(sp), typeName, false) {
		out = append(out, Described{Identifier: id, Properties: s.readModel(sc, r)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Identifier < out[j].Identifier })
	return out
}
