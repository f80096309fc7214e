package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/athanor-iac/athanor/schema"
	"github.com/athanor-iac/athanor/state"
)

// importDeclared reads the resource a declaration's Import option names,
// as `athanor import` does (refusing one another record holds), and
// returns the record to plan the declaration against. It is not written:
// the apply pass writes it once the resource matches the program.
func (e *Engine) importDeclared(ctx context.Context, sc *schema.Schema, d Declaration) (*state.Record, error) {
	if e.opts.Provider == nil {
		return nil, &ImportError{Msg: fmt.Sprintf("Import(%q) reads the existing resource, and this plan does not read AWS: plan without --refresh=false", d.Options.Import)}
	}
	return e.importRecord(ctx, sc, d.Scope, d.LogicalID, d.Options.Import)
}

// importReplaces refuses an import whose createOnly properties differ
// from the program: taking the resource over would replace it.
func importReplaces(c Change) error {
	if c.Import == "" || c.Action != Replace {
		return nil
	}
	var diffs []string
	for _, d := range c.Diffs {
		if d.ForcesReplacement {
			diffs = append(diffs, fmt.Sprintf("%s is %s in AWS, %s in the program", d.Name, showJSON(d.Before), showJSON(d.After)))
		}
	}
	return &ImportError{Msg: fmt.Sprintf("Import(%q): the existing resource differs from the program in properties that cannot change, so taking it over would replace it; nothing was sent. Make the program match: %s",
		c.Import, strings.Join(diffs, "; "))}
}

func showJSON(v any) string {
	if v == nil {
		return "unset"
	}
	return canonical(v)
}

// declareFailed ends a declaration that cannot go ahead: in plan mode
// its problem is recorded with the others, in apply mode it is the error.
func (e *Engine) declareFailed(sc *schema.Schema, d Declaration, err error) (Result, error) {
	var ie *ImportError
	var he *HeldError
	if e.mode == ModeApply || !(errors.As(err, &ie) || errors.As(err, &he)) {
		return Result{}, err
	}
	e.mu.Lock()
	e.problems = append(e.problems, Problem{LogicalID: d.LogicalID, Type: d.Type, Message: err.Error()})
	e.mu.Unlock()
	return planOutputs(sc, d), nil
}

// claimAlias takes, for a declaration without a record, the record of
// one of its Aliases (earlier logical IDs) that the program does not
// declare: the run moves that record as a rename found by identity is
// moved. Called with e.mu held.
func (e *Engine) claimAlias(d Declaration) (string, *state.Record) {
	for _, a := range d.Options.Aliases {
		r := e.records[a]
		if r == nil || r.Type != d.Type || e.declared[a] || r.Pending != nil || len(r.Superseded) > 0 {
			continue
		}
		if _, taken := e.claims[a]; taken {
			continue
		}
		e.claims[a] = claim{to: d.LogicalID, decl: d}
		return a, r
	}
	return "", nil
}

// aliasProblems checks a declaration's Aliases. Called with e.mu held.
func (e *Engine) aliasProblems(d Declaration) []string {
	var probs []string
	for _, a := range d.Options.Aliases {
		switch r, idErr := e.records[a], state.ValidateLogicalID(a); {
		case idErr != nil:
			probs = append(probs, fmt.Sprintf("Aliases(%q): %v", a, idErr))
		case a == d.LogicalID:
			probs = append(probs, fmt.Sprintf("Aliases(%q): that is the resource's own logical ID; give the IDs it had before", a))
		case r != nil && r.Type != d.Type:
			probs = append(probs, fmt.Sprintf("Aliases(%q): that logical ID holds a %s, not a %s; a rename keeps the type", a, r.Type, d.Type))
		}
	}
	return probs
}
