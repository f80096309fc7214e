package engine

import (
	"context"
	"fmt"
	"slices"

	"github.com/athanor-iac/athanor/schema"
	"github.com/athanor-iac/athanor/state"
)

// Move is a renamed resource: the program no longer declares From, and
// declares To with the same type and identity (the same user-chosen name,
// the same flow log configuration). The run renames the record instead of
// creating To and deleting From, which would delete the one resource they
// both are.
type Move struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// claim is a move the plan pass is considering: From's record is taken for
// To's declaration until the program declares From itself.
type claim struct {
	to   string
	decl Declaration
}

// claimMove decides, in plan mode, whether declaration d (whose record is
// rec) takes over the record of a resource the program has not declared
// (yet): when d has no record and its identity is that of exactly one such
// record, or when d's record holds the very resource another undeclared
// record holds (a rename interrupted between its two writes). It returns
// the logical ID moved from and the record to plan d against. Called with
// e.mu held.
func (e *Engine) claimMove(sc *schema.Schema, d Declaration, rec *state.Record) (string, *state.Record) {
	if c, ok := e.claims[d.LogicalID]; ok {
		// The program declares what was taken as renamed: it was not.
		e.cancelMove(d.LogicalID, c)
	}
	if rec == nil {
		if from, r := e.claimAlias(d); r != nil {
			return from, r
		}
	}
	var key string
	if rec != nil {
		if rec.Identifier == "" {
			return "", rec
		}
	} else if k, ok := identity(sc, d.Props); ok {
		key = k
	} else {
		return "", nil
	}
	var found []string
	for _, id := range e.sameResource(sc, rec, key) {
		r := e.records[id]
		// A resource of another account or region is another resource,
		// whatever its identifier.
		if id == d.LogicalID || e.declared[id] || r.Pending != nil || len(r.Superseded) > 0 || r.Scope.Key() != d.Scope.Key() {
			continue
		}
		if _, taken := e.claims[id]; !taken {
			found = append(found, id)
		}
	}
	if len(found) != 1 {
		return "", rec
	}
	from := found[0]
	e.claims[from] = claim{to: d.LogicalID, decl: d}
	if rec == nil {
		rec = e.records[from]
	}
	return from, rec
}

// sameResource returns the logical IDs, sorted, of the records of sc's
// type that hold rec's resource (when rec is not nil) or a resource with
// identity key. The records are indexed on first use, so that a plan of a
// large stage stays linear. Called with e.mu held.
func (e *Engine) sameResource(sc *schema.Schema, rec *state.Record, key string) []string {
	if e.byResource == nil {
		e.byResource = map[string][]string{}
		for _, id := range sortedKeys(e.records) {
			r := e.records[id]
			if r.Identifier == "" {
				continue
			}
			e.byResource["id\x00"+r.Type+"\x00"+r.Identifier] = append(e.byResource["id\x00"+r.Type+"\x00"+r.Identifier], id)
			if rsc := schemaOf(r.Type); rsc != nil {
				if k, ok := recordIdentity(rsc, r); ok {
					e.byResource["key\x00"+r.Type+"\x00"+k] = append(e.byResource["key\x00"+r.Type+"\x00"+k], id)
				}
			}
		}
	}
	if rec != nil {
		return e.byResource["id\x00"+sc.TypeName+"\x00"+rec.Identifier]
	}
	return e.byResource["key\x00"+sc.TypeName+"\x00"+key]
}

// cancelMove undoes a claim. A declaration with a record of its own was
// planned against it (claimMove kept it): it only stops being a move. One
// without is planned as a create after all, and what was refused of it
// against the claimed record no longer stands. Called with e.mu held.
func (e *Engine) cancelMove(from string, c claim) {
	delete(e.claims, from)
	for i, ch := range e.changes {
		if ch.LogicalID != c.to {
			continue
		}
		if e.records[c.to] != nil {
			e.changes[i].MovedFrom = ""
			continue
		}
		e.changes[i], _ = decide(schemaOf(c.decl.Type), nil, c.decl)
		e.refused = slices.DeleteFunc(e.refused, func(p Problem) bool { return p.LogicalID == c.to })
	}
}

// Moves returns the moves the plan pass decided, for the apply pass.
func (e *Engine) Moves() []Move {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []Move
	for _, from := range sortedKeys(e.claims) {
		out = append(out, Move{From: from, To: e.claims[from].to})
	}
	return out
}

// checkIdentity reports a declaration whose identity another declaration
// already has: AWS would refuse to create the second (AlreadyExists,
// FlowLogAlreadyExists). Called with e.mu held.
func (e *Engine) checkIdentity(d Declaration, sc *schema.Schema, valid bool) string {
	if sc == nil || !valid {
		return ""
	}
	key, ok := identity(sc, d.Props)
	if !ok {
		return ""
	}
	// One name in two accounts or regions is two resources.
	key = d.Scope.Key() + "\x00" + d.Type + "\x00" + key
	other, dup := e.dupKeys[key]
	if !dup {
		e.dupKeys[key] = d.LogicalID
		return ""
	}
	if rule, ok := identityRule(sc); ok {
		return rule.DuplicateMessage(other)
	}
	return fmt.Sprintf("same %s as %q; both would be one AWS resource: give one of them another %s, or remove one", identityNames(sc), other, identityNames(sc))
}

// applyMoves carries out the plan's moves before anything else is done:
// each record is written under its new logical ID, the records that
// depended on the old ID are made to depend on the new one, and the old
// record is removed. A crash in between leaves both records of the
// resource; the next plan finds the pair and finishes the move. Nothing is
// sent to AWS.
func (e *Engine) applyMoves(ctx context.Context) error {
	if len(e.opts.Moves) > 0 {
		// The loaded records may be the caller's (Options.Records).
		e.loaded = append([]state.Record(nil), e.loaded...)
	}
	for _, m := range e.opts.Moves {
		old := e.records[m.From]
		if old == nil {
			continue
		}
		if cur := e.records[m.To]; cur == nil {
			rec := *old
			rec.LogicalID = m.To
			if err := e.put(ctx, &rec); err != nil {
				return err
			}
		} else if cur.Type != old.Type || cur.Identifier != old.Identifier {
			return fmt.Errorf("move %s to %s: %s already holds %s %s", m.From, m.To, m.To, cur.Type, cur.Identifier)
		}
		for _, id := range sortedKeys(e.records) {
			r := *e.records[id]
			if deps, changed := renameDep(r.DependsOn, m.From, m.To); changed && id != m.From {
				r.DependsOn = deps
				if err := e.put(ctx, &r); err != nil {
					return err
				}
			}
		}
		if err := e.forget(ctx, m.From); err != nil {
			return err
		}
		for i := range e.loaded {
			if e.loaded[i].LogicalID == m.From {
				e.loaded[i].LogicalID = m.To
			}
			e.loaded[i].DependsOn, _ = renameDep(e.loaded[i].DependsOn, m.From, m.To)
		}
		rec := e.records[m.To]
		e.index(m.To, schemaOf(rec.Type), rec.Identifier, rec.Outputs)
		e.emit(Event{LogicalID: m.To, Type: rec.Type, Action: Moved, Phase: PhaseDone, Identifier: rec.Identifier, Detail: m.From})
	}
	return nil
}

// renameDep returns deps with from replaced by to, sorted and without
// duplicates, and whether from was there.
func renameDep(deps []string, from, to string) ([]string, bool) {
	changed := false
	set := map[string]bool{}
	for _, d := range deps {
		if d == from {
			d, changed = to, true
		}
		set[d] = true
	}
	if !changed {
		return deps, false
	}
	return sortedKeys(set), true
}

// MoveError refuses a move by hand (`athanor state mv`): the record to
// move is missing, or the new logical ID is taken.
type MoveError struct{ Msg string }

func (e *MoveError) Error() string { return e.Msg }

// MoveRecord renames record from to to in store (the stage where names),
// as a planned move does, sending nothing to AWS. The caller holds the
// stage's lock.
func MoveRecord(ctx context.Context, store state.Store, where state.StageRef, from, to string) (state.Record, error) {
	for _, id := range []string{from, to} {
		if err := state.ValidateLogicalID(id); err != nil {
			return state.Record{}, &MoveError{err.Error()}
		}
	}
	recs, err := store.Load(ctx)
	if err != nil {
		return state.Record{}, fmt.Errorf("load state: %w", err)
	}
	var moved *state.Record
	for i, r := range recs {
		switch r.LogicalID {
		case to:
			return state.Record{}, &MoveError{fmt.Sprintf("%q already holds %s %s; choose a logical ID the stage does not have", to, r.Type, r.Identifier)}
		case from:
			moved = &recs[i]
		}
	}
	if moved == nil {
		return state.Record{}, &MoveError{fmt.Sprintf("the stage has no record %q (see `%s`)", from, where.Command("state list"))}
	}
	if _, err := New(ctx, ModeApply, Options{Store: store, Records: recs, Moves: []Move{{From: from, To: to}}}); err != nil {
		return state.Record{}, err
	}
	out := *moved
	out.LogicalID = to
	return out, nil
}
