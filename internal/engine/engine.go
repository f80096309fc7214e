// Package engine converges AWS on a program's declarations: it plans each
// declared resource against the state of its stage, creates, updates,
// replaces and deletes through Cloud Control, and records intents and facts
// in the state store so that nothing is ever lost track of.
package engine

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/athanor-iac/athanor/internal/propcheck"
	"github.com/athanor-iac/athanor/internal/secrets"
	_ "github.com/athanor-iac/athanor/internal/typerules/standard" // every type's rules
	"github.com/athanor-iac/athanor/internal/walk"
	"github.com/athanor-iac/athanor/schema"
	"github.com/athanor-iac/athanor/state"
)

// Mode is what a pass over the program does.
type Mode int

const (
	// ModePlan changes nothing: each declaration is compared with state and
	// answered from state, or with unknown values.
	ModePlan Mode = iota
	// ModeApply makes AWS match each declaration before returning.
	ModeApply
)

// Options configure an Engine.
type Options struct {
	Store    state.Store
	Provider Provider // nil in plan-only use
	// Parallelism bounds the resource operations in flight; 0 means 10.
	Parallelism int
	// Adopt takes over an existing resource when a create finds it exists.
	Adopt bool
	// Events hears of progress; nil discards.
	Events func(Event)
	// OperationTimeout bounds every create, update and delete, waiting
	// included. 0 means $ATHANOR_OPERATION_TIMEOUT when set, else the
	// type's handler timeoutInMinutes, else DefaultOperationTimeout.
	OperationTimeout time.Duration
	// Records, when set, are the stage's records as already loaded (by the
	// plan pass), so a run reads its state once.
	Records []state.Record
	// Checked, when set, are the declarations the plan pass validated
	// (logical ID → canonical props); the same props are not checked again.
	Checked map[string]string
	// Where names the stage: other stages of the same store are checked
	// before --adopt takes a resource over, and messages print commands
	// with its flags.
	Where state.StageRef
	// Moves are the records the plan pass found renamed (see Move); New
	// carries them out in apply mode before anything else.
	Moves []Move
	// Scopes gives the provider of an account and region other than the
	// run's own, from what a declaration or a record says of it; nil
	// refuses every scope.
	Scopes func(context.Context, *state.Scope) (Provider, error)
	// Lookups caches the reads of resources the program does not manage;
	// the plan and apply passes of a run share one. Nil makes a new one.
	Lookups *Lookups
	// Stop, when closed, stops the engine from starting new operations;
	// operations in flight go on to their end. Cancelling the context
	// instead abandons them (see CancelInFlight).
	Stop <-chan struct{}
	// Only, when set, limits an apply pass to these logical IDs
	// (--target; see Targeted): other declarations are answered from
	// state, other records are neither refreshed nor deleted.
	Only map[string]bool
	// Home tells the run's own account and region ("ACCOUNT/REGION"),
	// where a record without a scope is, for the checks that no other
	// record holds a resource the run would adopt, import or delete: the
	// same identifier in two accounts or regions is two resources. Nil
	// asks the Provider when it is a *cloudcontrol.Provider (one STS call,
	// made only when a record without a scope meets one with a scope);
	// when the run's own cannot be known, a record without a scope is
	// taken to be wherever the other record is.
	Home func(context.Context) (string, error)
}

// ErrInterrupted is returned for work not started because the run was
// asked to stop.
var ErrInterrupted = errors.New("interrupted: not started")

// Event reports progress on one resource.
type Event struct {
	Time       time.Time
	LogicalID  string
	Type       string
	Action     Action
	Phase      Phase
	Identifier string
	Detail     string
	Elapsed    time.Duration
	Err        error
}

// Phase is where an operation on a resource is, in an Event.
type Phase string

// Phases of an Event.
const (
	PhaseStart  Phase = "start"  // the operation begins
	PhaseDone   Phase = "done"   // it finished
	PhaseFailed Phase = "failed" // it failed; Event.Err says why
	PhaseNote   Phase = "note"   // something a person should know; Event.Detail says what
)

// Declaration is one resource a program declares.
type Declaration struct {
	LogicalID string
	Type      string
	Props     map[string]any
	DependsOn []string
	Options   ResourceOptions
	// DefaultTags are merged into the props of a taggable type before
	// anything else looks at them; tags the props set win.
	DefaultTags map[string]string
	// Scope is the account and region the resource is declared in, when
	// not the run's own; nil for the run's own.
	Scope *state.Scope
}

// Result is what a declaration returns to the program: the resource's
// primary identifier and properties (as AWS reports them after apply; in
// plan mode, from state or as unknown values).
type Result struct {
	Identifier string
	Properties map[string]any
}

// Problem is a mistake in the program, found before anything is sent.
type Problem struct {
	LogicalID string
	Type      string
	Message   string
}

func (p Problem) String() string {
	if p.LogicalID == "" {
		return p.Message
	}
	return fmt.Sprintf("%s (%s): %s", p.LogicalID, p.Type, p.Message)
}

// ProblemsError carries every problem of a program.
type ProblemsError struct{ Problems []Problem }

func (e *ProblemsError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d problem", len(e.Problems))
	if len(e.Problems) != 1 {
		b.WriteString("s")
	}
	b.WriteString(" in the program; nothing was changed:")
	for _, p := range e.Problems {
		b.WriteString("\n  " + p.String())
	}
	return b.String()
}

// Engine runs one pass of a program over one stage. Its methods are safe
// for concurrent use by the program's goroutines.
type Engine struct {
	opts Options
	mode Mode
	sem  chan struct{}

	mu       sync.Mutex
	records  map[string]*state.Record
	declared map[string]bool
	changes  []Change
	problems []Problem
	dupKeys  map[string]string // type and identity → logical ID declaring it
	owners   map[string]string // output value (ID, ARN) → logical ID
	ownIDs   map[string]bool   // owners' keys that are a resource's own identifier
	idsFold  map[string]string // lower-cased own identifier → logical ID
	checked  map[string]string // logical ID → canonical props validated
	loaded   []state.Record
	options  map[string]ResourceOptions // logical ID → options declared
	planDeps map[string][]string        // plan: logical ID → what it depends on
	// refused are the plans that Protect refuses: problems of the
	// resources the run works on (see Options.Only).
	refused []Problem
	// dependsOn holds the declarations' DependsOn, for CheckDependsOn.
	dependsOn map[string]explicitDeps
	claims    map[string]claim // plan: moved-from logical ID → its move
	// byResource indexes records by identifier and identity, for moves;
	// built on first use (see sameResource).
	byResource map[string][]string

	// leftHeld are the errors of replaced resources left to another
	// record that holds them too (leaveHeld), for DeleteAll.
	leftHeld []error

	othersMu sync.Mutex
	others   []state.Located // the other stages' records, once read

	homeMu   sync.Mutex
	home     string // the run's own "ACCOUNT/REGION", once known
	homeRead bool   // Options.Home was asked

	stateGone atomic.Bool // a state write found the lock lost or the state replaced: start nothing more

	deep deepCalls // runs schema validation (see deepCalls)

	sealOnce sync.Once
	sealErr  error // whether the store can encrypt secrets (sealReady)
}

// New builds an engine for one pass in mode, loading the stage's records.
func New(ctx context.Context, mode Mode, opts Options) (*Engine, error) {
	if opts.Parallelism <= 0 {
		opts.Parallelism = 10
	}
	if opts.Lookups == nil {
		opts.Lookups = NewLookups()
	}
	if opts.OperationTimeout <= 0 {
		d, err := operationTimeoutFromEnv()
		if err != nil {
			return nil, err
		}
		opts.OperationTimeout = d
	}
	recs := opts.Records
	if recs == nil {
		var err error
		if recs, err = opts.Store.Load(ctx); err != nil {
			return nil, fmt.Errorf("load state: %w", state.Locate(err, opts.Where))
		}
	}
	e := &Engine{
		opts:     opts,
		mode:     mode,
		sem:      make(chan struct{}, opts.Parallelism),
		records:  map[string]*state.Record{},
		declared: map[string]bool{},
		dupKeys:  map[string]string{},
		owners:   map[string]string{},
		ownIDs:   map[string]bool{},
		idsFold:  map[string]string{},
		checked:  map[string]string{},
		loaded:   recs,
		options:  map[string]ResourceOptions{},
		planDeps: map[string][]string{},
		claims:   map[string]claim{},
	}
	for i := range recs {
		r := recs[i]
		e.records[r.LogicalID] = &r
		e.index(r.LogicalID, schemaOf(r.Type), r.Identifier, r.Outputs)
	}
	if mode == ModeApply {
		if err := e.applyMoves(ctx); err != nil {
			return nil, err
		}
	}
	return e, nil
}

func (e *Engine) emit(ev Event) {
	if e.opts.Events != nil {
		ev.Time = time.Now()
		e.opts.Events(ev)
	}
}

// CancelInFlight asks Cloud Control to cancel every request this engine
// submitted that has not finished, after an abandoned run. The intents
// stay in state, so the next run learns how each request ended.
func (e *Engine) CancelInFlight(ctx context.Context) int {
	e.mu.Lock()
	type scopedToken struct {
		token string
		scope *state.Scope
	}
	var tokens []scopedToken
	for _, r := range e.records {
		if r.Pending != nil && r.Pending.RequestToken != "" {
			tokens = append(tokens, scopedToken{r.Pending.RequestToken, r.Scope})
		}
		for _, s := range r.Superseded {
			if s.Pending != nil && s.Pending.RequestToken != "" {
				tokens = append(tokens, scopedToken{s.Pending.RequestToken, s.Scope})
			}
		}
	}
	e.mu.Unlock()
	n := 0
	for _, t := range tokens {
		if prov, err := e.prov(ctx, t.scope); err == nil && prov.Cancel(ctx, t.token) == nil {
			n++
		}
	}
	return n
}

// Loaded returns the records the engine started from, for a later pass.
func (e *Engine) Loaded() []state.Record { return e.loaded }

// Records returns the engine's current view of the records, sorted: after
// a Refresh that did not write, what AWS reported, so that a later pass
// need not read AWS again.
func (e *Engine) Records() []state.Record {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]state.Record, 0, len(e.records))
	for _, id := range sortedKeys(e.records) {
		out = append(out, *e.records[id])
	}
	return out
}

// Checked returns the declarations validated so far (logical ID →
// canonical props), for a later pass.
func (e *Engine) Checked() map[string]string {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make(map[string]string, len(e.checked))
	for k, v := range e.checked {
		out[k] = v
	}
	return out
}

// Changes returns the plan recorded so far, sorted by logical ID with
// deletions last, so that plans of concurrent programs read the same every
// time.
func (e *Engine) Changes() []Change {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []Change
	for _, c := range e.changes {
		if e.only(c.LogicalID) {
			c.Diffs = redactDiffs(c.Diffs)
			out = append(out, c)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		di, dj := out[i].Action.removes(), out[j].Action.removes()
		if di != dj {
			return dj
		}
		return out[i].LogicalID < out[j].LogicalID
	})
	return out
}

// AddProblem records a problem of the program found outside the engine
// (a scope that cannot be reached), once however often it is found.
func (e *Engine) AddProblem(p Problem) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, q := range e.problems {
		if q == p {
			return
		}
	}
	e.problems = append(e.problems, p)
}

// Problems returns the problems found so far.
func (e *Engine) Problems() []Problem {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := append([]Problem(nil), e.problems...)
	for _, p := range e.refused {
		if e.only(p.LogicalID) {
			out = append(out, p)
		}
	}
	return out
}

// index remembers which resource an output value belongs to, so that a
// later declaration whose props contain it depends on that resource.
func (e *Engine) index(logicalID string, sc *schema.Schema, id string, outputs map[string]any) {
	if id != "" && len(id) >= 6 {
		e.owners[id] = logicalID
		e.ownIDs[id] = true
		e.idsFold[strings.ToLower(id)] = logicalID
	}
	if sc == nil {
		return
	}
	// A read-only output may be a copy of another resource's identifier
	// (a network interface reports its VPC's VpcId): the resource whose
	// own identifier it is stays its owner.
	for _, name := range sc.ReadOnlyNames() {
		if s, ok := outputs[name].(string); ok && len(s) >= 6 && !e.ownIDs[s] {
			e.owners[s] = logicalID
		}
	}
}

// dependencies finds the resources a declaration's props refer to.
func (e *Engine) dependencies(d Declaration) []string {
	deps := map[string]bool{}
	for _, x := range d.DependsOn {
		deps[x] = true
	}
	walk.Strings(d.Props, func(s string) {
		unknownRefs(s, deps)
		for _, t := range tokens(s) {
			if owner, ok := e.owners[t]; ok {
				deps[owner] = true
			} else if owner, ok := e.idsFold[strings.ToLower(t)]; ok {
				deps[owner] = true // an identifier whose case the program changed
			}
		}
	})
	delete(deps, d.LogicalID)
	return sortedKeys(deps)
}

// check validates a declaration of a type whose schema is sc (nil, with
// lookupErr, when it has none) and records its problems. It reports
// whether the declaration may proceed.
func (e *Engine) check(d Declaration, sc *schema.Schema, lookupErr error) bool {
	var probs []string
	// The rule every state backend enforces: an ID that plans must apply.
	if err := state.ValidateLogicalID(d.LogicalID); err != nil {
		probs = append(probs, err.Error())
	}
	if e.declared[d.LogicalID] {
		probs = append(probs, fmt.Sprintf("logical ID %q is declared twice; give each resource its own ID", d.LogicalID))
	}
	e.declared[d.LogicalID] = true
	e.noteDependsOn(d)
	// A mistyped type name is reported as unknown below; telling to rename
	// or forget the resource would only have it deleted.
	if rec := e.records[d.LogicalID]; rec != nil && rec.Type != d.Type && sc != nil {
		probs = append(probs, fmt.Sprintf("logical ID %q holds a %s in state; a logical ID cannot change type: rename it (the %s is then deleted) or remove it from state with `%s`",
			d.LogicalID, rec.Type, rec.Type, rmCommand(e.opts.Where, rec)))
	}
	key := d.Type + canonical(d.Props)
	if prev, ok := e.opts.Checked[d.LogicalID]; ok && prev == key {
		e.checked[d.LogicalID] = key
		return len(probs) == 0
	}
	probs = append(probs, e.secretProblems(d)...)
	// Validation sees the values AWS will get, and its messages, which
	// quote the values they reject, are scrubbed of the secrets.
	var ps []propcheck.Problem
	err := lookupErr
	if sc != nil {
		e.deep.run(func() { ps, err = propcheck.CheckSchema(sc, secrets.RevealProps(d.Props), IsUnknown) })
	}
	if errors.Is(err, schema.ErrTypeNotFound) {
		msg := fmt.Sprintf("unknown resource type %q", d.Type)
		if s := schema.Suggest(d.Type, schema.Default().TypeNames()); s != "" {
			msg += fmt.Sprintf("; did you mean %q?", s)
		}
		probs = append(probs, msg)
	} else if err != nil {
		probs = append(probs, err.Error())
	}
	for _, p := range ps {
		probs = append(probs, p.Message)
	}
	if p := e.checkIdentity(d, sc, len(ps) == 0); p != "" {
		probs = append(probs, p)
	}
	for _, p := range scrubProblems(probs, scrubberFor(d.Props)) {
		e.problems = append(e.problems, Problem{LogicalID: d.LogicalID, Type: d.Type, Message: p})
	}
	if len(probs) == 0 && !IsUnknown(d.Props) {
		e.checked[d.LogicalID] = key
	}
	return len(probs) == 0
}

// Declare handles one declared resource: in plan mode it records the
// change and answers from state; in apply mode it makes AWS match and
// answers with what AWS reports.
func (e *Engine) Declare(ctx context.Context, d Declaration) (Result, error) {
	in := e.admit(d)
	d, sc, rec := in.d, in.sc, in.rec
	if !in.ok || sc == nil {
		if e.mode == ModeApply {
			return Result{}, &ProblemsError{Problems: e.Problems()}
		}
		return planOutputs(sc, d), nil
	}
	if e.mode == ModeApply && !e.only(d.LogicalID) {
		// Not targeted: answered as the plan pass answers.
		if rec != nil && rec.Identifier != "" {
			return Result{Identifier: rec.Identifier, Properties: cloneMap(rec.Outputs)}, nil
		}
		return planOutputs(sc, d), nil
	}
	imported := ""
	if rec == nil && d.Options.Import != "" {
		r, err := e.importDeclared(ctx, sc, d)
		if err != nil {
			return e.declareFailed(sc, d, err)
		}
		rec, imported = r, d.Options.Import
		if e.mode == ModeApply {
			e.emit(Event{LogicalID: d.LogicalID, Type: d.Type, Phase: PhaseNote, Identifier: imported,
				Detail: fmt.Sprintf("taking over the existing %s (Import)", imported)})
		}
	}
	c, eff := decide(sc, rec, d)
	c.MovedFrom, c.Import = in.movedFrom, imported
	if err := importReplaces(c); err != nil {
		return e.declareFailed(sc, d, err)
	}
	if err := e.refuseProtectedReplace(d, c); err != nil {
		return Result{}, err
	}
	if err := e.checkHeldReplace(ctx, sc, d, rec, &c, eff); err != nil {
		return Result{}, err
	}
	if e.mode == ModePlan {
		ls, err := e.leftovers(ctx, rec, d.Options.RetainOnDelete, d.LogicalID)
		if err != nil {
			return e.declareFailed(sc, d, err)
		}
		c.Leftovers = ls
		return e.planChange(sc, d, rec, c, eff), nil
	}
	res, err := e.apply(ctx, sc, d, in.deps, rec, c, eff)
	if err != nil {
		return Result{}, err
	}
	e.mu.Lock()
	e.index(d.LogicalID, sc, res.Identifier, res.Properties)
	e.mu.Unlock()
	return res, nil
}

// admitted is a declaration as the engine takes it in: with its secrets
// marked, placeholders restored and default tags added; its schema; its
// record, found under an earlier logical ID for a move the plan pass
// claims; and what it depends on.
type admitted struct {
	d         Declaration
	sc        *schema.Schema
	ok        bool // no problem found: the declaration can be planned
	rec       *state.Record
	movedFrom string
	deps      []string
}

// admit takes a declaration in, recording its problems, its options and
// its dependencies.
func (e *Engine) admit(d Declaration) admitted {
	d.Props = secrets.MarkSchema(d.Type, d.Props)
	// The one lookup of the declaration's schema.
	sc, lookupErr := schema.Default().Lookup(d.Type)
	e.mu.Lock()
	defer e.mu.Unlock()
	props, placeholderProbs := e.restorePlaceholders(d.Props)
	d.Props = props
	for _, p := range placeholderProbs {
		e.problems = append(e.problems, Problem{LogicalID: d.LogicalID, Type: d.Type, Message: p})
	}
	if sc != nil && len(d.DefaultTags) > 0 {
		prev := e.records[d.LogicalID]
		d.Props = withDefaultTags(sc, d.Props, d.DefaultTags, prev != nil && prev.Identifier != "")
	}
	ok := e.check(d, sc, lookupErr) && len(placeholderProbs) == 0
	if ok && sc != nil {
		ok = e.checkOptions(sc, d)
	}
	in := admitted{d: d, sc: sc, ok: ok, rec: e.records[d.LogicalID]}
	if ok && sc != nil && e.mode == ModePlan {
		in.movedFrom, in.rec = e.claimMove(sc, d, in.rec)
	}
	in.deps = e.dependencies(d)
	// Only what differs from the zero value is kept: most of a large
	// stage's declarations have neither options nor dependencies.
	if !d.Options.zero() {
		e.options[d.LogicalID] = d.Options
	}
	if len(in.deps) > 0 {
		e.planDeps[d.LogicalID] = in.deps
	}
	return in
}

// refuseProtectedReplace records the refusal of a change that would
// replace a protected resource; in the apply pass it fails the
// declaration at once, with every problem of the run.
func (e *Engine) refuseProtectedReplace(d Declaration, c Change) error {
	p := protectedReplace(c)
	if p == "" {
		return nil
	}
	e.mu.Lock()
	e.refused = append(e.refused, Problem{LogicalID: d.LogicalID, Type: d.Type, Message: p})
	e.mu.Unlock()
	if e.mode == ModeApply {
		return &ProblemsError{Problems: e.Problems()}
	}
	return nil
}

// planChange records the plan pass's change and answers with what the
// resource will be: its outputs as they stand, with the declared values,
// for a resource kept; placeholders for one to be created or replaced.
func (e *Engine) planChange(sc *schema.Schema, d Declaration, rec *state.Record, c Change, eff map[string]any) Result {
	e.mu.Lock()
	e.changes = append(e.changes, c)
	e.mu.Unlock()
	if c.Action == NoOp || c.Action == Update {
		return Result{Identifier: rec.Identifier, Properties: mergeOutputs(rec.Outputs, eff)}
	}
	return planOutputs(sc, d)
}

// planOutputs answers a declaration whose resource does not exist yet: its
// declared props, and unknown values for what AWS will fill in.
func planOutputs(sc *schema.Schema, d Declaration) Result {
	props := map[string]any{}
	for k, v := range d.Props {
		props[k] = v
	}
	id := Unknown(d.LogicalID, "Id")
	if sc != nil {
		for _, name := range sc.ReadOnlyNames() {
			props[name] = Unknown(d.LogicalID, name)
		}
		if v, ok := sc.Identifier(props); ok {
			id = v
		}
	}
	return Result{Identifier: id, Properties: props}
}

// mergeOutputs is what a resource will report after an update: its last
// read properties with the declared ones laid over.
func mergeOutputs(outputs, props map[string]any) map[string]any {
	m := map[string]any{}
	for k, v := range outputs {
		m[k] = v
	}
	for k, v := range props {
		m[k] = v
	}
	return m
}

// PlanDeletes records a delete for every resource in state that the
// program did not declare, marking those another record holds as well
// (Change.HeldBy). Call it after the plan pass.
func (e *Engine) PlanDeletes(ctx context.Context) error {
	e.mu.Lock()
	var recs []*state.Record
	for _, id := range sortedKeys(e.records) {
		if _, moved := e.claims[id]; !e.declared[id] && !moved && e.only(id) {
			recs = append(recs, e.records[id])
		}
	}
	e.mu.Unlock()
	return e.planDeletes(ctx, recs, "no longer declared", false)
}

// planDeletes records the deletes of recs, for reason.
func (e *Engine) planDeletes(ctx context.Context, recs []*state.Record, reason string, destroy bool) error {
	held, err := e.heldBy(ctx, recs)
	if err != nil {
		return err
	}
	e.mu.Lock()
	for _, r := range recs {
		var h *state.Located
		if x, ok := held[r.LogicalID]; ok {
			h = &x
		}
		e.planDelete(r, reason, destroy, h)
	}
	e.mu.Unlock()
	return e.planLeftovers(ctx, recs)
}

// breakCycles drops the edges that close a cycle in dependents, so that
// DeleteAll cannot wait for ever. Dependencies recorded by one run cannot
// form a cycle (a resource can only refer to what was declared before it),
// but records written by different runs, or edited by hand, might; the
// deletes of such a cycle then run in an arbitrary order, and a delete
// that AWS refuses for a dependent still alive fails with AWS's message.
func breakCycles(ids []string, dependents map[string][]string) {
	const (
		unseen = iota
		active
		finished
	)
	mark := map[string]int{}
	var visit func(id string)
	visit = func(id string) {
		mark[id] = active
		kept := dependents[id][:0]
		for _, d := range dependents[id] {
			switch mark[d] {
			case active:
				continue // closes a cycle: drop the edge
			case unseen:
				visit(d)
			}
			kept = append(kept, d)
		}
		dependents[id] = kept
		mark[id] = finished
	}
	for _, id := range ids {
		if mark[id] == unseen {
			visit(id)
		}
	}
}

// PlanDestroy records a delete for every resource in state, marking
// those another record holds as well (Change.HeldBy).
func (e *Engine) PlanDestroy(ctx context.Context) error {
	e.mu.Lock()
	var recs []*state.Record
	for _, id := range sortedKeys(e.records) {
		if e.only(id) {
			recs = append(recs, e.records[id])
		}
	}
	e.mu.Unlock()
	return e.planDeletes(ctx, recs, "destroy", true)
}

// Orphans returns the logical IDs in state that were not declared, and
// the declared ones whose replaced resources are still to be deleted
// (because others depended on them); DeleteAll deletes only the replaced
// resources of those.
func (e *Engine) Orphans() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []string
	for _, id := range sortedKeys(e.records) {
		if (!e.declared[id] || len(e.records[id].Superseded) > 0) && e.only(id) {
			out = append(out, id)
		}
	}
	return out
}

// All returns every logical ID in state.
func (e *Engine) All() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return sortedKeys(e.records)
}

// DeleteAll deletes the given resources from AWS and state, each after
// every resource that depends on it, independent ones in parallel; of a
// declared resource, only what its replacement left behind. It returns
// every failure; a resource whose dependent failed is left alone. A
// resource another record holds as well is not deleted: its failure is a
// *HeldDeleteError, as is that of each replaced resource the run left to
// another record (leaveHeld), here or earlier in the run.
func (e *Engine) DeleteAll(ctx context.Context, ids []string) error {
	e.mu.Lock()
	set := map[string]bool{}
	var gone []*state.Record
	for _, id := range ids {
		set[id] = true
		if r := e.records[id]; r != nil && !e.declared[id] {
			gone = append(gone, r)
		}
	}
	e.mu.Unlock()
	held, err := e.heldBy(ctx, gone)
	if err != nil {
		return err
	}
	kept, err := e.keptInStage(ctx, gone)
	if err != nil {
		return err
	}
	e.mu.Lock()
	// Of a declared resource only its replaced resources are deleted: they
	// referred to what its record depended on when this run started, not
	// to what the new one refers to.
	var before map[string][]string
	for _, id := range ids {
		if e.declared[id] && before == nil {
			before = map[string][]string{}
			for _, r := range e.loaded {
				before[r.LogicalID] = r.DependsOn
			}
		}
	}
	// dependents[x] are the resources in the set that depend on x.
	dependents := map[string][]string{}
	for _, id := range ids {
		deps := e.records[id].DependsOn
		if old, ok := before[id]; ok && e.declared[id] {
			deps = old
		}
		for _, dep := range deps {
			if set[dep] && dep != id {
				dependents[dep] = append(dependents[dep], id)
			}
		}
	}
	e.mu.Unlock()
	breakCycles(ids, dependents)
	done := map[string]chan struct{}{}
	failed := map[string]bool{}
	var fmu sync.Mutex
	for _, id := range ids {
		done[id] = make(chan struct{})
	}
	var wg sync.WaitGroup
	var errs []error
	for _, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer close(done[id])
			if h, ok := held[id]; ok || kept[id] != nil {
				// What it depends on stays too: it is left alone as a
				// failed delete's is.
				e.mu.Lock()
				rec := *e.records[id]
				e.mu.Unlock()
				herr := e.heldDelete(&rec, h, kept[id])
				fmu.Lock()
				failed[id] = true
				errs = append(errs, herr)
				fmu.Unlock()
				return
			}
			for _, dep := range dependents[id] {
				select {
				case <-done[dep]:
				case <-ctx.Done():
					return
				}
			}
			fmu.Lock()
			blocked := ""
			for _, dep := range dependents[id] {
				if failed[dep] {
					blocked = dep
				}
			}
			fmu.Unlock()
			if blocked != "" {
				fmu.Lock()
				failed[id] = true
				fmu.Unlock()
				return
			}
			e.mu.Lock()
			keep := e.declared[id]
			e.mu.Unlock()
			del := e.deleteOne
			if keep {
				del = e.deleteReplaced
			}
			if err := del(ctx, id); err != nil {
				fmu.Lock()
				failed[id] = true
				errs = append(errs, err)
				fmu.Unlock()
			}
		}()
	}
	wg.Wait()
	errs = append(errs, e.takeLeftHeld()...)
	sort.Slice(errs, func(i, j int) bool { return errs[i].Error() < errs[j].Error() })
	return errors.Join(errs...)
}
