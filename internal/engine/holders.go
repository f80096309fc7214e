package engine

import (
	"context"
	"fmt"
	"strings"

	"github.com/athanor-iac/athanor/schema"
	"github.com/athanor-iac/athanor/state"
)

// HeldError refuses to take over (--adopt) or import a resource that a
// record in the same state store already manages: in this stage under
// another logical ID, or in another app or stage. Two records of one
// resource would each delete it, the one when its program stops declaring
// it, the other when its stage is destroyed.
type HeldError struct {
	Type       string
	Identifier string // "" when only the identity is known
	Wanted     string // the logical ID that wanted it
	Holder     state.Located
	// Superseded says the holder replaced it and is about to delete it.
	Superseded bool
	// Here is the stage that wanted it. Adopting says --adopt asked to
	// take it over, Import that `athanor import` did; neither, that a
	// create found it existing.
	Here     state.StageRef
	Adopting bool
	Import   bool
	// Names are the properties that make the resource itself (the
	// primary identifier, or a flow log's configuration), for advice.
	Names string
	// Err is the create's AlreadyExists error, when a create found it.
	Err error
}

func (e *HeldError) Unwrap() error { return e.Err }

func (e *HeldError) Error() string {
	var b strings.Builder
	if e.Err != nil {
		fmt.Fprintf(&b, "%v; ", e.Err)
	}
	what := e.Type
	if e.Identifier != "" {
		what += " " + e.Identifier
	}
	h := e.Holder
	here := h.App == e.Here.App && h.Stage == e.Here.Stage
	where := fmt.Sprintf("by app %s, stage %s", h.App, h.Stage)
	if here {
		where = "in this stage"
	}
	verb := "--adopt would not take it over either"
	switch {
	case e.Import:
		verb = "it was not imported"
	case e.Adopting:
		verb = "--adopt did not take it over"
	}
	other := state.StageRef{URL: e.Here.URL, App: h.App, Stage: h.Stage}
	switch {
	case e.Superseded:
		fmt.Fprintf(&b, "%s is the resource %q replaced %s, which is still to be deleted; %s. Run again once it is deleted, or give %q another %s",
			what, h.LogicalID, where, verb, e.Wanted, e.Names)
	case here && e.Import:
		fmt.Fprintf(&b, "%s is already managed as %q %s; to manage it as %q instead, move the record: `athanor state mv %s %s %s`",
			what, h.LogicalID, where, e.Wanted, h.LogicalID, e.Wanted, e.Here.Flags())
	case here:
		fmt.Fprintf(&b, "%s is already managed as %q %s; %s, since two records of one resource would each delete it. Give %q another %s, "+
			"or, if %q is to take over %q's resource, stop declaring %q (the plan then shows the move) or move the record: `athanor state mv %s %s %s`",
			what, h.LogicalID, where, verb, e.Wanted, e.Names, e.Wanted, h.LogicalID, h.LogicalID, h.LogicalID, e.Wanted, e.Here.Flags())
	case e.Import:
		fmt.Fprintf(&b, "%s is already managed as %q %s; %s, since destroying either stage would delete it for both. To hand it over, "+
			"remove it from that stage's state with `%s` (AWS is not touched), then import it again",
			what, h.LogicalID, where, verb, rmCommand(other, &h.Record))
	default:
		fmt.Fprintf(&b, "%s is already managed as %q %s; %s, since destroying either stage would delete it for both. Give %q another %s in this stage, "+
			"or hand the resource over: remove it from that stage's state with `%s` (AWS is not touched), then run again with --adopt",
			what, h.LogicalID, where, verb, e.Wanted, e.Names, rmCommand(other, &h.Record))
	}
	return b.String()
}

// rmCommand is the `athanor state rm` that removes record r from stage
// where, leaving its resource in AWS, as it works when printed: with
// --force when r is protected, which rm then asks for.
func rmCommand(where state.StageRef, r *state.Record) string {
	args := []string{r.LogicalID, "--yes"}
	if r.Protect {
		args = append(args, "--force")
	}
	return where.Command("state rm", args...)
}

// identityNames names the properties that make a resource of sc's type
// itself, for advice: "LogGroupName", or a flow log's configuration.
func identityNames(sc *schema.Schema) string {
	if rule, ok := identityRule(sc); ok {
		return rule.IdentityNames()
	}
	return strings.Join(sc.PrimaryIdentifierNames(), ", ")
}

// findHolder returns the record of recs, other than wanted's own in stage
// here, that holds a resource of sc's type with identifier id (when not
// "") or identity key (when not "") at a place where may be (see
// samePlace), and whether it holds it as a replaced resource still to be
// deleted.
func findHolder(sc *schema.Schema, recs []state.Located, here state.StageRef, wanted, id, key string, where func(place) bool) (state.Located, bool, bool) {
	same := func(identifier string, props map[string]any) bool {
		if identifier == "" {
			return false
		}
		if id != "" && identifier == id {
			return true
		}
		if key == "" {
			return false
		}
		if _, ok := identityRule(sc); !ok {
			return identifier == key
		}
		k, ok := identity(sc, props)
		return ok && k == key
	}
	for _, r := range recs {
		if r.Type != sc.TypeName || r.App == here.App && r.Stage == here.Stage && r.LogicalID == wanted {
			continue
		}
		rec := r.Record
		props := rec.Props
		if props == nil {
			props = rec.Outputs
		}
		if same(rec.Identifier, props) && where(recordPlace(&rec)) {
			return r, false, true
		}
		for _, s := range rec.Superseded {
			if same(s.Identifier, s.Props) && where(scopePlace(s.Scope)) {
				return r, true, true
			}
		}
	}
	return state.Located{}, false, false
}

// holders returns every record of the state store the engine can see: this
// stage's as the engine knows them now, and the other stages' (others).
func (e *Engine) holders(ctx context.Context) ([]state.Located, error) {
	here := e.opts.Where
	e.mu.Lock()
	var out []state.Located
	for _, id := range sortedKeys(e.records) {
		out = append(out, state.Located{App: here.App, Stage: here.Stage, Record: *e.records[id]})
	}
	e.mu.Unlock()
	others, err := e.otherStages(ctx)
	if err != nil {
		return nil, err
	}
	return append(out, others...), nil
}

// otherStages returns, when the store can read the whole location
// (state.AllLoader) and the engine knows which stage it is, every other
// app's and stage's records as stored. They are read once per engine: a
// run that adopts many resources reads them once.
func (e *Engine) otherStages(ctx context.Context) ([]state.Located, error) {
	here := e.opts.Where
	l, ok := e.opts.Store.(state.AllLoader)
	if !ok || here.App == "" {
		return nil, nil
	}
	e.othersMu.Lock()
	defer e.othersMu.Unlock()
	if e.others == nil {
		all, err := l.LoadAll(ctx)
		if err != nil {
			return nil, fmt.Errorf("read the other stages' state, to check that none of them manages it: %w", err)
		}
		e.others = []state.Located{}
		for _, r := range all {
			if r.App != here.App || r.Stage != here.Stage {
				e.others = append(e.others, r)
			}
		}
	}
	return e.others, nil
}

// held returns a *HeldError when a record other than wanted's holds the
// resource in scope with identifier id or the identity of props.
func (e *Engine) held(ctx context.Context, sc *schema.Schema, scope *state.Scope, wanted, id string, props map[string]any) error {
	recs, err := e.holders(ctx)
	if err != nil {
		return err
	}
	key, _ := identity(sc, props)
	where := func(p place) bool { return e.samePlace(ctx, scopePlace(scope), p) }
	h, superseded, ok := findHolder(sc, recs, e.opts.Where, wanted, id, key, where)
	if !ok {
		return nil
	}
	if _, ruled := identityRule(sc); id == "" && !ruled {
		id = key
	}
	return &HeldError{Type: sc.TypeName, Identifier: id, Wanted: wanted, Holder: h, Superseded: superseded, Here: e.opts.Where, Names: identityNames(sc)}
}

// shareReads gives e what from has read of the other stages and of the
// run's own account and region, so that the passes of a run read each
// once. Call it before e is used.
func (e *Engine) shareReads(from *Engine) {
	from.othersMu.Lock()
	e.others = from.others
	from.othersMu.Unlock()
	from.homeMu.Lock()
	e.home, e.homeRead = from.home, from.homeRead
	from.homeMu.Unlock()
}
