package athanor

import (
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"strings"

	"github.com/athanor-iac/athanor/internal/engine"
)

// The documents a program prints with --json (docs/json.md). Each is
// alone on standard output, so that `plan --json | jq` always parses; its
// shape is stable within a formatVersion: fields may be added, never
// removed or changed in meaning, without a new version.

// jsonFormatVersion is the formatVersion of every document below.
const jsonFormatVersion = 1

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
}

// driftJSON is what refresh --json prints.
type driftJSON struct {
	FormatVersion int            `json:"formatVersion"`
	App           string         `json:"app"`
	Stage         string         `json:"stage"`
	Target        target         `json:"target"`
	Drift         []engine.Drift `json:"drift"`
}

// errorJSON is what any --json command prints instead of its document
// when it fails; the exit code is the same as without --json.
type errorJSON struct {
	FormatVersion int       `json:"formatVersion"`
	Error         errorBody `json:"error"`
}

type errorBody struct {
	Message  string `json:"message"`
	ExitCode int    `json:"exitCode"`
	// Problems are the program's mistakes, when planning found them.
	Problems []problemJSON `json:"problems,omitempty"`
}

type problemJSON struct {
	LogicalID string `json:"logicalId,omitempty"`
	Type      string `json:"type,omitempty"`
	Message   string `json:"message"`
}

func newErrorJSON(err error, code int) errorJSON {
	body := errorBody{Message: err.Error(), ExitCode: code}
	var pe *engine.ProblemsError
	if errors.As(err, &pe) {
		for _, p := range pe.Problems {
			body.Problems = append(body.Problems, problemJSON{LogicalID: p.LogicalID, Type: p.Type, Message: p.Message})
		}
	}
	return errorJSON{FormatVersion: jsonFormatVersion, Error: body}
}

// jsonRequested reports whether args ask for --json, for errors found
// before the flags were parsed.
func jsonRequested(args []string) bool {
	for _, a := range args {
		if a == "--" {
			return false
		}
		if v, ok := strings.CutPrefix(a, "--json"); ok && (v == "" || strings.HasPrefix(v, "=")) {
			b, err := strconv.ParseBool(strings.TrimPrefix(v, "="))
			return v == "" || (err == nil && b)
		}
	}
	return false
}

func writePlanJSON(w io.Writer, app, stage string, tgt target, changes []engine.Change, drifts []engine.Drift) error {
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
	return writeJSON(w, planJSON{FormatVersion: jsonFormatVersion, App: app, Stage: stage, Target: tgt, Changes: changes, Summary: countActions(changes), Drift: nonNil(drifts)})
}

func countActions(cs []engine.Change) map[string]int {
	m := map[string]int{"create": 0, "update": 0, "replace": 0, "delete": 0, "no-op": 0}
	for _, c := range cs {
		m[string(c.Action)]++
	}
	return m
}

func nonNil[T any](xs []T) []T {
	if xs == nil {
		return []T{}
	}
	return xs
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
