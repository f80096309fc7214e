package state

import "strings"

// Scope is where a resource lives when it is not in the run's own account
// and region, or is reached there another way than the run's: the account
// and region, and how a run reaches them (a role to assume, or a
// shared-configuration profile), so that a later run can update, replace
// or delete it even after the program stopped declaring that scope.
type Scope struct {
	Account         string `json:"account"`
	Region          string `json:"region"`
	RoleARN         string `json:"roleArn,omitempty"`
	ExternalID      string `json:"externalId,omitempty"`
	SessionName     string `json:"sessionName,omitempty"`
	DurationSeconds int    `json:"durationSeconds,omitempty"`
	Profile         string `json:"profile,omitempty"`
	// Home says Account and Region were the run's own when the scope was
	// resolved: a role or profile that leads there. Its resources are
	// called with the role's or profile's credentials (which may allow
	// less than the run's), but are the run's own for every comparison
	// (Key is ""), so declaring a resource of the run's own through such
	// a scope, or no longer, moves nothing.
	Home bool `json:"home,omitempty"`
}

// Key is "ACCOUNT/REGION", or "" for nil and a Home scope (the run's
// own): two scopes with one key are the same place, however they are
// reached.
func (s *Scope) Key() string {
	if s == nil || s.Home {
		return ""
	}
	return s.Place()
}

// Place is "ACCOUNT/REGION" where the scope is, a Home scope's included;
// "" for nil, which is wherever the run's own is.
func (s *Scope) Place() string {
	if s == nil {
		return ""
	}
	return s.Account + "/" + s.Region
}

// String names the scope for messages: where it is, and the role or
// profile ("111111111111/us-east-1 (the run's own, role ...)" for Home).
func (s *Scope) String() string {
	if s == nil {
		return "the run's own account and region"
	}
	var how []string
	if s.Home {
		how = append(how, "the run's own")
	}
	switch {
	case s.RoleARN != "":
		how = append(how, "role "+s.RoleARN)
	case s.Profile != "":
		how = append(how, "profile "+s.Profile)
	}
	if len(how) == 0 {
		return s.Place()
	}
	return s.Place() + " (" + strings.Join(how, ", ") + ")"
}
