package runner

import (
	"errors"
	"io"

	"github.com/athanor-iac/athanor/internal/engine"
	"github.com/athanor-iac/athanor/internal/jsonout"
	"github.com/athanor-iac/athanor/internal/secrets"
)

// The documents a program prints with --json (docs/json.md), each alone on
// standard output, as package jsonout describes.

// planJSON is the machine-readable plan.
type planJSON struct {
	FormatVersion int             `json:"formatVersion"`
	App           string          `json:"app"`
	Stage         string          `json:"stage"`
	Target        target          `json:"target"`
	Changes       []engine.Change `json:"changes"`
	Summary       map[string]int  `json:"summary"`
	// Drift is what the refresh before the plan found changed outside
	// the program; empty with --refresh=false (target.read is false).
	Drift []engine.Drift `json:"drift"`
	// Skipped are the resources a run limited by --target leaves alone.
	Skipped []string `json:"skipped,omitempty"`
	// Reads are the lookups of resources the program does not manage
	// (App.Get, App.List), read while planning.
	Reads []engine.Read `json:"reads"`
}

// driftJSON is what refresh --json prints.
type driftJSON struct {
	FormatVersion int            `json:"formatVersion"`
	App           string         `json:"app"`
	Stage         string         `json:"stage"`
	Target        target         `json:"target"`
	Drift         []engine.Drift `json:"drift"`
}

// newErrorJSON is the error document of a failed run, with the program's
// mistakes listed one by one when planning found them.
func newErrorJSON(err error, code int) jsonout.Error {
	doc := jsonout.NewError(err, code)
	// A program's own error may quote a marked value.
	doc.Error.Message = secrets.RedactText(doc.Error.Message)
	var pe *engine.ProblemsError
	if errors.As(err, &pe) {
		for _, p := range pe.Problems {
			doc.Error.Problems = append(doc.Error.Problems, jsonout.Problem{LogicalID: p.LogicalID, Type: p.Type, Message: p.Message})
		}
	}
	return doc
}

func writePlanJSON(w io.Writer, app, stage string, tgt target, changes []engine.Change, drifts []engine.Drift, skipped []string, reads []engine.Read) error {
	if changes == nil {
		changes = []engine.Change{}
	}
	// A value known only after apply is null with "unknown": true; the
	// placeholder inside it is for the program, not for readers of plans.
	for i := range changes {
		diffs := append([]engine.PropDiff(nil), changes[i].Diffs...)
		for j := range diffs {
			if diffs[j].Unknown {
				diffs[j].After = nil
			}
		}
		changes[i].Diffs = diffs
	}
	return jsonout.Write(w, planJSON{FormatVersion: jsonout.FormatVersion, App: app, Stage: stage, Target: tgt, Changes: changes, Summary: countActions(changes), Drift: nonNil(drifts), Skipped: skipped, Reads: nonNil(reads)})
}

func countActions(cs []engine.Change) map[string]int {
	m := map[string]int{"create": 0, "update": 0, "replace": 0, "delete": 0, "forget": 0, "no-op": 0, "move": 0, "refused": 0}
	for _, c := range cs {
		for _, l := range c.Leftovers {
			if l.HeldBy != nil && !l.Retain {
				m["refused"]++ // a leftover the run leaves to another record
			}
		}
		if c.HeldBy != nil {
			m["refused"]++ // a delete the run will not make
			if c.Action != engine.Replace {
				continue // a replacement still makes the new one
			}
		}
		if c.MovedFrom != "" {
			m["move"]++
		}
		if c.MovedFrom == "" || c.Action != engine.NoOp {
			m[string(c.Action)]++ // a move alone is not "no-op"
		}
	}
	return m
}

func nonNil[T any](xs []T) []T {
	if xs == nil {
		return []T{}
	}
	return xs
}
