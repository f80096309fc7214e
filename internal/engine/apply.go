package engine

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/athanor-iac/athanor/internal/typerules"
	"github.com/athanor-iac/athanor/internal/walk"
	"github.com/athanor-iac/athanor/provider/cloudcontrol"
	"github.com/athanor-iac/athanor/schema"
	"github.com/athanor-iac/athanor/state"
)

// OpError is a failed operation on one resource, naming everything a
// person needs: logical ID, type, operation, and the provider's error
// (ErrorCode, StatusMessage, request token).
type OpError struct {
	LogicalID string
	Type      string
	Op        string
	Err       error
}

func (e *OpError) Error() string {
	return fmt.Sprintf("%s %s %q: %v", e.Op, e.Type, e.LogicalID, e.Err)
}

func (e *OpError) Unwrap() error { return e.Err }

// put writes a record, keeping the engine's copy in step.
func (e *Engine) put(ctx context.Context, rec *state.Record) error {
	rec.UpdatedAt = time.Now().UTC()
	rec.Outputs = markOutputs(rec, rec.Outputs)
	// State is written even when the run is being abandoned: the record of
	// what is in flight matters most then.
	if err := e.opts.Store.Put(context.WithoutCancel(ctx), *rec); err != nil {
		e.haltIfStateGone(err)
		return fmt.Errorf("save state of %q: %w", rec.LogicalID, err)
	}
	e.mu.Lock()
	cp := *rec
	e.records[rec.LogicalID] = &cp
	e.mu.Unlock()
	return nil
}

func (e *Engine) forget(ctx context.Context, logicalID string) error {
	if err := e.opts.Store.Delete(context.WithoutCancel(ctx), logicalID); err != nil {
		e.haltIfStateGone(err)
		return fmt.Errorf("remove %q from state: %w", logicalID, err)
	}
	e.mu.Lock()
	delete(e.records, logicalID)
	e.mu.Unlock()
	return nil
}

func (e *Engine) acquire(ctx context.Context) (func(), error) {
	if e.stopped() {
		return nil, ErrInterrupted
	}
	select {
	case e.sem <- struct{}{}:
		// A stop that came while this waited for a slot wins too: the
		// select picks at random among ready cases.
		if e.stopped() {
			<-e.sem
			return nil, ErrInterrupted
		}
		return func() { <-e.sem }, nil
	case <-e.opts.Stop:
		return nil, ErrInterrupted
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (e *Engine) stopped() bool {
	if e.stateGone.Load() {
		return true
	}
	select {
	case <-e.opts.Stop:
		return true
	default:
		return false
	}
}

// abandoned reports whether err means the run was cut short, in which case
// an operation's intent must stay in state: its request may still finish.
func abandoned(ctx context.Context, err error) bool {
	return ctx.Err() != nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// apply makes one resource match its declaration.
func (e *Engine) apply(ctx context.Context, sc *schema.Schema, d Declaration, deps []string, prev *state.Record, c Change, desired map[string]any) (Result, error) {
	release, err := e.acquire(ctx)
	if err != nil {
		return Result{}, err
	}
	defer release()
	rec := &state.Record{LogicalID: d.LogicalID, Type: d.Type}
	if prev != nil {
		cp := *prev
		rec = &cp
	}
	rec.Protect, rec.RetainOnDelete = d.Options.Protect, d.Options.RetainOnDelete
	start := time.Now()
	// What recovery finishes counts in this run's summary: a create an
	// earlier run left in flight is reported as created, not unchanged.
	recovered := NoOp
	if rec.Pending != nil || hasPendingSuperseded(rec) {
		if recovered, err = e.finishPending(ctx, sc, d, rec); err != nil {
			return Result{}, err
		}
		c, desired = decide(sc, rec, d)
	}
	scopeChanged := !reflect.DeepEqual(rec.Scope, d.Scope)
	if c.Action != NoOp {
		e.emit(Event{LogicalID: d.LogicalID, Type: d.Type, Action: c.Action, Phase: PhaseStart, Identifier: rec.Identifier, Detail: c.Reason})
	}
	if c.Action == Create || c.Action == NoOp || c.Action == Update {
		// A create goes to the declaration's scope; a resource that stays
		// where it is keeps the way in the program now gives (a new role
		// into the same account and region).
		rec.Scope = d.Scope
	}
	adopted, err := e.act(ctx, sc, d, rec, c, desired)
	if err != nil {
		// AWS's messages may quote the properties it was sent.
		err = scrubberFor(d.Props, rec.Props).Error(err)
		e.emit(Event{LogicalID: d.LogicalID, Type: d.Type, Action: c.Action, Phase: PhaseFailed, Identifier: rec.Identifier, Elapsed: time.Since(start), Err: err})
		return Result{}, &OpError{LogicalID: d.LogicalID, Type: d.Type, Op: string(c.Action), Err: err}
	}
	if err := e.settle(ctx, rec, prev, deps, desired, scopeChanged); err != nil {
		return Result{}, err
	}
	done := c.Action
	switch {
	case adopted:
		done = Adopted
	case c.Action == NoOp:
		done = recovered
	}
	e.emit(Event{LogicalID: d.LogicalID, Type: d.Type, Action: done, Phase: PhaseDone, Identifier: rec.Identifier, Elapsed: time.Since(start)})
	return Result{Identifier: rec.Identifier, Properties: cloneMap(rec.Outputs)}, nil
}

// finishPending finishes the operations an earlier run left in flight on
// rec, and says Create when that created the resource.
func (e *Engine) finishPending(ctx context.Context, sc *schema.Schema, d Declaration, rec *state.Record) (Action, error) {
	e.emit(Event{LogicalID: d.LogicalID, Type: d.Type, Phase: PhaseNote, Detail: "finishing an operation an earlier run left in flight"})
	rctx, done := e.opContext(ctx, d.LogicalID, sc, "create")
	wasCreating := rec.Pending != nil && rec.Pending.Operation == state.OpCreate && rec.Identifier == ""
	if err := done(e.recover(rctx, sc, rec, d.Props)); err != nil {
		return NoOp, &OpError{LogicalID: d.LogicalID, Type: d.Type, Op: "recover", Err: recordScrubber(rec).Error(err)}
	}
	if wasCreating && rec.Identifier != "" {
		return Create, nil
	}
	return NoOp, nil
}

// act carries out c's action on rec: create (or finish a replacement),
// update or replace; then makes a resource --adopt took over match the
// program, and deletes what a replacement superseded once nothing
// refers to it. It reports whether the resource was adopted.
func (e *Engine) act(ctx context.Context, sc *schema.Schema, d Declaration, rec *state.Record, c Change, desired map[string]any) (bool, error) {
	var err error
	switch c.Action {
	case Create:
		if len(rec.Superseded) > 0 {
			// A replacement an earlier run did not finish.
			err = e.createReplacement(ctx, sc, rec, desired)
		} else {
			err = e.create(ctx, sc, rec, desired)
		}
	case Update:
		err = e.update(ctx, sc, rec, desired)
	case Replace:
		err = e.replace(ctx, sc, rec, desired, d.Scope)
	}
	adopted := err == nil && c.Action == Create && rec.Props == nil && rec.Identifier != ""
	if adopted {
		// Adopted (--adopt): make it match the program.
		a, adoptedDesired := decide(sc, rec, d)
		if p := protectedReplace(a); p != "" {
			err = errors.New(p)
		}
		switch {
		case err != nil:
		case a.Action == Update:
			err = e.update(ctx, sc, rec, adoptedDesired)
		case a.Action == Replace:
			err = e.replace(ctx, sc, rec, adoptedDesired, d.Scope)
		}
	}
	if err == nil && len(rec.Superseded) > 0 && !e.hasDependents(d.LogicalID) {
		// Resources that refer to the replaced one are declared later and
		// move to the new one then; its deletion waits for the end of the
		// run (Orphans, DeleteAll), after theirs.
		err = e.deleteSuperseded(ctx, sc, rec)
	}
	return adopted, err
}

// settle saves what changed of the record without an operation: its
// dependencies, options or scope, and the properties of an imported
// resource the program now declares as it is.
func (e *Engine) settle(ctx context.Context, rec, prev *state.Record, deps []string, desired map[string]any, scopeChanged bool) error {
	if !sameStrings(rec.DependsOn, deps) || optionsChanged(prev, rec) || scopeChanged {
		rec.DependsOn = deps
		if err := e.put(ctx, rec); err != nil {
			return err
		}
	}
	if rec.Props == nil && rec.Identifier != "" {
		// An imported resource the program now declares as it is.
		rec.Props = desired
		return e.put(ctx, rec)
	}
	return nil
}

func hasPendingSuperseded(rec *state.Record) bool {
	for _, s := range rec.Superseded {
		if s.Pending != nil {
			return true
		}
	}
	return false
}

func sameStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func cloneMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// create creates the resource: the intent with its ClientToken is saved
// first, the request token as soon as Cloud Control answers, the fact
// last.
func (e *Engine) create(ctx context.Context, sc *schema.Schema, rec *state.Record, desired map[string]any) error {
	token := cloudcontrol.NewClientToken()
	rec.Pending = &state.Intent{Operation: state.OpCreate, ClientToken: token, Props: desired, StartedAt: time.Now().UTC()}
	if err := e.put(ctx, rec); err != nil {
		return err
	}
	prov, err := e.prov(ctx, rec.Scope)
	if err != nil {
		return err
	}
	octx, done := e.opContext(ctx, rec.LogicalID, sc, "create")
	id, model, err := prov.Create(octx, rec.Type, desired, token, e.submitted(ctx, rec))
	err = done(err)
	adopted := false
	if cloudcontrol.HandlerCode(err) == cloudcontrol.HandlerAlreadyExists && len(rec.Superseded) == 0 {
		// A replacement that collides with the resource it replaces is
		// handled by createReplacement, never adopted.
		id, model, adopted, err = e.alreadyExists(ctx, sc, rec.Scope, rec.LogicalID, desired, err)
	}
	if err != nil && !cloudcontrol.Refused(err) {
		// The request may have been received and may still create the
		// resource (a status poll failed, the network dropped, the
		// service kept throttling): keep the intent, so that the next run
		// finds the request again by its tokens instead of losing track of
		// what it creates.
		return err
	}
	if err != nil {
		return e.createRefused(ctx, rec, err)
	}
	rec.Identifier, rec.Outputs, rec.Props, rec.Pending = id, model, desired, nil
	if adopted {
		// Nothing of the program was applied to it: compare what AWS
		// reports with the program, as for an imported resource.
		rec.Props = nil
		e.emit(Event{LogicalID: rec.LogicalID, Type: rec.Type, Phase: PhaseNote, Identifier: id,
			Detail: fmt.Sprintf("took over the existing %s (--adopt) instead of creating one", id)})
	}
	return e.put(ctx, rec)
}

// createRefused settles rec after Cloud Control refused its create with
// err, and returns err: the intent is dropped, and so is the record when
// it tracks nothing else; an abandoned run keeps the intent, since the
// request may still finish.
func (e *Engine) createRefused(ctx context.Context, rec *state.Record, err error) error {
	if abandoned(ctx, err) {
		return err
	}
	rec.Pending = nil
	if rec.Identifier == "" && len(rec.Superseded) == 0 {
		// Nothing was created: a failed request changes nothing.
		if ferr := e.forget(ctx, rec.LogicalID); ferr != nil {
			return fmt.Errorf("%w; additionally: %v", err, ferr)
		}
		return err
	}
	if perr := e.put(ctx, rec); perr != nil {
		return fmt.Errorf("%w; additionally: %v", err, perr)
	}
	return err
}

// alreadyExists handles a create that found the resource existing: with
// --adopt it takes it over, unless a record of the state store already
// manages it; without, it says whether one does, or how to take it over.
func (e *Engine) alreadyExists(ctx context.Context, sc *schema.Schema, scope *state.Scope, logicalID string, desired map[string]any, createErr error) (string, map[string]any, bool, error) {
	var id string
	var model map[string]any
	if e.opts.Adopt {
		var err error
		if id, model, err = e.adopt(ctx, sc, scope, desired); err != nil {
			return "", nil, false, err
		}
	}
	herr := e.held(ctx, sc, scope, logicalID, id, desired)
	var he *HeldError
	switch {
	case errors.As(herr, &he):
		he.Err, he.Adopting = createErr, e.opts.Adopt
		return "", nil, false, he
	case herr != nil:
		return "", nil, false, fmt.Errorf("%w; it was not taken over: %v", createErr, herr)
	case !e.opts.Adopt:
		return "", nil, false, fmt.Errorf("%w; if the existing one is this resource, run again with --adopt to take it over (or `athanor import` it first)", createErr)
	}
	return id, model, true, nil
}

// submitted records a request token as soon as Cloud Control answers, and
// the new client token of a resubmission before it is sent.
func (e *Engine) submitted(ctx context.Context, rec *state.Record) cloudcontrol.Submitted {
	return func(clientToken, requestToken string) error {
		if rec.Pending == nil {
			return nil
		}
		if requestToken == "" {
			// A resubmission: without this, a crash after it was sent
			// would leave only the failed request's tokens in state, and
			// the next run would create the resource a second time.
			p := *rec.Pending
			p.ClientToken, p.RequestToken = clientToken, ""
			rec.Pending = &p
			return e.put(ctx, rec)
		}
		if rec.Pending.RequestToken != requestToken {
			p := *rec.Pending
			p.ClientToken, p.RequestToken = clientToken, requestToken
			rec.Pending = &p
			// A failed write only loses a shortcut: the ClientToken saved
			// before the call finds the request again.
			_ = e.put(ctx, rec)
		}
		return nil
	}
}

// adopt finds the existing resource a create collided with: by its
// primary identifier when the props determine it, otherwise by listing the
// type and matching the createOnly properties.
func (e *Engine) adopt(ctx context.Context, sc *schema.Schema, scope *state.Scope, desired map[string]any) (string, map[string]any, error) {
	prov, err := e.prov(ctx, scope)
	if err != nil {
		return "", nil, err
	}
	if id, ok := sc.Identifier(desired); ok {
		model, err := prov.Read(ctx, sc.TypeName, id)
		return id, model, err
	}
	list, err := prov.ListWhere(ctx, sc.TypeName, listModel(sc, desired))
	if err != nil {
		return "", nil, fmt.Errorf("adopt: list %s: %w", sc.TypeName, err)
	}
	identity, hasIdentity := typerules.Lookup(sc.TypeName).(typerules.Identity)
	for _, r := range list {
		if hasIdentity {
			// The service's own notion of "the same resource".
			if identity.IdentityKey(r.Properties) == identity.IdentityKey(desired) {
				return r.Identifier, r.Properties, nil
			}
			continue
		}
		// Otherwise every declared createOnly property must match, and
		// there must be at least one: with none, any resource of the
		// type would do, which is no evidence at all.
		compared, match := 0, true
		for _, name := range sc.CreateOnlyNames() {
			if v, ok := desired[name]; ok {
				compared++
				if !equal(v, r.Properties[name]) {
					match = false
					break
				}
			}
		}
		if match && compared > 0 {
			return r.Identifier, r.Properties, nil
		}
	}
	return "", nil, fmt.Errorf("adopt: no existing %s matches the declared properties", sc.TypeName)
}

// update patches the resource in place.
func (e *Engine) update(ctx context.Context, sc *schema.Schema, rec *state.Record, desired map[string]any) error {
	before := rec.Props
	if before == nil {
		// Imported: patch only what differs from what AWS reports, never
		// the createOnly properties the program declares as they are.
		before = importedBefore(sc, rec.Outputs, desired)
	}
	patch := makePatch(sc, before, rec.Outputs, desired)
	token := cloudcontrol.NewClientToken()
	rec.Pending = &state.Intent{Operation: state.OpUpdate, Identifier: rec.Identifier, ClientToken: token, StartedAt: time.Now().UTC()}
	if err := e.put(ctx, rec); err != nil {
		return err
	}
	octx, done := e.opContext(ctx, rec.LogicalID, sc, "update")
	prov, err := e.prov(ctx, rec.Scope)
	if err != nil {
		return err
	}
	model, err := prov.Update(octx, rec.Type, rec.Identifier, patch, token, e.submitted(ctx, rec))
	err = done(err)
	if err != nil && !cloudcontrol.Refused(err) {
		return err // outcome unknown: the next run awaits the request and reads
	}
	if err != nil && abandoned(ctx, err) {
		return err
	}
	rec.Pending = nil
	if err != nil {
		if perr := e.put(ctx, rec); perr != nil {
			return fmt.Errorf("%w; additionally: %v", err, perr)
		}
		return err
	}
	rec.Props, rec.Outputs = desired, model
	return e.put(ctx, rec)
}

// makePatch builds the JSON Patch from what was applied to what is
// declared: changed top-level properties are set whole with "add" (which
// replaces), so arrays such as Tags are replaced whole; dropped ones are
// removed when AWS still reports them; write-only properties are always
// re-sent, because a read never returns them.
func makePatch(sc *schema.Schema, before, outputs, desired map[string]any) []cloudcontrol.PatchOp {
	var ops []cloudcontrol.PatchOp
	writeOnly := map[string]bool{}
	for _, n := range sc.WriteOnlyNames() {
		writeOnly[n] = true
	}
	for _, name := range sortedKeys(desired) {
		if old, ok := before[name]; ok && equal(old, desired[name]) && !writeOnly[name] {
			continue
		}
		ops = append(ops, cloudcontrol.PatchOp{Op: "add", Path: "/" + walk.PointerToken(name), Value: desired[name]})
	}
	for _, name := range sortedKeys(before) {
		if _, ok := desired[name]; ok {
			continue
		}
		if _, reported := outputs[name]; reported || writeOnly[name] {
			ops = append(ops, cloudcontrol.PatchOp{Op: "remove", Path: "/" + walk.PointerToken(name)})
		}
	}
	return ops
}

// replace swaps the resource for a new one. The old one is recorded as
// superseded before anything happens, so a crash leaves it tracked. The
// new one is created first unless the two would collide (the same
// user-chosen name, the same identity under the type's rules, such as a
// flow log's configuration, or a schema that asks for delete-then-create);
// a create that collides anyway (AlreadyExists, or a per-resource quota)
// falls back to deleting first. The new resource goes to scope, the
// declaration's account and region.
func (e *Engine) replace(ctx context.Context, sc *schema.Schema, rec *state.Record, desired map[string]any, scope *state.Scope) error {
	rec.Superseded = append(rec.Superseded, state.Superseded{Identifier: rec.Identifier, Props: rec.Props, Scope: rec.Scope})
	rec.Identifier, rec.Outputs, rec.Scope = "", nil, scope
	if err := e.put(ctx, rec); err != nil {
		return err
	}
	return e.createReplacement(ctx, sc, rec, desired)
}

// createReplacement creates the resource that replaces rec's superseded
// ones. The old ones are deleted first when a delete of one was already
// started (an earlier run was deleting it first), when one would collide
// with the new one, or when the create finds that it does.
func (e *Engine) createReplacement(ctx context.Context, sc *schema.Schema, rec *state.Record, desired map[string]any) error {
	first := hasPendingSuperseded(rec) || e.optionsOf(rec.LogicalID).DeleteBeforeReplace
	for _, old := range rec.Superseded {
		if collides(sc, old.Props, desired) {
			first = true
		}
	}
	if first {
		if err := e.refuseHeldSuperseded(ctx, sc, rec, desired, nil); err != nil {
			return err
		}
		if err := e.deleteSuperseded(ctx, sc, rec); err != nil {
			return err
		}
		return e.create(ctx, sc, rec, desired)
	}
	err := e.create(ctx, sc, rec, desired)
	switch cloudcontrol.HandlerCode(err) {
	case cloudcontrol.HandlerAlreadyExists, cloudcontrol.HandlerServiceLimitExceeded:
		if herr := e.refuseHeldSuperseded(ctx, sc, rec, desired, err); herr != nil {
			return herr
		}
		e.emit(Event{LogicalID: rec.LogicalID, Type: rec.Type, Phase: PhaseNote, Detail: "the new resource collides with the old one; deleting the old one first"})
		if derr := e.deleteSuperseded(ctx, sc, rec); derr != nil {
			return derr
		}
		return e.create(ctx, sc, rec, desired)
	}
	return err
}

// deleteSuperseded deletes the resources a replacement left behind; sc is
// rec's schema (nil for a type that has none any more).
func (e *Engine) deleteSuperseded(ctx context.Context, sc *schema.Schema, rec *state.Record) error {
	// The engine's copy of the record shares the slice: change a copy.
	rec.Superseded = append([]state.Superseded(nil), rec.Superseded...)
	if rec.RetainOnDelete && len(rec.Superseded) > 0 {
		return e.retainSuperseded(ctx, rec)
	}
	if err := e.leaveHeld(ctx, rec); err != nil {
		return err
	}
	for len(rec.Superseded) > 0 {
		if err := e.deleteFirstSuperseded(ctx, sc, rec); err != nil {
			return err
		}
		rec.Superseded = rec.Superseded[1:]
		if err := e.put(ctx, rec); err != nil {
			return err
		}
	}
	return nil
}

// deleteFirstSuperseded deletes rec's first replaced resource, its intent
// saved in rec before the request is sent. A delete an earlier run left
// in flight is sent again with its ClientToken, and afresh when that only
// returns a request that failed or was cancelled.
func (e *Engine) deleteFirstSuperseded(ctx context.Context, sc *schema.Schema, rec *state.Record) error {
	s := &rec.Superseded[0]
	resumed := s.Pending != nil
	for {
		if s.Pending == nil {
			s.Pending = &state.Intent{Operation: state.OpDelete, Identifier: s.Identifier, ClientToken: cloudcontrol.NewClientToken(), StartedAt: time.Now().UTC()}
			if err := e.put(ctx, rec); err != nil {
				return err
			}
		}
		octx, done := e.opContext(ctx, rec.LogicalID, sc, "delete")
		// The request token goes into state as soon as Cloud Control
		// answers, so that a second interrupt can cancel the request and
		// the next run can wait for it.
		recordToken := func(clientToken, requestToken string) error {
			if requestToken == "" || s.Pending == nil {
				return nil
			}
			p := *s.Pending
			p.ClientToken, p.RequestToken = clientToken, requestToken
			s.Pending = &p
			_ = e.put(ctx, rec) // a failed write only loses a shortcut
			return nil
		}
		prov, err := e.prov(ctx, s.Scope)
		if err == nil {
			err = done(prov.Delete(octx, rec.Type, s.Identifier, s.Pending.ClientToken, recordToken))
		}
		if err != nil && resumed && cloudcontrol.Refused(err) && !abandoned(ctx, err) {
			// An earlier run's delete failed or was cancelled: its
			// ClientToken only returns that request again.
			resumed, s.Pending = false, nil
			continue
		}
		if err != nil {
			return fmt.Errorf("delete the replaced %s: %w", s.Identifier, err)
		}
		return nil
	}
}

// hasDependents reports whether another record depends on logicalID.
func (e *Engine) hasDependents(logicalID string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	for id, r := range e.records {
		if id == logicalID {
			continue
		}
		for _, dep := range r.DependsOn {
			if dep == logicalID {
				return true
			}
		}
	}
	return false
}

// deleteReplaced deletes the resources a declared resource's replacement
// left behind, keeping its record.
func (e *Engine) deleteReplaced(ctx context.Context, logicalID string) error {
	e.mu.Lock()
	prev := e.records[logicalID]
	e.mu.Unlock()
	if prev == nil || len(prev.Superseded) == 0 {
		return nil
	}
	release, err := e.acquire(ctx)
	if err != nil {
		return err
	}
	defer release()
	rec := *prev
	if err := e.deleteSuperseded(ctx, schemaOf(rec.Type), &rec); err != nil {
		return &OpError{LogicalID: logicalID, Type: rec.Type, Op: "delete", Err: err}
	}
	return nil
}

// deleteOne deletes a resource and its record.
func (e *Engine) deleteOne(ctx context.Context, logicalID string) error {
	e.mu.Lock()
	prev := e.records[logicalID]
	e.mu.Unlock()
	if prev == nil {
		return nil
	}
	release, err := e.acquire(ctx)
	if err != nil {
		return err
	}
	defer release()
	rec := *prev
	start := time.Now()
	action := Delete
	if rec.RetainOnDelete {
		action = Forget
	}
	e.emit(Event{LogicalID: logicalID, Type: rec.Type, Action: action, Phase: PhaseStart, Identifier: rec.Identifier})
	fail := func(err error) error {
		err = recordScrubber(&rec).Error(err)
		e.emit(Event{LogicalID: logicalID, Type: rec.Type, Action: Delete, Phase: PhaseFailed, Identifier: rec.Identifier, Elapsed: time.Since(start), Err: err})
		return &OpError{LogicalID: logicalID, Type: rec.Type, Op: "delete", Err: err}
	}
	sc, err := e.settleCreate(ctx, &rec)
	if err != nil {
		return fail(err)
	}
	if rec.Protect {
		return fail(errors.New("protected (athanor.Protect()): not deleted; remove Protect() from its declaration and run up first"))
	}
	if rec.RetainOnDelete && rec.Pending == nil {
		return e.retain(ctx, &rec, start)
	}
	if err := e.deleteSuperseded(ctx, sc, &rec); err != nil {
		return fail(err)
	}
	if err := e.deleteResource(ctx, sc, &rec); err != nil {
		return fail(err)
	}
	if err := e.forget(ctx, logicalID); err != nil {
		return fail(err)
	}
	e.emit(Event{LogicalID: logicalID, Type: rec.Type, Action: Delete, Phase: PhaseDone, Identifier: rec.Identifier, Elapsed: time.Since(start)})
	return nil
}

// settleCreate looks up rec's schema and finishes a create an earlier run
// left in flight on rec, so that a delete knows what there is to delete.
// A type without a schema any more is an error only then.
func (e *Engine) settleCreate(ctx context.Context, rec *state.Record) (*schema.Schema, error) {
	sc, err := schema.Default().Lookup(rec.Type)
	if rec.Pending == nil || rec.Pending.Operation != state.OpCreate {
		return sc, nil
	}
	if err != nil {
		return nil, err
	}
	return sc, e.recover(ctx, sc, rec, nil)
}

// deleteResource deletes rec's resource, if it has one, its intent saved
// before the request is sent. A delete an earlier run left in flight is
// sent again with its ClientToken, and afresh when that only returns a
// request that was cancelled or failed.
func (e *Engine) deleteResource(ctx context.Context, sc *schema.Schema, rec *state.Record) error {
	if rec.Identifier == "" {
		return nil
	}
	resumed := rec.Pending != nil && rec.Pending.Operation == state.OpDelete
	for {
		if rec.Pending == nil || rec.Pending.Operation != state.OpDelete {
			rec.Pending = &state.Intent{Operation: state.OpDelete, Identifier: rec.Identifier, ClientToken: cloudcontrol.NewClientToken(), StartedAt: time.Now().UTC()}
			if err := e.put(ctx, rec); err != nil {
				return err
			}
		}
		octx, done := e.opContext(ctx, rec.LogicalID, sc, "delete")
		prov, err := e.prov(ctx, rec.Scope)
		if err == nil {
			err = done(prov.Delete(octx, rec.Type, rec.Identifier, rec.Pending.ClientToken, e.submitted(ctx, rec)))
		}
		if err != nil && resumed && cloudcontrol.Refused(err) && !abandoned(ctx, err) {
			// An earlier run's delete was cancelled or failed: its
			// ClientToken only returns that request again. Send a new
			// one.
			resumed, rec.Pending = false, nil
			continue
		}
		return err
	}
}

// recover settles an operation an earlier run left in flight. A create is
// resent with its original ClientToken and desired state, which Cloud
// Control answers with the original request when it had been received (so
// nothing is created twice) and carries out otherwise. An update or
// delete is awaited and the resource read again; the diff then decides
// what is still to do. declared are the props the program declares now,
// whose secrets AWS may report back (nil when it no longer declares it).
func (e *Engine) recover(ctx context.Context, sc *schema.Schema, rec *state.Record, declared map[string]any) error {
	if p := rec.Pending; p != nil {
		var err error
		switch p.Operation {
		case state.OpCreate:
			var failed bool
			if failed, err = e.recoverCreate(ctx, sc, rec); failed {
				// The request failed: nothing was created.
				return e.put(ctx, rec)
			}
		case state.OpUpdate, state.OpDelete:
			err = e.recoverChange(ctx, sc, rec, declared)
		}
		if err != nil {
			return err
		}
		if err := e.put(ctx, rec); err != nil {
			return err
		}
	}
	for i := range rec.Superseded {
		if p := rec.Superseded[i].Pending; p != nil {
			prov, err := e.prov(ctx, rec.Superseded[i].Scope)
			if err != nil {
				return err
			}
			if err := e.awaitEarlier(ctx, prov, rec.Type, p); err != nil {
				return err
			}
		}
	}
	return nil
}

// recoverCreate finishes the create an earlier run left in flight on rec,
// or drops its intent and reports failed when the request failed.
func (e *Engine) recoverCreate(ctx context.Context, sc *schema.Schema, rec *state.Record) (failed bool, err error) {
	p := rec.Pending
	id, model, err := e.resumeCreate(ctx, rec)
	if cloudcontrol.IsCancelled(err) {
		// A cancelled create may have gone part of the way: the handler
		// may have created the resource before the cancellation reached
		// it. Look for it before deciding that nothing was created.
		if fid, fmodel, ferr := e.adopt(ctx, sc, rec.Scope, p.Props); ferr == nil {
			id, model, err = fid, fmodel, nil
		}
	}
	switch {
	case cloudcontrol.IsNotFound(err) || cloudcontrol.Refused(err):
		rec.Pending = nil
		return true, nil
	case err != nil:
		return false, err
	}
	rec.Identifier, rec.Outputs, rec.Props, rec.Pending = id, model, p.Props, nil
	return false, nil
}

// recoverChange awaits the update or delete an earlier run left in flight
// on rec, then reads the resource again: gone, or as AWS reports it now.
func (e *Engine) recoverChange(ctx context.Context, sc *schema.Schema, rec *state.Record, declared map[string]any) error {
	p := rec.Pending
	prov, err := e.prov(ctx, rec.Scope)
	if err != nil {
		return err
	}
	if err := e.awaitEarlier(ctx, prov, rec.Type, p); err != nil {
		return err
	}
	rec.Pending = nil
	if rec.Identifier == "" {
		return nil
	}
	model, err := prov.Read(ctx, rec.Type, rec.Identifier)
	switch {
	case cloudcontrol.IsNotFound(err):
		rec.Identifier, rec.Outputs = "", nil
	case err != nil:
		return err
	default:
		model = markOutputs(rec, model, declared)
		if p.Operation == state.OpUpdate {
			// The update may or may not have taken: make the next diff
			// compare with what AWS reports, as a refresh does (write-only
			// properties keep their declared values).
			rec.Props = refreshedProps(sc, rec, model)
		}
		rec.Outputs = model
	}
	return nil
}

// awaitEarlier waits for the request of an update or delete an earlier run
// left in flight, so that what is read or sent next sees its outcome. How
// the request ended does not matter: a read, or the delete being sent
// again, settles that. Not being able to learn that it ended does: the
// intent stays, and the error says why.
func (e *Engine) awaitEarlier(ctx context.Context, prov Provider, typeName string, p *state.Intent) error {
	if p.RequestToken == "" {
		return nil
	}
	_, _, err := prov.Wait(ctx, typeName, p.RequestToken)
	if err == nil || cloudcontrol.Refused(err) || cloudcontrol.IsNotFound(err) || cloudcontrol.IsRequestTokenNotFound(err) {
		return nil
	}
	return fmt.Errorf("await the earlier %s request %s: %w", strings.ToLower(string(p.Operation)), p.RequestToken, err)
}

func (e *Engine) resumeCreate(ctx context.Context, rec *state.Record) (string, map[string]any, error) {
	p := rec.Pending
	prov, err := e.prov(ctx, rec.Scope)
	if err != nil {
		return "", nil, err
	}
	if p.RequestToken != "" {
		id, model, err := prov.Wait(ctx, rec.Type, p.RequestToken)
		if !cloudcontrol.IsRequestTokenNotFound(err) {
			return id, model, err
		}
	}
	return prov.Create(ctx, rec.Type, p.Props, p.ClientToken, e.submitted(ctx, rec))
}
