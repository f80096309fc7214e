package engine

import (
	"context"

	"github.com/athanor-iac/athanor/state"
)

// Leftover is a resource that a replacement of an earlier run left
// behind: its record still lists it as replaced (state.Superseded),
// because the delete of it did not finish. The run deletes it, after the
// rest, unless RetainOnDelete leaves it in AWS (Retain) or another record
// holds it too (HeldBy): then the run leaves it to that record and fails,
// as for a replacement's old resource (leaveHeld).
type Leftover struct {
	Identifier string `json:"identifier"`
	// Scope is "ACCOUNT/REGION" of a leftover outside the run's own
	// account and region.
	Scope  string  `json:"scope,omitempty"`
	Retain bool    `json:"retain,omitempty"`
	HeldBy *Holder `json:"heldBy,omitempty"`
}

// leftovers returns the plan of rec's replaced resources: retained when
// retain, otherwise each with the record that holds it too, if any, other
// than those of mine (rec's own logical IDs).
func (e *Engine) leftovers(ctx context.Context, rec *state.Record, retain bool, mine ...string) ([]Leftover, error) {
	if rec == nil {
		return nil, nil
	}
	var out []Leftover
	for _, s := range rec.Superseded {
		if s.Identifier == "" {
			continue
		}
		l := Leftover{Identifier: s.Identifier, Scope: s.Scope.Key(), Retain: retain}
		if !retain {
			h, ok, err := e.holderOf(ctx, rec.Type, s.Identifier, e.supersededPlace(rec.Type, s), append(mine, rec.LogicalID)...)
			if err != nil {
				return nil, err
			}
			if ok {
				l.HeldBy = &Holder{App: h.App, Stage: h.Stage, LogicalID: h.LogicalID}
			}
		}
		out = append(out, l)
	}
	return out, nil
}

// planLeftovers records, on the planned changes of recs, their replaced
// resources (Change.Leftovers).
func (e *Engine) planLeftovers(ctx context.Context, recs []*state.Record) error {
	for _, r := range recs {
		if len(r.Superseded) == 0 {
			continue
		}
		ls, err := e.leftovers(ctx, r, r.RetainOnDelete)
		if err != nil {
			return err
		}
		e.mu.Lock()
		for i := range e.changes {
			if c := &e.changes[i]; c.LogicalID == r.LogicalID && (c.Action == Delete || c.Action == Forget) {
				c.Leftovers = ls
			}
		}
		e.mu.Unlock()
	}
	return nil
}

// heldAt is a record of this stage that lists a resource as replaced,
// and the place of that resource.
type heldAt struct {
	state.Located
	at place
}

// supersededHolders returns, keyed by type and identifier, the records of
// this stage that list a resource as replaced, still to be deleted: a
// record whose resource one of them lists is held by it (heldBy).
func (e *Engine) supersededHolders() map[string][]heldAt {
	here := e.opts.Where
	type listed struct {
		rec state.Record
		s   state.Superseded
	}
	var all []listed
	e.mu.Lock()
	for _, id := range sortedKeys(e.records) {
		for _, s := range e.records[id].Superseded {
			if s.Identifier != "" {
				all = append(all, listed{*e.records[id], s})
			}
		}
	}
	e.mu.Unlock()
	out := map[string][]heldAt{}
	for _, l := range all {
		k := l.rec.Type + "\x00" + l.s.Identifier
		out[k] = append(out[k], heldAt{state.Located{App: here.App, Stage: here.Stage, Record: l.rec}, e.supersededPlace(l.rec.Type, l.s)})
	}
	return out
}
