package localcc

import (
	"regexp"
	"strings"
)

// Scope is one account and region of the endpoint. Cloud Control keeps
// resources, request tokens and rate limits per account and region, and so
// does the endpoint: a call lands in the region of its SigV4 credential
// scope and the account of its credentials.
type Scope struct {
	Account string `json:"account"`
	Region  string `json:"region"`
}

// String is "ACCOUNT/REGION", the form flags and the metrics page use.
func (sc Scope) String() string { return sc.Account + "/" + sc.Region }

var (
	accountRE = regexp.MustCompile(`^[0-9]{12}$`)
	regionRE  = regexp.MustCompile(`^[a-z]{2}(-[a-z0-9]+)+-[0-9]+$`)
)

// ParseScope reads "ACCOUNT/REGION", such as 111111111111/eu-west-1.
func ParseScope(s string) (Scope, bool) {
	acct, region, ok := strings.Cut(s, "/")
	if !ok || !accountRE.MatchString(acct) || !regionRE.MatchString(region) {
		return Scope{}, false
	}
	return Scope{Account: acct, Region: region}, true
}

// global reports whether a type's resources belong to the account alone,
// as IAM's do: a role made through any region is seen from every region.
func global(typeName string) bool {
	return strings.HasPrefix(typeName, "AWS::IAM::") || strings.HasPrefix(typeName, "AWS::Organizations::")
}

// home is where resources of typeName live for a call in sc: the region is
// dropped for global types.
func (sc Scope) home(typeName string) Scope {
	if global(typeName) {
		return Scope{Account: sc.Account}
	}
	return sc
}

// defaultScope is where calls land that name no region, and where fixtures
// and resources of old data files without one live.
func (s *Server) defaultScope() Scope {
	return Scope{Account: s.opts.Account, Region: s.opts.Region}
}

// orDefault fills in what sc leaves empty from the default scope.
func (s *Server) orDefault(sc Scope) Scope {
	if sc.Account == "" {
		sc.Account = s.opts.Account
	}
	if sc.Region == "" {
		sc.Region = s.opts.Region
	}
	return sc
}

// store returns the resources of typeName in sc, creating the map when
// create is set. Called with s.mu held.
func (s *Server) store(sc Scope, typeName string, create bool) map[string]*resource {
	sc = sc.home(typeName)
	byType := s.resources[sc]
	if byType == nil {
		if !create {
			return nil
		}
		byType = map[string]map[string]*resource{}
		s.resources[sc] = byType
	}
	m := byType[typeName]
	if m == nil && create {
		m = map[string]*resource{}
		byType[typeName] = m
	}
	return m
}

// find returns a resource of sc, or nil. Called with s.mu held.
func (s *Server) find(sc Scope, typeName, id string) *resource {
	return s.store(sc, typeName, false)[id]
}

// put stores res in its scope. Called with s.mu held.
func (s *Server) put(res *resource) {
	s.store(res.scope(), res.Type, true)[res.Identifier] = res
}

// scope is where the resource lives.
func (r *resource) scope() Scope { return Scope{Account: r.Account, Region: r.Region}.home(r.Type) }
