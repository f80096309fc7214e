package engine

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/athanor-iac/athanor/schema"
	"github.com/athanor-iac/athanor/state"
)

// ResourceOptions change how the engine treats one declared resource
// (the root package's athanor.Protect, IgnoreChanges and the others).
type ResourceOptions struct {
	// Protect refuses any plan that would delete or replace the resource.
	// It is kept in state, so it also holds once the declaration is gone.
	Protect bool
	// RetainOnDelete leaves the resource in AWS when it would be deleted
	// (or replaced): only its record goes. Kept in state, like Protect.
	RetainOnDelete bool
	// IgnoreChanges are property paths whose differences, from the program
	// or from changes made outside it, never cause an update or a
	// replacement: the resource keeps what it has there.
	IgnoreChanges []string
	// ReplaceOnChanges are property paths whose changes replace the
	// resource instead of updating it; "*" is any change.
	ReplaceOnChanges []string
	// DeleteBeforeReplace deletes the old resource before creating its
	// replacement, instead of after.
	DeleteBeforeReplace bool
	// Timeout bounds each operation on the resource, overriding the run's.
	Timeout time.Duration
	// Aliases are logical IDs the resource had: a record under one of
	// them that the program no longer declares is renamed (a move), not
	// deleted and created again.
	Aliases []string
	// Import is the identifier of an existing resource to take over when
	// the declaration has no record yet.
	Import string
}

// optionProblems checks a declaration's options against its type's schema.
func optionProblems(sc *schema.Schema, o ResourceOptions) []string {
	var probs []string
	check := func(option string, paths []string, star bool) {
		for _, p := range paths {
			toks := splitPath(p)
			if star && p == "*" {
				continue
			}
			if len(toks) == 0 {
				probs = append(probs, fmt.Sprintf("%s(%q): give a property path such as \"Tags\" or \"Tags/0/Value\"", option, p))
				continue
			}
			if _, ok := sc.Properties[toks[0]]; !ok {
				msg := fmt.Sprintf("%s(%q): %s has no property %q", option, p, sc.TypeName, toks[0])
				if s := schema.Suggest(toks[0], propertyNames(sc)); s != "" {
					msg += fmt.Sprintf("; did you mean %q?", s)
				}
				probs = append(probs, msg)
				continue
			}
			if sc.IsReadOnly("/properties/" + toks[0]) {
				probs = append(probs, fmt.Sprintf("%s(%q): %s is read-only (AWS sets it), so the program never changes it; remove the path", option, p, toks[0]))
			}
		}
	}
	check("IgnoreChanges", o.IgnoreChanges, false)
	check("ReplaceOnChanges", o.ReplaceOnChanges, true)
	if o.Timeout < 0 {
		probs = append(probs, fmt.Sprintf("Timeout(%s): give a positive duration, or leave the option out for the run's timeout", o.Timeout))
	}
	return probs
}

func propertyNames(sc *schema.Schema) []string {
	return sortedKeys(sc.Properties)
}

// ignoring applies IgnoreChanges: at each ignored path both the program's
// properties and the record's last applied ones take the value the
// resource has now (its last read, else what was last applied), or lose
// the path when it has none, so that no difference there is planned or
// sent. A resource still to be created takes the program's values. It
// returns the record and properties to diff and apply, and the paths where
// the program or the resource differed.
func ignoring(paths []string, rec *state.Record, desired map[string]any) (*state.Record, map[string]any, []string) {
	if len(paths) == 0 || rec == nil || rec.Identifier == "" {
		return rec, desired, nil
	}
	eff := copyProps(desired)
	r := *rec
	r.Props = copyProps(rec.Props)
	var ignored []string
	for _, p := range paths {
		toks := splitPath(p)
		now, ok := getPath(rec.Outputs, toks)
		if !ok {
			now, ok = getPath(rec.Props, toks)
		}
		declared, had := getPath(desired, toks)
		if ok {
			setPath(eff, toks, deepCopy(now))
			if r.Props != nil {
				setPath(r.Props, toks, deepCopy(now))
			}
		} else {
			deletePath(eff, toks)
			deletePath(r.Props, toks)
		}
		if had != ok || (ok && !equal(declared, now)) {
			ignored = append(ignored, p)
		}
	}
	return &r, eff, ignored
}

// replacing applies ReplaceOnChanges to an update: a change at one of the
// paths makes it a replacement.
func replacing(paths []string, c *Change) {
	if len(paths) == 0 || c.Action != Update {
		return
	}
	var forcing []string
	for i := range c.Diffs {
		d := &c.Diffs[i]
		for _, p := range paths {
			toks := splitPath(p)
			if p != "*" && (len(toks) == 0 || toks[0] != d.Name) {
				continue
			}
			if p != "*" && len(toks) > 1 && !d.Unknown {
				before, okb := getPath(d.Before, toks[1:])
				after, oka := getPath(d.After, toks[1:])
				if okb == oka && equal(before, after) {
					continue
				}
			}
			d.ForcesReplacement = true
			forcing = append(forcing, d.Name)
			break
		}
	}
	if len(forcing) == 0 {
		return
	}
	verb := "forces"
	if len(forcing) > 1 {
		verb = "force"
	}
	c.Action = Replace
	c.Reason = fmt.Sprintf("%s %s replacement (ReplaceOnChanges)", strings.Join(forcing, ", "), verb)
}

// decide plans one declared resource with its options: the change, and
// the properties to apply (the program's, with ignored paths as the
// resource has them).
func decide(sc *schema.Schema, rec *state.Record, d Declaration) (Change, map[string]any) {
	r, eff, ignored := ignoring(d.Options.IgnoreChanges, rec, d.Props)
	c := diff(sc, r, eff)
	replacing(d.Options.ReplaceOnChanges, &c)
	c.Scope = d.Scope.Key()
	movedScope(&c, rec, d.Scope)
	c.LogicalID = d.LogicalID
	c.Ignored = ignored
	c.Protected = d.Options.Protect
	if c.Action == Replace {
		c.Retain = d.Options.RetainOnDelete
		c.DeleteBeforeReplace = d.Options.DeleteBeforeReplace
	}
	return c, eff
}

// protectedReplace is the problem of a protected resource that the plan
// would replace, or "".
func protectedReplace(c Change) string {
	if c.Action != Replace || !c.Protected {
		return ""
	}
	return fmt.Sprintf("protected (athanor.Protect()), and the plan would replace it (%s); nothing was sent. To allow the replacement, remove Protect() from its declaration", c.Reason)
}

// protectedDelete is the problem of a protected record that the plan
// would delete, or "".
func protectedDelete(r *state.Record, destroy bool) string {
	if !r.Protect {
		return ""
	}
	if destroy {
		return "protected (athanor.Protect()), and destroy would delete it; nothing was sent. To allow it, remove Protect() from its declaration and run up, then destroy"
	}
	return "protected (athanor.Protect()), and it is no longer declared, so the plan would delete it; nothing was sent. To allow it, declare it again without Protect() and run up, then remove the declaration"
}

// optionsOf returns the options logicalID was declared with in this run.
func (e *Engine) optionsOf(logicalID string) ResourceOptions {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.options[logicalID]
}

// checkOptions records the problems of a declaration's options. Called
// with e.mu held.
func (e *Engine) checkOptions(sc *schema.Schema, d Declaration) bool {
	probs := append(optionProblems(sc, d.Options), e.aliasProblems(d)...)
	for _, p := range probs {
		e.problems = append(e.problems, Problem{LogicalID: d.LogicalID, Type: d.Type, Message: p})
	}
	return len(probs) == 0
}

// planDelete records the deletion of r, or its removal from state alone
// when it is retained, or the problem when it is protected; held, when
// not nil, is another record that holds r's resource, and the run will
// refuse the delete. Called with e.mu held.
func (e *Engine) planDelete(r *state.Record, reason string, destroy bool, held *state.Located) {
	if p := protectedDelete(r, destroy); p != "" {
		e.refused = append(e.refused, Problem{LogicalID: r.LogicalID, Type: r.Type, Message: p})
		return
	}
	c := Change{LogicalID: r.LogicalID, Type: r.Type, Scope: r.Scope.Key(), Action: Delete, Identifier: r.Identifier, Reason: reason}
	if r.RetainOnDelete {
		c.Action, c.Retain = Forget, true
		c.Reason = reason + "; RetainOnDelete leaves it in AWS"
	}
	if held != nil {
		c.HeldBy = &Holder{App: held.App, Stage: held.Stage, LogicalID: held.LogicalID}
	}
	e.changes = append(e.changes, c)
}

// optionsChanged reports whether rec's kept options differ from prev's.
func optionsChanged(prev, rec *state.Record) bool {
	return prev != nil && (prev.Protect != rec.Protect || prev.RetainOnDelete != rec.RetainOnDelete)
}

// retain removes a RetainOnDelete resource from state, leaving it (and
// anything its replacements left behind) in AWS.
func (e *Engine) retain(ctx context.Context, rec *state.Record, start time.Time) error {
	if err := e.forget(ctx, rec.LogicalID); err != nil {
		return &OpError{LogicalID: rec.LogicalID, Type: rec.Type, Op: "forget", Err: err}
	}
	e.emit(Event{LogicalID: rec.LogicalID, Type: rec.Type, Action: Forget, Phase: PhaseDone, Identifier: rec.Identifier, Elapsed: time.Since(start),
		Detail: "removed from state and left in AWS (RetainOnDelete)"})
	return nil
}

// retainSuperseded drops the resources a replacement left behind from
// the record of a RetainOnDelete resource, leaving them in AWS.
func (e *Engine) retainSuperseded(ctx context.Context, rec *state.Record) error {
	ids := make([]string, 0, len(rec.Superseded))
	for _, s := range rec.Superseded {
		ids = append(ids, s.Identifier)
	}
	rec.Superseded = nil
	if err := e.put(ctx, rec); err != nil {
		return err
	}
	e.emit(Event{LogicalID: rec.LogicalID, Type: rec.Type, Phase: PhaseNote,
		Detail: fmt.Sprintf("left the replaced %s in AWS (RetainOnDelete)", strings.Join(ids, ", "))})
	return nil
}
