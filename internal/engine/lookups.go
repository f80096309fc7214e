package engine

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/athanor-iac/athanor/provider/cloudcontrol"
	"github.com/athanor-iac/athanor/schema"
	"github.com/athanor-iac/athanor/state"
)

// Lookups are the reads of resources a program uses but does not manage,
// for one run. Each distinct read is sent once per way in: the plan pass
// reads, and the apply pass, given the same Lookups, reuses what it read,
// so a run applies exactly what its plan showed. Two ways into one account
// and region (two roles, or a role into the run's own) read for
// themselves, with their own credentials: what one may see, the other may
// not.
type Lookups struct {
	mu    sync.Mutex
	calls map[lookupKey]*lookupCall
	reads []Read
}

// NewLookups returns an empty cache for one run.
func NewLookups() *Lookups { return &Lookups{calls: map[lookupKey]*lookupCall{}} }

// lookupKey is one distinct read: the way in (the whole scope, role,
// profile, external ID and session included; the zero Scope for the run's
// own), and what is read ("get" or "list", the type, and the identifier or
// canonical filter).
type lookupKey struct {
	way        state.Scope
	op, typ, x string
}

func newLookupKey(scope *state.Scope, op, typ, x string) lookupKey {
	k := lookupKey{op: op, typ: typ, x: x}
	if scope != nil {
		k.way = *scope
	}
	return k
}

type lookupCall struct {
	done    chan struct{}
	results []Result
	err     error
}

// Read is one lookup of a run, as plans show it (`<= read`).
type Read struct {
	Type string `json:"type"`
	// Scope is "ACCOUNT/REGION" for a read in another account or region
	// than the run's own.
	Scope string `json:"scope,omitempty"`
	// Identifier is set for a Get; Filter for a List.
	Identifier string         `json:"identifier,omitempty"`
	Filter     map[string]any `json:"filter,omitempty"`
	// Found is how many resources the read returned.
	Found int `json:"found"`
}

// LookupError says a lookup found nothing or failed. It names the type and
// the identifier or filter, so that the plan error says what to fix.
type LookupError struct {
	Scope      string // "ACCOUNT/REGION", empty for the run's own
	Type       string
	Identifier string
	Filter     map[string]any
	// NotFound says the resource does not exist (Get only).
	NotFound bool
	Err      error
}

func (e *LookupError) Error() string {
	what := fmt.Sprintf("read %s %q", e.Type, e.Identifier)
	if e.Identifier == "" {
		what = fmt.Sprintf("list %s", e.Type)
		if len(e.Filter) > 0 {
			what += " where " + canonical(e.Filter)
		}
	}
	if e.Scope != "" {
		what += " in " + e.Scope
	}
	if e.NotFound {
		return fmt.Sprintf("%s: it does not exist; the program reads it but does not manage it, so create it first or correct the identifier", what)
	}
	return fmt.Sprintf("%s: %v", what, e.Err)
}

func (e *LookupError) Unwrap() error { return e.Err }

// Reads returns the lookups made so far, in the order they were first made.
func (l *Lookups) Reads() []Read {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Read(nil), l.reads...)
}

// do runs read once per key; concurrent callers of one key wait for the
// first.
func (l *Lookups) do(ctx context.Context, key lookupKey, r Read, read func() ([]Result, error)) ([]Result, error) {
	l.mu.Lock()
	c, ok := l.calls[key]
	if !ok {
		c = &lookupCall{done: make(chan struct{})}
		l.calls[key] = c
	}
	l.mu.Unlock()
	if !ok {
		c.results, c.err = read()
		if c.err == nil {
			r.Found = len(c.results)
			l.mu.Lock()
			l.reads = append(l.reads, r)
			l.mu.Unlock()
		}
		close(c.done)
	}
	select {
	case <-c.done:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return c.results, c.err
}

// lookupSetup checks what every lookup needs: a known type and a provider.
func (e *Engine) lookupSetup(ctx context.Context, scope *state.Scope, typeName string) (*schema.Schema, Provider, error) {
	sc, err := schema.Default().Lookup(typeName)
	if err != nil {
		return nil, nil, fmt.Errorf("look up %s: %w", typeName, err)
	}
	if e.opts.Provider == nil {
		return nil, nil, fmt.Errorf("look up %s: reading what the program does not manage needs AWS, and this plan reads nothing (--refresh=false); plan without --refresh=false", typeName)
	}
	prov, err := e.prov(ctx, scope)
	if err != nil {
		return nil, nil, e.lookupProblem(&LookupError{Scope: scope.Key(), Type: typeName, Err: err})
	}
	return sc, prov, nil
}

// Get reads a resource the program does not manage, by its primary
// identifier. A missing resource is a *LookupError with NotFound, and is
// recorded as a problem of the program, so that the plan stops naming it
// whatever the program does with the error.
func (e *Engine) Get(ctx context.Context, scope *state.Scope, typeName, id string) (Result, error) {
	sc, prov, err := e.lookupSetup(ctx, scope, typeName)
	if err != nil {
		return Result{}, err
	}
	where := scope.Key()
	if id == "" || IsUnknown(id) {
		return Result{}, e.lookupProblem(&LookupError{Scope: where, Type: sc.TypeName, Identifier: id, Err: errors.New("the identifier is empty or known only after apply; a lookup needs a value known when planning")})
	}
	res, err := e.opts.Lookups.do(ctx, newLookupKey(scope, "get", sc.TypeName, id), Read{Scope: where, Type: sc.TypeName, Identifier: id}, func() ([]Result, error) {
		model, err := prov.Read(ctx, sc.TypeName, id)
		if err != nil {
			return nil, e.lookupProblem(&LookupError{Scope: where, Type: sc.TypeName, Identifier: id, NotFound: errors.Is(err, cloudcontrol.ErrNotFound), Err: err})
		}
		return []Result{{Identifier: id, Properties: model}}, nil
	})
	if err != nil {
		return Result{}, err
	}
	return res[0], nil
}

// List reads every resource of a type whose properties equal filter's
// (nil: all of them), paging to the end. The properties a type's list
// handler requires (an ApiId for API integrations) must be in filter and
// go to Cloud Control as the ResourceModel; the rest filter what it
// returns.
func (e *Engine) List(ctx context.Context, scope *state.Scope, typeName string, filter map[string]any) ([]Result, error) {
	sc, prov, err := e.lookupSetup(ctx, scope, typeName)
	if err != nil {
		return nil, err
	}
	where := scope.Key()
	if !sc.Listable() {
		return nil, e.lookupProblem(&LookupError{Scope: where, Type: sc.TypeName, Filter: filter, Err: errors.New("the type has no list handler, so Cloud Control cannot list it; read each resource by its identifier instead")})
	}
	var missing []string
	for _, name := range sc.ListRequires() {
		if v, ok := filter[name]; !ok || IsUnknown(v) {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return nil, e.lookupProblem(&LookupError{Scope: where, Type: sc.TypeName, Filter: filter, Err: fmt.Errorf("its list handler lists within %s: put %s in the filter, with a value known when planning", strings.Join(missing, " and "), strings.Join(missing, ", "))})
	}
	return e.opts.Lookups.do(ctx, newLookupKey(scope, "list", sc.TypeName, canonical(filter)), Read{Scope: where, Type: sc.TypeName, Filter: filter}, func() ([]Result, error) {
		list, err := prov.ListWhere(ctx, sc.TypeName, listModel(sc, filter))
		if err != nil {
			return nil, e.lookupProblem(&LookupError{Scope: where, Type: sc.TypeName, Filter: filter, Err: err})
		}
		out := []Result{}
		for _, d := range list {
			if matches(d.Properties, filter) {
				out = append(out, Result{Identifier: d.Identifier, Properties: d.Properties})
			}
		}
		sort.Slice(out, func(i, j int) bool { return out[i].Identifier < out[j].Identifier })
		return out, nil
	})
}

// lookupProblem records a failed lookup as a problem of the program and
// returns err. Reads record it once, however many callers share them.
func (e *Engine) lookupProblem(err error) error {
	var le *LookupError
	if errors.As(err, &le) {
		e.mu.Lock()
		e.problems = append(e.problems, Problem{Type: le.Type, Message: err.Error()})
		e.mu.Unlock()
	}
	return err
}

// listModel is the ResourceModel of a listing: the filter's values of the
// properties the type's list handler takes.
func listModel(sc *schema.Schema, filter map[string]any) map[string]any {
	hs := sc.Handlers["list"].HandlerSchema
	if hs == nil {
		return nil
	}
	out := map[string]any{}
	for name := range hs.Properties {
		if v, ok := filter[name]; ok {
			out[name] = v
		}
	}
	return out
}

// matches reports whether props has every value of filter, compared as
// JSON.
func matches(props, filter map[string]any) bool {
	for k, want := range filter {
		if canonical(props[k]) != canonical(want) {
			return false
		}
	}
	return true
}
