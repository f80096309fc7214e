package engine

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"

	"github.com/athanor-iac/athanor/internal/secrets"
	"github.com/athanor-iac/athanor/provider/cloudcontrol"
	"github.com/athanor-iac/athanor/schema"
	"github.com/athanor-iac/athanor/state"
)

// Drift is what changed in AWS outside the program since the last run.
type Drift struct {
	LogicalID  string     `json:"logicalId"`
	Type       string     `json:"type"`
	Identifier string     `json:"identifier"`
	Deleted    bool       `json:"deleted,omitempty"`
	Diffs      []PropDiff `json:"diffs,omitempty"`
}

// driftOf compares a fresh read with what the engine last applied and
// read. A declared property counts when AWS now reports another value, or
// none; an undeclared one only when it appeared since the last read, so
// values AWS fills in by default (LogFormat, MaxAggregationInterval, a log
// group's ARN in LogDestination) are never drift. A declared property a
// read cannot return (see unread) is not drift.
func driftOf(sc *schema.Schema, rec *state.Record, live map[string]any) []PropDiff {
	var out []PropDiff
	for _, name := range sortedKeys(rec.Props) {
		v, ok := live[name]
		if !ok && unread(sc, name, rec.Props[name]) {
			continue
		}
		if !ok || !equal(v, rec.Props[name]) {
			out = append(out, PropDiff{Name: name, Before: rec.Props[name], After: live[name]})
		}
	}
	for _, name := range sortedKeys(live) {
		if _, declared := rec.Props[name]; declared {
			continue
		}
		if _, seen := rec.Outputs[name]; !seen {
			out = append(out, PropDiff{Name: name, After: live[name]})
		}
	}
	return out
}

// Refresh reads every managed resource, at most Parallelism at a time,
// reports what changed outside the program, and records what AWS now
// reports, so that the next plan shows, and the next apply undoes, the
// changes: a drifted property is planned back to its declared value, a
// resource deleted outside is planned to be created again. With write set
// the refreshed records are saved in the store; otherwise only this
// engine's view changes (up --refresh, plan --refresh).
func (e *Engine) Refresh(ctx context.Context, write bool) ([]Drift, error) {
	var ids []string
	for _, id := range e.All() {
		if e.only(id) {
			ids = append(ids, id)
		}
	}
	listed := e.listMany(ctx, ids)
	r := &refreshRun{e: e, write: write}
	for _, id := range ids {
		e.mu.Lock()
		prev := e.records[id]
		e.mu.Unlock()
		if prev == nil || prev.Identifier == "" || prev.Pending != nil {
			continue
		}
		if live, ok := listed.lookup(prev); ok {
			// Compared here: a goroutine for each of 10,000 listed
			// resources would cost a stack each, for no call.
			r.take(ctx, prev, live, nil)
			continue
		}
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			live, err := e.read(ctx, prev)
			r.take(ctx, prev, live, err)
		}()
	}
	r.wg.Wait()
	for i := range r.drifts {
		r.drifts[i].Diffs = redactDiffs(r.drifts[i].Diffs)
	}
	sortDrifts(r.drifts)
	return r.drifts, errors.Join(r.errs...)
}

// refreshRun collects what one Refresh finds.
type refreshRun struct {
	e     *Engine
	write bool

	wg     sync.WaitGroup
	mu     sync.Mutex
	drifts []Drift
	errs   []error
}

// take records what reading prev's resource returned (live, or err): its
// drift, and what AWS now reports, in the store with write (on a goroutine
// of its own), else in the engine's view alone.
func (r *refreshRun) take(ctx context.Context, prev *state.Record, live map[string]any, err error) {
	d, rec, err := refreshOne(prev, live, err)
	r.mu.Lock()
	if d != nil {
		r.drifts = append(r.drifts, *d)
	}
	if err != nil {
		r.errs = append(r.errs, err)
	}
	r.mu.Unlock()
	switch {
	case rec == nil:
	case r.write:
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			if err := r.e.put(ctx, rec); err != nil {
				r.mu.Lock()
				r.errs = append(r.errs, err)
				r.mu.Unlock()
			}
		}()
	default:
		r.e.mu.Lock()
		r.e.records[rec.LogicalID] = rec
		r.e.mu.Unlock()
	}
}

// refreshOne compares what reading prev's resource returned (live, or
// err) with prev. It returns the resource's drift (nil: none), the record
// to replace prev with (nil: none, the resource is as last recorded, so
// that what was read is dropped at once), and what failed reading.
func refreshOne(prev *state.Record, live map[string]any, err error) (*Drift, *state.Record, error) {
	rec := *prev
	d := Drift{LogicalID: rec.LogicalID, Type: rec.Type, Identifier: rec.Identifier}
	switch {
	case cloudcontrol.IsNotFound(err):
		d.Deleted = true
		rec.Identifier, rec.Outputs = "", nil
	case err != nil:
		return nil, nil, fmt.Errorf("read %s %q (%s): %w", rec.Type, rec.LogicalID, rec.Identifier, err)
	default:
		live = markOutputs(&rec, live)
		sc, _ := schema.Default().Lookup(rec.Type)
		d.Diffs = driftOf(sc, &rec, live)
		if len(d.Diffs) > 0 {
			rec.Props = refreshedProps(sc, &rec, live)
		}
		rec.Outputs = live
	}
	if d.Deleted || len(d.Diffs) > 0 {
		return &d, &rec, nil
	}
	if canonical(rec.Outputs) != canonical(prev.Outputs) {
		return nil, &rec, nil
	}
	return nil, nil, nil
}

// lookup returns what the listing of rec's type has for it, when its type
// was listed (listings are of the run's own account and region). A
// resource missing from a listing is read before it counts as deleted: a
// listing that is incomplete, or that spells an identifier differently,
// must not make the next run create a second one.
func (l listings) lookup(rec *state.Record) (map[string]any, bool) {
	if byID, ok := l[rec.Type]; ok && rec.Scope == nil {
		live, ok := byID[rec.Identifier]
		return live, ok
	}
	return nil, false
}

// read reads rec's resource with a call of its own, within the engine's
// parallelism.
func (e *Engine) read(ctx context.Context, rec *state.Record) (map[string]any, error) {
	release, err := e.acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	prov, err := e.prov(ctx, rec.Scope)
	if err != nil {
		return nil, err
	}
	return prov.Read(ctx, rec.Type, rec.Identifier)
}

// listings are the resources of listed types: by type, then identifier,
// their properties.
type listings map[string]map[string]map[string]any

// listThreshold is how many resources of one type make a listing cheaper
// than reading each: a ListResources page holds up to 100 (500 flow logs).
const listThreshold = 8

// listMany lists the types of which many resources are managed, so that a
// refresh of a thousand flow logs costs two ListResources pages instead of
// a thousand GetResource calls. A type that cannot be listed (some need a
// parent's properties) is read resource by resource instead.
func (e *Engine) listMany(ctx context.Context, ids []string) listings {
	count := map[string]int{}
	e.mu.Lock()
	for _, id := range ids {
		if r := e.records[id]; r != nil && r.Identifier != "" && r.Scope == nil {
			count[r.Type]++
		}
	}
	e.mu.Unlock()
	out := listings{}
	for typ, n := range count {
		if n < listThreshold {
			continue
		}
		list, err := e.opts.Provider.List(ctx, typ)
		if err != nil {
			continue
		}
		byID := make(map[string]map[string]any, len(list))
		for _, d := range list {
			byID[d.Identifier] = d.Properties
		}
		out[typ] = byID
	}
	return out
}

// refreshedProps is what AWS now has for the declared properties, plus the
// undeclared ones that appeared outside the program (so the next apply
// removes them).
func refreshedProps(sc *schema.Schema, rec *state.Record, live map[string]any) map[string]any {
	out := map[string]any{}
	for name, declared := range rec.Props {
		if v, ok := live[name]; ok {
			out[name] = v
		} else if unread(sc, name, declared) {
			out[name] = declared // a read cannot say: keep what was applied
		}
	}
	for name, v := range live {
		if _, declared := rec.Props[name]; declared {
			continue
		}
		if _, seen := rec.Outputs[name]; !seen {
			out[name] = v
		}
	}
	return out
}

// unread reports whether a read that leaves out the declared property
// name says nothing about it. Reads never return the schema's write-only
// properties, and leave out empty lists and objects (a flow log with no
// tags has no Tags). Any other declared property a read leaves out has
// gone: handlers return every property create was given that is neither
// read-only nor write-only (the handler contract's create-read test), so
// no property is excused for being "not echoed". sc may be nil, for a type
// with no schema; then only the empty-value rule applies.
func unread(sc *schema.Schema, name string, declared any) bool {
	if sc != nil && sc.IsWriteOnly("/properties/"+name) {
		return true
	}
	if declared == nil {
		return true
	}
	switch v := reflect.ValueOf(declared); v.Kind() {
	case reflect.Slice, reflect.Map:
		return v.Len() == 0
	}
	return false
}

func sortDrifts(ds []Drift) {
	for i := 1; i < len(ds); i++ {
		for j := i; j > 0 && ds[j].LogicalID < ds[j-1].LogicalID; j-- {
			ds[j], ds[j-1] = ds[j-1], ds[j]
		}
	}
}

// ImportError says why an import was refused; nothing was changed.
type ImportError struct{ Msg string }

func (e *ImportError) Error() string { return e.Msg }

// Import puts an existing resource under management as logicalID: the
// resource is read, and a record is written that holds what AWS reports
// but no declared properties, so that the next run of the program adopts
// it without recreating it, or shows how it differs from the program.
//
// A resource that a record of the state store already manages, in this
// stage or in another app's or stage's (where names this stage), is
// refused with a *HeldError: two records of one resource would each delete
// it.
func Import(ctx context.Context, store state.Store, where state.StageRef, prov Provider, typeName, identifier, logicalID string) (*state.Record, error) {
	return ImportScoped(ctx, store, where, prov, nil, nil, typeName, identifier, logicalID)
}

// ImportScoped is Import of a resource in another account or region than
// prov's: scope is where it lives and how it is reached, as a program's
// declaration through an athanor.Scope resolves it, and scoped is the
// provider that calls there. The record keeps scope as that declaration's
// would, so the program's next run finds the resource where it declares
// it. A nil scope is Import.
func ImportScoped(ctx context.Context, store state.Store, where state.StageRef, prov Provider, scope *state.Scope, scoped Provider, typeName, identifier, logicalID string) (*state.Record, error) {
	if err := state.ValidateLogicalID(logicalID); err != nil {
		return nil, &ImportError{Msg: err.Error()}
	}
	sc, err := schema.Default().Lookup(typeName)
	if errors.Is(err, schema.ErrTypeNotFound) {
		msg := fmt.Sprintf("unknown resource type %q", typeName)
		if s := schema.Suggest(typeName, schema.Default().TypeNames()); s != "" {
			msg += fmt.Sprintf("; did you mean %q?", s)
		}
		return nil, &ImportError{Msg: msg}
	}
	if err != nil {
		return nil, err
	}
	recs, err := store.Load(ctx)
	if err != nil {
		return nil, fmt.Errorf("load state: %w", err)
	}
	for _, r := range recs {
		if r.LogicalID == logicalID {
			return nil, &ImportError{fmt.Sprintf("%q is already managed (%s %s); choose another logical ID, or remove it from state first with `%s`", logicalID, r.Type, r.Identifier, rmCommand(where, &r))}
		}
	}
	opts := Options{Store: store, Provider: prov, Records: recs, Where: where}
	if scope != nil {
		opts.Scopes = func(context.Context, *state.Scope) (Provider, error) { return scoped, nil }
	}
	e, err := New(ctx, ModePlan, opts)
	if err != nil {
		return nil, err
	}
	rec, err := e.importRecord(ctx, sc, scope, logicalID, identifier)
	if err != nil {
		return nil, err
	}
	if err := e.put(ctx, rec); err != nil {
		return nil, err
	}
	return rec, nil
}

// importRecord reads the existing resource identifier for logicalID,
// refusing one another record of the store already holds, and returns the
// record an import writes: what AWS reports, and no declared properties,
// so that the next plan compares the program with the resource as it is.
func (e *Engine) importRecord(ctx context.Context, sc *schema.Schema, scope *state.Scope, logicalID, identifier string) (*state.Record, error) {
	if err := e.held(ctx, sc, scope, logicalID, identifier, nil); err != nil {
		var he *HeldError
		if errors.As(err, &he) {
			he.Import = true
		}
		return nil, err
	}
	prov, err := e.prov(ctx, scope)
	if err != nil {
		return nil, err
	}
	live, err := prov.Read(ctx, sc.TypeName, identifier)
	if cloudcontrol.IsNotFound(err) {
		in := ""
		if scope != nil {
			in = " in " + scope.Key()
		}
		return nil, &ImportError{Msg: fmt.Sprintf("%s %s does not exist%s (check the identifier, region and account)", sc.TypeName, identifier, in)}
	}
	if err != nil {
		return nil, fmt.Errorf("read %s %s: %w", sc.TypeName, identifier, err)
	}
	return &state.Record{LogicalID: logicalID, Type: sc.TypeName, Identifier: identifier, Outputs: secrets.MarkSchema(sc.TypeName, live), Scope: scope}, nil
}
