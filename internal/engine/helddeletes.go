package engine

import (
	"context"
	"fmt"

	"github.com/athanor-iac/athanor/state"
)

// Holder names another record of the state store that holds the resource
// a delete would remove: in another app or stage, or in this stage under
// another logical ID that the run keeps. In a plan (Change.HeldBy) it
// marks a delete the run refuses.
type Holder struct {
	App       string `json:"app"`
	Stage     string `json:"stage"`
	LogicalID string `json:"logicalId"`
}

// HeldDeleteError refuses to delete a resource that another record of the
// state store holds as well: stores written by older versions, edited by
// hand or by `athanor state` commands may hold one resource twice, and
// deleting it for one record would take it from the other. A delete
// (destroy, a record no longer declared) leaves the resource and both
// records as they are. Of a replacement, the old resource is not deleted:
// one that creates the new resource first leaves the old one to the other
// record (Replaced); one that must delete it first is refused before
// anything is sent (First).
type HeldDeleteError struct {
	LogicalID  string
	Type       string
	Identifier string
	// Holder is the other record; Here the stage that would delete.
	Holder state.Located
	Here   state.StageRef
	// Replaced says the resource is one that LogicalID's replacement
	// left behind: the new one was made, and the old one, dropped from
	// LogicalID's record, is left to Holder.
	Replaced bool
	// First, when not "", says why the replacement of LogicalID would
	// delete the resource before creating the new one: the replacement
	// was refused. Names, then, are the properties that make the two
	// collide, when they do.
	First string
	Names string
	// LeftBy, when not "", is the record of this stage whose replacement
	// leaves the resource to Holder, a record of this stage too: the
	// delete of LogicalID (Holder itself, or another record that holds
	// it) is refused, so that Holder keeps it, as the plan marked the
	// delete held by LeftBy.
	LeftBy string
}

func (e *HeldDeleteError) Error() string {
	switch {
	case e.Replaced:
		return e.leftError()
	case e.First != "":
		return e.firstError()
	case e.LeftBy != "":
		return e.keptError()
	}
	h := e.Holder
	mine := state.Record{LogicalID: e.LogicalID}
	if e.sameStage() {
		return fmt.Sprintf("not deleted: %s %s is also held in this stage, as %q, which the run keeps; deleting it would take it from %q. "+
			"To stop managing it as %q and leave it to %q: `%s` (AWS is not touched)",
			e.Type, e.Identifier, h.LogicalID, h.LogicalID, e.LogicalID, h.LogicalID, rmCommand(e.Here, &mine))
	}
	return fmt.Sprintf("not deleted: %s %s is also held by app %s, stage %s, as %q; deleting it would take it from that stage. "+
		"To stop managing it in this stage and leave it to that one: `%s` (AWS is not touched). "+
		"If it is this stage's alone (that record is left over), remove that record instead, `%s`, and run again",
		e.Type, e.Identifier, h.App, h.Stage, h.LogicalID, rmCommand(e.Here, &mine), rmCommand(e.other(), &h.Record))
}

func (e *HeldDeleteError) sameStage() bool {
	return e.Holder.App == e.Here.App && e.Holder.Stage == e.Here.Stage
}

// other is the holder's stage.
func (e *HeldDeleteError) other() state.StageRef {
	return state.StageRef{URL: e.Here.URL, App: e.Holder.App, Stage: e.Holder.Stage}
}

// deletesResource reports whether deleting r's record sends a delete to
// AWS: not for a protected record (refused), a retained one (forgotten)
// or one that never got a resource.
func deletesResource(r *state.Record) bool {
	return r != nil && r.Identifier != "" && !r.Protect && !r.RetainOnDelete
}

// heldBy returns, of the records recs that the run is to delete, those
// whose resource another record holds, with that record: a record of
// another app or stage of the store, or of this stage and not in recs.
// The same identifier is the same resource when nothing tells that the
// two are in different accounts or regions (recordPlace, samePlace).
// Other stages are read only when a record of recs would send a delete,
// and once per engine (holders).
func (e *Engine) heldBy(ctx context.Context, recs []*state.Record) (map[string]state.Located, error) {
	gone := map[string]bool{}
	var deleting []*state.Record
	for _, r := range recs {
		gone[r.LogicalID] = true
		if deletesResource(r) {
			deleting = append(deleting, r)
		}
	}
	if len(deleting) == 0 {
		return nil, nil
	}
	all, err := e.holders(ctx)
	if err != nil {
		return nil, fmt.Errorf("nothing was deleted: %w", err)
	}
	here := e.opts.Where
	byID := map[string][]state.Located{}
	for _, h := range all {
		if h.Identifier == "" || h.App == here.App && h.Stage == here.Stage && gone[h.LogicalID] {
			continue
		}
		k := h.Type + "\x00" + h.Identifier
		byID[k] = append(byID[k], h)
	}
	// A resource a record of this stage lists as replaced is held by it
	// too: the run leaves it to the record being deleted (leaveHeld,
	// keptInStage).
	listed := e.supersededHolders()
	out := map[string]state.Located{}
	for _, r := range deleting {
		k := r.Type + "\x00" + r.Identifier
		for _, h := range byID[k] {
			if e.samePlace(ctx, recordPlace(r), recordPlace(&h.Record)) {
				out[r.LogicalID] = h
				break
			}
		}
		if _, ok := out[r.LogicalID]; ok {
			continue
		}
		for _, h := range listed[k] {
			if h.LogicalID != r.LogicalID && e.samePlace(ctx, recordPlace(r), h.at) {
				out[r.LogicalID] = h.Located
				break
			}
		}
	}
	return out, nil
}

// heldDelete is the error of a delete heldBy (or, when kept is not nil,
// keptInStage) refused, as DeleteAll returns it, and tells the progress
// it failed.
func (e *Engine) heldDelete(r *state.Record, h state.Located, kept *HeldDeleteError) error {
	err := &HeldDeleteError{LogicalID: r.LogicalID, Type: r.Type, Identifier: r.Identifier, Holder: h, Here: e.opts.Where}
	if kept != nil {
		err = kept
	}
	e.emit(Event{LogicalID: r.LogicalID, Type: r.Type, Action: Delete, Phase: PhaseFailed, Identifier: r.Identifier, Err: err})
	return &OpError{LogicalID: r.LogicalID, Type: r.Type, Op: "delete", Err: err}
}
