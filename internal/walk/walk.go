// Package walk visits the values of decoded JSON (map[string]any, []any,
// string, ...), so that the engine's dependency and placeholder checks and
// the secrets package's marking share one traversal.
package walk

import "strings"

// Strings calls fn for every string inside v, in no particular order.
func Strings(v any, fn func(string)) {
	switch v := v.(type) {
	case string:
		fn(v)
	case map[string]any:
		for _, e := range v {
			Strings(e, fn)
		}
	case []any:
		for _, e := range v {
			Strings(e, fn)
		}
	}
}

// PointerToken escapes a key for use in a JSON Pointer (RFC 6901): '~'
// and '/' would otherwise make the pointer name another place. It runs
// for every property of every declaration, so the common key that needs
// no escaping is returned as it is, with nothing built.
func PointerToken(k string) string {
	if !strings.ContainsAny(k, "~/") {
		return k
	}
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(k)
}
