package engine

import (
	"fmt"
	"sort"
	"strings"

	"github.com/athanor-iac/athanor/internal/secrets"
	"github.com/athanor-iac/athanor/internal/walk"
)

// Placeholders changed by the program. A program may transform a value
// known only after apply before it declares another resource with it:
// strings.ToUpper(vpc.VpcId) turns the placeholder's marker and logical ID
// to upper case, and slicing may cut the marker. A placeholder whose case
// changed is restored, so that the property is still unknown in the plan
// and the dependency is still recorded; one that was cut cannot be, and
// the plan says so instead of validating and sending a mangled string.

const (
	markOpen  = "⟦" // the first rune of unknownOpen
	markClose = "⟧" // unknownClose
)

// restorePlaceholders returns props with every case-changed placeholder
// put back, and a problem message for each placeholder that cannot be.
// Callers hold mu (for declared).
func (e *Engine) restorePlaceholders(props map[string]any) (map[string]any, []string) {
	marked := false
	walk.Strings(props, func(s string) {
		marked = marked || strings.Contains(s, markOpen) || strings.Contains(s, markClose)
	})
	if !marked {
		return props, nil // the common case: nothing to restore
	}
	var probs []string
	changed := false
	var walk func(path string, v any) any
	walk = func(path string, v any) any {
		switch v := v.(type) {
		case string:
			if !strings.Contains(v, markOpen) && !strings.Contains(v, markClose) {
				return v
			}
			s, msg := e.restoreString(v)
			if msg != "" {
				probs = append(probs, fmt.Sprintf("%s: %s", path, msg))
			}
			if s != v {
				changed = true
			}
			return s
		case map[string]any:
			out := make(map[string]any, len(v))
			for _, k := range sortedKeys(v) {
				out[k] = walk(path+"/"+k, v[k])
			}
			return out
		case []any:
			out := make([]any, len(v))
			for i, x := range v {
				out[i] = walk(fmt.Sprintf("%s/%d", path, i), x)
			}
			return out
		}
		return v
	}
	out := make(map[string]any, len(props))
	for k, v := range props {
		out[k] = walk(k, v)
	}
	if !changed {
		return props, probs
	}
	return out, probs
}

// restoreString restores the placeholders of one string; msg is empty
// when every marker in it is, or has been made, a whole placeholder.
func (e *Engine) restoreString(s string) (string, string) {
	var b strings.Builder
	rest := s
	for {
		i := strings.Index(rest, markOpen)
		j := strings.Index(rest, markClose)
		if i < 0 && j < 0 {
			b.WriteString(rest)
			return b.String(), ""
		}
		if i < 0 || (j >= 0 && j < i) {
			return s, cutMessage(s)
		}
		b.WriteString(rest[:i])
		rest = rest[i:]
		end := strings.Index(rest, markClose)
		if end < 0 {
			return s, cutMessage(s)
		}
		inner := rest[len(markOpen):end]
		rest = rest[end+len(markClose):]
		if strings.HasPrefix(inner, unknownOpen[len(markOpen):]) || secrets.IsMarkLabel(inner) {
			b.WriteString(markOpen + inner + markClose) // untouched, or a secret
			continue
		}
		const label = "known after apply: "
		if len(inner) < len(label) || !strings.EqualFold(inner[:len(label)], label) {
			return s, cutMessage(s)
		}
		ref := inner[len(label):]
		dot := strings.LastIndex(ref, ".")
		if dot <= 0 {
			return s, cutMessage(s)
		}
		id, ok := e.declaredFold(ref[:dot])
		if !ok {
			return s, fmt.Sprintf("holds a value known only after apply whose case the program changed (%q), and %q matches no single declared logical ID; "+
				"a value known only after apply cannot be transformed while planning: check athanor.IsUnknown before changing it", s, ref[:dot])
		}
		b.WriteString(Unknown(id, ref[dot+1:]))
	}
}

func cutMessage(s string) string {
	return fmt.Sprintf("holds part of a value known only after apply (%q): the program cut or rewrote its placeholder, so neither the value nor the dependency can be known; "+
		"check athanor.IsUnknown (or app.Planning()) before taking such a value apart", s)
}

// declaredFold finds the declared logical ID equal to id under case
// folding, when exactly one is.
func (e *Engine) declaredFold(id string) (string, bool) {
	var found []string
	for d := range e.declared {
		if strings.EqualFold(d, id) {
			found = append(found, d)
		}
	}
	sort.Strings(found)
	if len(found) != 1 {
		return "", false
	}
	return found[0], true
}
