package athanor

import (
	"github.com/athanor-iac/athanor/internal/engine"
	"github.com/athanor-iac/athanor/state"
)

// Declarer is what declarations and lookups go through: the run's *App,
// and the scopes it makes for other accounts and regions. The generated
// functions of the aws/ packages take one, so that the same call declares
// a resource wherever the Declarer points.
type Declarer interface {
	Resource(typeName, logicalID string, props any, opts ...ResourceOption) (*Resource, error)
	Get(typeName, identifier string) (*Resource, error)
	List(typeName string, filter map[string]any) ([]*Resource, error)
}

var _ Declarer = (*App)(nil)

// LookupError says a lookup found nothing or could not read; see
// [App.Get]. Find it with errors.As.
type LookupError = engine.LookupError

// Get reads a resource the program uses but does not manage, such as a VPC
// another team made, by its primary identifier. It reads AWS while
// planning too, so that the plan shows it (`<= read`) and what depends on
// its properties; a run reads it once (once per way in: through a
// [Scope] with a role, the read is made with that role's credentials),
// and the apply uses what the plan read. The returned Resource has no LogicalID: the program never changes
// or deletes it.
//
// A resource that does not exist is a *LookupError with NotFound set, and
// stops the plan naming it, before anything is changed.
func (a *App) Get(typeName, identifier string) (*Resource, error) {
	return a.get(nil, typeName, identifier)
}

func (a *App) get(scope *state.Scope, typeName, identifier string) (*Resource, error) {
	res, err := a.eng.Get(a.ctx, scope, typeName, identifier)
	if err != nil {
		return nil, err
	}
	return &Resource{Type: typeName, Identifier: res.Identifier, Properties: res.Properties}, nil
}

// List reads every resource of a type whose properties equal those in
// filter (nil: all of them), sorted by identifier, following Cloud
// Control's pages to the end under the run's rate limit. Like Get, it reads
// while planning, once per run, and the plan shows it.
//
// Types whose list handler lists within a parent (the integrations of one
// API) need that parent's properties in filter (here "ApiId"); they go to
// Cloud Control as the ResourceModel. A type Cloud Control cannot list is
// an error that says so.
func (a *App) List(typeName string, filter map[string]any) ([]*Resource, error) {
	return a.list(nil, typeName, filter)
}

func (a *App) list(scope *state.Scope, typeName string, filter map[string]any) ([]*Resource, error) {
	res, err := a.eng.List(a.ctx, scope, typeName, filter)
	if err != nil {
		return nil, err
	}
	out := make([]*Resource, len(res))
	for i, r := range res {
		out[i] = &Resource{Type: typeName, Identifier: r.Identifier, Properties: r.Properties}
	}
	return out, nil
}
