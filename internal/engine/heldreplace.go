package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"

	"github.com/athanor-iac/athanor/schema"
	"github.com/athanor-iac/athanor/state"
)

// A replacement deletes the resource it replaces. When another record of
// the state store holds that resource too, deleting it would take it
// from that record, so it is not deleted, and every resource stays
// tracked: a replacement that creates the new resource first makes it,
// then leaves the old one to the other record alone (leaveHeld); one
// that must delete the old one first is refused before anything is sent
// (checkHeldReplace, refuseHeldSuperseded). What a record left over from
// a replacement, deleted later (a declared resource's, or one no longer
// declared), is left the same way.

// checkHeldReplace looks, for a change c that replaces rec's resource,
// for another record that holds that resource too. A replacement that
// would delete it first is refused: a problem of the plan, and in the
// apply pass the declaration fails at once. One that creates the new
// resource first is marked (Change.HeldBy) in the plan; the apply pass
// leaves the old one to the holder (leaveHeld).
func (e *Engine) checkHeldReplace(ctx context.Context, sc *schema.Schema, d Declaration, rec *state.Record, c *Change, desired map[string]any) error {
	if c.Action != Replace || rec == nil || rec.Identifier == "" || c.Retain || c.Protected {
		return nil
	}
	first, names := deleteFirst(sc, d.Options, rec.Props, desired)
	if first == "" && e.mode == ModeApply {
		return nil // checked when the old resource is to be deleted
	}
	// A record the plan takes as renamed to d is d's own (claimMove): the
	// run merges it into d's before replacing.
	h, ok, err := e.holderOf(ctx, rec.Type, rec.Identifier, recordPlace(rec), d.LogicalID, rec.LogicalID, c.MovedFrom)
	if err != nil {
		return fmt.Errorf("%s %q not replaced: %w", d.Type, d.LogicalID, err)
	}
	if !ok {
		return nil
	}
	if first == "" {
		c.HeldBy = &Holder{App: h.App, Stage: h.Stage, LogicalID: h.LogicalID}
		return nil
	}
	herr := &HeldDeleteError{LogicalID: d.LogicalID, Type: rec.Type, Identifier: rec.Identifier, Holder: h, Here: e.opts.Where, First: first, Names: names}
	e.mu.Lock()
	e.refused = append(e.refused, Problem{LogicalID: d.LogicalID, Type: d.Type, Message: herr.Error()})
	e.mu.Unlock()
	if e.mode == ModeApply {
		return &ProblemsError{Problems: e.Problems()}
	}
	return nil
}

// deleteFirst says why a replacement of a resource with oldProps by one
// with desired deletes the old one before creating the new one, or "";
// names, the properties that make the two one resource when they are.
// It decides as createReplacement does.
func deleteFirst(sc *schema.Schema, opts ResourceOptions, oldProps, desired map[string]any) (why, names string) {
	oldKey, ok1 := identity(sc, oldProps)
	newKey, ok2 := identity(sc, desired)
	if ok1 && ok2 && oldKey == newKey {
		names = identityNames(sc)
	}
	switch {
	case opts.DeleteBeforeReplace:
		return "DeleteBeforeReplace", names
	case sc.ReplacementStrategy == "delete_then_create":
		return "its type's schema replaces by deleting first", names
	case names != "":
		return "the new one would have its " + names, names
	}
	return "", ""
}

// holderOf returns a record of the state store that holds the resource
// of type typeName with identifier id at place at: in this stage under a
// logical ID other than mine (the first by logical ID), or in another app
// or stage. It looks at the records that match alone, for it runs once
// per replaced resource.
func (e *Engine) holderOf(ctx context.Context, typeName, id string, at place, mine ...string) (state.Located, bool, error) {
	here := e.opts.Where
	var found []state.Located
	e.mu.Lock()
	for lid, r := range e.records {
		if r.Type == typeName && r.Identifier == id && !slices.Contains(mine, lid) {
			found = append(found, state.Located{App: here.App, Stage: here.Stage, Record: *r})
		}
	}
	e.mu.Unlock()
	sort.Slice(found, func(i, j int) bool { return found[i].LogicalID < found[j].LogicalID })
	others, err := e.otherStages(ctx)
	if err != nil {
		return state.Located{}, false, err
	}
	for _, h := range others {
		if h.Type == typeName && h.Identifier == id {
			found = append(found, h)
		}
	}
	for _, h := range found {
		if e.samePlace(ctx, at, recordPlace(&h.Record)) {
			return h, true, nil
		}
	}
	return state.Located{}, false, nil
}

// heldSuperseded returns, by index, rec's replaced resources that another
// record holds, with that record.
func (e *Engine) heldSuperseded(ctx context.Context, rec *state.Record) (map[int]state.Located, error) {
	out := map[int]state.Located{}
	for i, s := range rec.Superseded {
		if s.Identifier == "" {
			continue
		}
		h, ok, err := e.holderOf(ctx, rec.Type, s.Identifier, e.supersededPlace(rec.Type, s), rec.LogicalID)
		if err != nil {
			return nil, err
		}
		if ok {
			out[i] = h
		}
	}
	return out, nil
}

// supersededPlace is the place of a replaced resource: its scope, or,
// without one, what the ARNs of the record that held it when the run
// started name (a replaced resource keeps no outputs).
func (e *Engine) supersededPlace(typeName string, s state.Superseded) place {
	if s.Scope != nil {
		return scopePlace(s.Scope)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	for i := range e.loaded {
		if r := &e.loaded[i]; r.Type == typeName && r.Identifier == s.Identifier && r.Scope == nil {
			return recordPlace(r)
		}
	}
	return place{}
}

// refuseHeldSuperseded returns a *HeldDeleteError when another record
// holds a resource that rec's replacement by one with desired is to
// delete before creating the new one: nothing is sent, and the record
// keeps tracking what it tracked. collided, when not "", is the create
// that found the two collide.
func (e *Engine) refuseHeldSuperseded(ctx context.Context, sc *schema.Schema, rec *state.Record, desired map[string]any, collided error) error {
	held, err := e.heldSuperseded(ctx, rec)
	if err != nil || len(held) == 0 {
		return err
	}
	for i, s := range rec.Superseded {
		h, ok := held[i]
		if !ok {
			continue
		}
		why, names := deleteFirst(sc, e.optionsOf(rec.LogicalID), s.Props, desired)
		switch {
		case collided != nil:
			why = "the create of the new one found the two colliding: " + collided.Error()
		case s.Pending != nil:
			why = "an earlier run started deleting it"
		case why == "":
			why = "the replacement deletes it first"
		}
		return &HeldDeleteError{LogicalID: rec.LogicalID, Type: rec.Type, Identifier: s.Identifier, Holder: h, Here: e.opts.Where, First: why, Names: names}
	}
	return nil
}

// leaveHeld drops from rec the replaced resources that another record
// holds, leaving them in AWS to that record, and keeps their
// *HeldDeleteError for DeleteAll to return: the replacement is done, and
// the run fails once the rest is.
func (e *Engine) leaveHeld(ctx context.Context, rec *state.Record) error {
	held, err := e.heldSuperseded(ctx, rec)
	if err != nil || len(held) == 0 {
		return err
	}
	var kept []state.Superseded
	var left []*HeldDeleteError
	for i, s := range rec.Superseded {
		h, ok := held[i]
		if !ok {
			kept = append(kept, s)
			continue
		}
		left = append(left, &HeldDeleteError{LogicalID: rec.LogicalID, Type: rec.Type, Identifier: s.Identifier, Holder: h, Here: e.opts.Where, Replaced: true})
	}
	rec.Superseded = kept
	if err := e.put(ctx, rec); err != nil {
		return err
	}
	for _, herr := range left {
		e.emit(Event{LogicalID: rec.LogicalID, Type: rec.Type, Phase: PhaseNote, Identifier: herr.Identifier,
			Detail: fmt.Sprintf("the replaced %s is not deleted: it is also held %s, and is left to that record (the run fails)", herr.Identifier, herr.holderName())})
		e.mu.Lock()
		e.leftHeld = append(e.leftHeld, &OpError{LogicalID: rec.LogicalID, Type: rec.Type, Op: "delete", Err: herr})
		e.mu.Unlock()
	}
	return nil
}

// takeLeftHeld returns, and forgets, the errors of the replaced resources
// leaveHeld left to other records.
func (e *Engine) takeLeftHeld() []error {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := e.leftHeld
	e.leftHeld = nil
	return out
}

// holderName names the holder: "by app A, stage S, as "id"", or "in
// this stage, as "id"".
func (e *HeldDeleteError) holderName() string {
	if e.sameStage() {
		return fmt.Sprintf("in this stage, as %q", e.Holder.LogicalID)
	}
	return fmt.Sprintf("by app %s, stage %s, as %q", e.Holder.App, e.Holder.Stage, e.Holder.LogicalID)
}

// leftError says that the old resource of a replacement was left to the
// record that holds it too.
func (e *HeldDeleteError) leftError() string {
	h := e.Holder
	next := fmt.Sprintf("that stage's runs delete it once they no longer declare %q", h.LogicalID)
	if e.sameStage() {
		next = fmt.Sprintf("a later run deletes it once the program no longer declares %q", h.LogicalID)
	}
	return fmt.Sprintf("not deleted: %s %s, which %q replaced, is also held %s; deleting it would take it from that record. "+
		"It is left to that record alone: dropped from %q, which holds the new one (AWS is not touched for it); %s. To see that record: `%s`",
		e.Type, e.Identifier, e.LogicalID, e.holderName(), e.LogicalID, next, e.other().Command("state show", h.LogicalID))
}

// firstError refuses a replacement that would delete the old resource,
// which another record holds too, before creating the new one.
func (e *HeldDeleteError) firstError() string {
	h := e.Holder
	mine := state.Record{LogicalID: e.LogicalID}
	next := "the next run creates a new one"
	if e.Names != "" {
		next += fmt.Sprintf(", which needs another %s, since the two cannot exist side by side", e.Names)
	}
	msg := fmt.Sprintf("not replaced: the replacement would delete %s %s before creating the new one (%s), and it is also held %s; deleting it would take it from that record. It was not deleted. ",
		e.Type, e.Identifier, e.First, e.holderName())
	if e.sameStage() {
		return msg + fmt.Sprintf("To stop managing it as %q and leave it to %q: `%s` (AWS is not touched; %s)",
			e.LogicalID, h.LogicalID, rmCommand(e.Here, &mine), next)
	}
	return msg + fmt.Sprintf("To stop managing it in this stage and leave it to that one: `%s` (AWS is not touched; %s). "+
		"If it is this stage's alone (that record is left over), remove that record instead, `%s`, and run again",
		rmCommand(e.Here, &mine), next, rmCommand(e.other(), &h.Record))
}

// keptError refuses the delete of a record that holds a resource a
// replacement of this stage left to a record of this stage.
func (e *HeldDeleteError) keptError() string {
	h := e.Holder
	mine := state.Record{LogicalID: e.LogicalID}
	if h.LogicalID == e.LogicalID {
		return fmt.Sprintf("not deleted: %s %s, which %q replaced, is also held as %q, to which the run left it, and the plan refused this delete for that; %q, which keeps it, is not deleted in this run. "+
			"The next run deletes it, since the program no longer declares %q; to stop managing it without deleting it: `%s` (AWS is not touched)",
			e.Type, e.Identifier, e.LeftBy, e.LogicalID, e.LogicalID, e.LogicalID, rmCommand(e.Here, &mine))
	}
	return fmt.Sprintf("not deleted: %s %s, which %q replaced, is left to %q, which keeps it, and is also held as %q; deleting it would take it from %q. "+
		"To stop managing it as %q and leave it to %q: `%s` (AWS is not touched)",
		e.Type, e.Identifier, e.LeftBy, h.LogicalID, e.LogicalID, h.LogicalID, e.LogicalID, h.LogicalID, rmCommand(e.Here, &mine))
}

// leftRecord is a resource a replacement of this stage leaves to a
// record of this stage: by, the record replaced; holder, the one that
// keeps it.
type leftRecord struct {
	by, typeName, id string
	holder           state.Located
	at               place
}

// keptInStage returns, of the records gone that the run is to delete, the
// refusals of those that hold a resource a replacement of this stage
// leaves to a record of this stage (leaveHeld): one it left in this run
// already, or one a record still lists as replaced. The plan marks their
// deletes held by the replaced record (heldBy); the run agrees, and the
// record that keeps the resource keeps it.
func (e *Engine) keptInStage(ctx context.Context, gone []*state.Record) (map[string]*HeldDeleteError, error) {
	if !slices.ContainsFunc(gone, deletesResource) {
		return nil, nil
	}
	left, err := e.leftInStage(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string]*HeldDeleteError{}
	for _, r := range gone {
		if !deletesResource(r) {
			continue
		}
		for _, l := range left {
			if l.typeName == r.Type && l.id == r.Identifier && l.by != r.LogicalID && e.samePlace(ctx, l.at, recordPlace(r)) {
				out[r.LogicalID] = &HeldDeleteError{LogicalID: r.LogicalID, Type: r.Type, Identifier: r.Identifier, Holder: l.holder, Here: e.opts.Where, LeftBy: l.by}
				break
			}
		}
	}
	return out, nil
}

// leftInStage returns the resources replacements of this stage leave to
// records of this stage: those leaveHeld left in this run, and those it
// will leave of what the records still list as replaced.
func (e *Engine) leftInStage(ctx context.Context) ([]leftRecord, error) {
	var left []leftRecord
	var listing []state.Record
	e.mu.Lock()
	for _, err := range e.leftHeld {
		var he *HeldDeleteError
		if errors.As(err, &he) && he.sameStage() {
			left = append(left, leftRecord{by: he.LogicalID, typeName: he.Type, id: he.Identifier, holder: he.Holder, at: recordPlace(&he.Holder.Record)})
		}
	}
	for _, id := range sortedKeys(e.records) {
		if r := e.records[id]; len(r.Superseded) > 0 {
			listing = append(listing, *r)
		}
	}
	e.mu.Unlock()
	for _, r := range listing {
		for _, s := range r.Superseded {
			if s.Identifier == "" {
				continue
			}
			at := e.supersededPlace(r.Type, s)
			h, ok, err := e.holderOf(ctx, r.Type, s.Identifier, at, r.LogicalID)
			if err != nil {
				return nil, err
			}
			if ok && h.App == e.opts.Where.App && h.Stage == e.opts.Where.Stage {
				left = append(left, leftRecord{by: r.LogicalID, typeName: r.Type, id: s.Identifier, holder: h, at: at})
			}
		}
	}
	return left, nil
}
