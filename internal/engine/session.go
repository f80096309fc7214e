package engine

import (
	"context"

	"github.com/athanor-iac/athanor/state"
)

// Session is one run of a program: a plan pass, then, when the run goes
// ahead, an apply pass that starts from what the plan pass read. The
// stage's state is loaded once and AWS is read once (by the plan pass's
// Refresh), which is sound because the run holds the stage's lock
// throughout: nothing else can change the state in between.
//
// A Session is used from one goroutine; the engines it returns are safe
// for concurrent use as any Engine is.
type Session struct {
	opts      Options
	plan      *Engine
	refreshed bool
}

// NewSession starts a run: it loads the stage's records into the plan
// pass. opts configure both passes; the plan pass does not see what only
// applying uses (Adopt, Events, Stop), so planning never reports progress
// or stops half-way.
func NewSession(ctx context.Context, opts Options) (*Session, error) {
	po := opts
	po.Adopt, po.Events, po.Stop = false, nil, nil
	plan, err := New(ctx, ModePlan, po)
	if err != nil {
		return nil, err
	}
	return &Session{opts: opts, plan: plan}, nil
}

// Plan is the plan pass, to run the program against and read the plan
// from.
func (s *Session) Plan() *Engine { return s.plan }

// Refresh reads every managed resource from AWS into the plan pass,
// without writing state, and returns what changed outside the program.
// The apply pass then starts from what it read.
func (s *Session) Refresh(ctx context.Context) ([]Drift, error) {
	drifts, err := s.plan.Refresh(ctx, false)
	if err == nil {
		s.refreshed = true
	}
	return drifts, err
}

// records are what the apply pass starts from: as loaded, or as the plan
// pass's refresh read them from AWS.
func (s *Session) records() []state.Record {
	if s.refreshed {
		return s.plan.Records()
	}
	return s.plan.Loaded()
}

// Pending reports whether an earlier run left an operation in flight,
// which the apply pass will finish: such a run calls AWS even when the
// plan has no changes.
func (s *Session) Pending() bool {
	for _, r := range s.records() {
		if r.Pending != nil {
			return true
		}
		for _, sup := range r.Superseded {
			if sup.Pending != nil {
				return true
			}
		}
	}
	return false
}

// Apply builds the apply pass from the plan pass: the records it read,
// the declarations it validated (not checked again), the renames it
// found (carried out first) and the other stages' records, when it read
// them. only, when not nil, limits the pass to those
// logical IDs (--target), their renames included. Call it once, after
// the program has run against Plan without problems.
func (s *Session) Apply(ctx context.Context, only map[string]bool) (*Engine, error) {
	ao := s.opts
	ao.Records, ao.Checked, ao.Only = s.records(), s.plan.Checked(), only
	ao.Moves = onlyMoves(s.plan.Moves(), only)
	e, err := New(ctx, ModeApply, ao)
	if err != nil {
		return nil, err
	}
	e.shareReads(s.plan)
	return e, nil
}

// onlyMoves keeps the moves to resources in set (all without --target).
func onlyMoves(ms []Move, set map[string]bool) []Move {
	if set == nil {
		return ms
	}
	var out []Move
	for _, m := range ms {
		if set[m.To] {
			out = append(out, m)
		}
	}
	return out
}
