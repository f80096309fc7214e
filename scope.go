package athanor

import (
	"fmt"
	"strings"
	"time"

	"github.com/athanor-iac/athanor/internal/cli/runner"
	"github.com/athanor-iac/athanor/internal/engine"
	"github.com/athanor-iac/athanor/state"
)

// ScopeOptions say which account and region a Scope declares in, and how
// to reach them. The zero value is the run's own (--profile, --region).
type ScopeOptions struct {
	// Region is the region; empty means the run's.
	Region string
	// RoleARN is a role to assume for every call in the scope, with the
	// run's credentials (or Profile's); the role's account is where the
	// resources go. A role into the run's own account and region still
	// makes the scope's calls, though its resources count as the run's
	// own. Empty means no role.
	RoleARN string
	// ExternalID is sent with AssumeRole, for roles whose trust policy
	// requires one.
	ExternalID string
	// SessionName names the role session in CloudTrail; empty means
	// "athanor".
	SessionName string
	// Duration is how long assumed credentials last before they are
	// refreshed; 0 means 15 minutes.
	Duration time.Duration
	// Profile is a shared-configuration profile whose credentials (and,
	// without RoleARN, account) the scope uses; empty means the run's.
	Profile string
}

// String names the scope in messages, as the program wrote it.
func (o ScopeOptions) String() string {
	var parts []string
	add := func(k, v string) {
		if v != "" {
			parts = append(parts, k+" "+v)
		}
	}
	add("region", o.Region)
	add("role", o.RoleARN)
	add("profile", o.Profile)
	if len(parts) == 0 {
		return "scope (the run's own account and region)"
	}
	return "scope (" + strings.Join(parts, ", ") + ")"
}

func (o ScopeOptions) spec() state.Scope {
	name := o.SessionName
	if name == "" && o.RoleARN != "" {
		name = runner.DefaultSessionName
	}
	return state.Scope{Region: o.Region, RoleARN: o.RoleARN, ExternalID: o.ExternalID, SessionName: name,
		DurationSeconds: int(o.Duration / time.Second), Profile: o.Profile}
}

// Scope declares and looks up resources in another account or region: it
// is a Declarer, so every generated function takes it as it takes the
// *App (ec2.FlowLog(scope, id, props)). Resources of every scope are in
// the run's one state; dependencies, replacement, orphan deletion and
// destroy work across scopes. A scope's credentials and account are
// resolved on first use, while planning: a role that cannot be assumed or
// a region that does not answer stops the plan naming the scope, before
// anything is sent in any scope.
type Scope struct {
	app  *App
	opts ScopeOptions
}

var _ Declarer = (*Scope)(nil)

// Scope returns a scope of the run for other accounts and regions. It is
// cheap: make one per account and region in a loop.
func (a *App) Scope(o ScopeOptions) *Scope { return &Scope{app: a, opts: o} }

// Options returns what the scope was made with.
func (s *Scope) Options() ScopeOptions { return s.opts }

// resolve finds the scope's account and provider; nil means the run's own
// account and region. A failure is a problem of the program.
func (s *Scope) resolve() (*state.Scope, error) {
	if s.app.scopes == nil {
		err := fmt.Errorf("%s: reaching other accounts and regions needs AWS, and this plan reads nothing (--refresh=false); plan without --refresh=false", s.opts)
		s.app.eng.AddProblem(engine.Problem{Message: err.Error()})
		return nil, err
	}
	sc, err := s.app.scopes.Resolve(s.app.ctx, s.opts.spec())
	if err != nil {
		err = fmt.Errorf("%s: %w", s.opts, err)
		s.app.eng.AddProblem(engine.Problem{Message: err.Error()})
		return nil, err
	}
	return sc, nil
}

// Resource declares a resource in the scope, as App.Resource does in the
// run's own account and region. Logical IDs are one namespace across
// scopes.
func (s *Scope) Resource(typeName, logicalID string, props any, opts ...ResourceOption) (*Resource, error) {
	sc, err := s.resolve()
	if err != nil {
		return nil, err
	}
	return s.app.declare(sc, typeName, logicalID, props, opts)
}

// Get reads a resource of the scope the program does not manage, as
// App.Get does.
func (s *Scope) Get(typeName, identifier string) (*Resource, error) {
	sc, err := s.resolve()
	if err != nil {
		return nil, err
	}
	return s.app.get(sc, typeName, identifier)
}

// List reads resources of the scope, as App.List does.
func (s *Scope) List(typeName string, filter map[string]any) ([]*Resource, error) {
	sc, err := s.resolve()
	if err != nil {
		return nil, err
	}
	return s.app.list(sc, typeName, filter)
}
