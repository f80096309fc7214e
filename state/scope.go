package state

// Scope is where a resource lives when it is not in the run's own account
// and region: the account and region, and how a run reaches them (a role
// to assume, or a shared-configuration profile), so that a later run can
// update, replace or delete it even after the program stopped declaring
// that scope.
type Scope struct {
	Account         string `json:"account"`
	Region          string `json:"region"`
	RoleARN         string `json:"roleArn,omitempty"`
	ExternalID      string `json:"externalId,omitempty"`
	SessionName     string `json:"sessionName,omitempty"`
	DurationSeconds int    `json:"durationSeconds,omitempty"`
	Profile         string `json:"profile,omitempty"`
}

// Key is "ACCOUNT/REGION", or "" for nil (the run's own): two scopes with
// one key are the same place, however they are reached.
func (s *Scope) Key() string {
	if s == nil {
		return ""
	}
	return s.Account + "/" + s.Region
}

// String names the scope for messages: its key, and the role or profile.
func (s *Scope) String() string {
	if s == nil {
		return "the run's own account and region"
	}
	out := s.Key()
	switch {
	case s.RoleARN != "":
		out += " (role " + s.RoleARN + ")"
	case s.Profile != "":
		out += " (profile " + s.Profile + ")"
	}
	return out
}
