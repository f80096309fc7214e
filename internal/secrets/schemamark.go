package secrets

import "strings"

// SchemaPaths returns the properties of typeName that hold secrets by the
// schema's say (see docs/secret-properties.md), as JSON pointers into the
// property object, "*" standing for every element of a list or map.
func SchemaPaths(typeName string) []string { return schemaSecrets[typeName] }

// MarkSchema returns props with every string at typeName's secret
// properties marked, so that a password passed as a plain string is as
// secret as one marked by the program. Only what changes is copied.
func MarkSchema(typeName string, props map[string]any) map[string]any {
	paths := schemaSecrets[typeName]
	if len(paths) == 0 || props == nil {
		return props
	}
	var out any = props
	for _, p := range paths {
		out, _ = markAt(out, strings.Split(strings.TrimPrefix(p, "/"), "/"))
	}
	m, _ := out.(map[string]any)
	return m
}

// markAt marks every string at or under the path toks in v.
func markAt(v any, toks []string) (any, bool) {
	if len(toks) == 0 {
		return mapChanged(v, Mark)
	}
	tok := toks[0]
	switch n := v.(type) {
	case map[string]any:
		var out map[string]any
		set := func(k string, e any) {
			nv, changed := markAt(e, toks[1:])
			if !changed {
				return
			}
			if out == nil {
				out = make(map[string]any, len(n))
				for k2, e2 := range n {
					out[k2] = e2
				}
			}
			out[k] = nv
		}
		if tok == "*" {
			for k, e := range n {
				set(k, e)
			}
		} else if e, ok := n[tok]; ok {
			set(tok, e)
		}
		if out == nil {
			return v, false
		}
		return out, true
	case []any:
		if tok != "*" {
			return v, false
		}
		var out []any
		for i, e := range n {
			nv, changed := markAt(e, toks[1:])
			if !changed {
				continue
			}
			if out == nil {
				out = append([]any(nil), n...)
			}
			out[i] = nv
		}
		if out == nil {
			return v, false
		}
		return out, true
	}
	return v, false
}

// minEmbedded is the shortest secret marked where it appears inside a
// longer string AWS returns; shorter ones would mark unrelated text by
// coincidence (a string equal to a secret is marked whatever its length).
const minEmbedded = 4

// MarkKnown returns v (values AWS returned) with every appearance of a
// known secret value marked, so that a secret AWS echoes (a readable
// property, an ARN built from a secret name) is as secret in state and
// output as the value the program declared, and compares equal to it.
func MarkKnown(v any, plains map[string]bool) any {
	if len(plains) == 0 {
		return v
	}
	known := NewScrubber(plains)
	out, _ := mapChanged(v, func(s string) string {
		var b strings.Builder
		segments(s, func(p string, secret bool) {
			if secret {
				b.WriteString(Mark(p))
				return
			}
			if plains[p] {
				b.WriteString(Mark(p))
				return
			}
			b.WriteString(markEmbedded(p, known))
		})
		return b.String()
	})
	return out
}

// markEmbedded marks the known secrets inside s, longest first.
func markEmbedded(s string, known Scrubber) string {
	for _, p := range known {
		if len(p) < minEmbedded {
			continue
		}
		if i := strings.Index(s, p); i >= 0 {
			return markEmbedded(s[:i], known) + Mark(p) + markEmbedded(s[i+len(p):], known)
		}
	}
	return s
}
