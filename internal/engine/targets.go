package engine

import (
	"fmt"
	"sort"
	"strings"

	"github.com/athanor-iac/athanor/schema"
)

// Targeting (--target) limits a run to some resources and what they
// depend on (for destroy: and what depends on them). The plan pass still
// runs the whole program, so that every dependency is found; the set is
// then worked out from the dependencies it found and those recorded in
// state, and the apply pass (Options.Only) leaves every other resource
// alone.

// TargetError names --target IDs that are neither declared nor in state.
type TargetError struct {
	Unknown []string
	// Suggestions maps an unknown ID to the nearest known one.
	Suggestions map[string]string
}

func (e *TargetError) Error() string {
	var parts []string
	for _, id := range e.Unknown {
		p := fmt.Sprintf("--target %s: no resource %q is declared or in state", id, id)
		if s := e.Suggestions[id]; s != "" {
			p += fmt.Sprintf("; did you mean %q?", s)
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, "\n")
}

// Targeted returns the logical IDs a run limited to targets works on:
// the targets and, transitively, what they depend on; with dependents
// (destroy), also what depends on them. Call it after the plan pass.
func (e *Engine) Targeted(targets []string, dependents bool) (map[string]bool, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	deps := map[string][]string{}
	known := map[string]bool{}
	for id, r := range e.records {
		deps[id] = append(deps[id], r.DependsOn...)
		known[id] = true
	}
	for id, ds := range e.planDeps {
		deps[id] = append(deps[id], ds...)
		known[id] = true
	}
	for id := range e.declared {
		known[id] = true
	}
	terr := &TargetError{Suggestions: map[string]string{}}
	for _, t := range targets {
		if !known[t] {
			terr.Unknown = append(terr.Unknown, t)
			if s := schema.Suggest(t, sortedKeys(known)); s != "" {
				terr.Suggestions[t] = s
			}
		}
	}
	if len(terr.Unknown) > 0 {
		return nil, terr
	}
	edges := deps
	if dependents {
		// Destroy deletes dependents first: a target's dependents go too,
		// and nothing it depends on needs to.
		edges = map[string][]string{}
		for id, ds := range deps {
			for _, d := range ds {
				edges[d] = append(edges[d], id)
			}
		}
	}
	set := map[string]bool{}
	var visit func(id string)
	visit = func(id string) {
		if set[id] {
			return
		}
		set[id] = true
		for _, next := range edges[id] {
			visit(next)
		}
	}
	for _, t := range targets {
		visit(t)
	}
	return set, nil
}

// Skipped returns the resources, declared or in state, that a run limited
// to set leaves alone, sorted.
func (e *Engine) Skipped(set map[string]bool) []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	all := map[string]bool{}
	for id := range e.records {
		all[id] = true
	}
	for id := range e.declared {
		all[id] = true
	}
	var out []string
	for id := range all {
		if !set[id] {
			out = append(out, id)
		}
	}
	sort.Strings(out)
	return out
}

// only reports whether the run works on logicalID (always, without
// --target).
func (e *Engine) only(logicalID string) bool {
	return e.opts.Only == nil || e.opts.Only[logicalID]
}

// Limit makes the engine work on set alone from now on, as Options.Only
// does from the start; call it between passes, never during one.
func (e *Engine) Limit(set map[string]bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.opts.Only = set
}
