// Package walk visits the values of decoded JSON (map[string]any, []any,
// string, ...), so that the engine's dependency and placeholder checks and
// the secrets package's marking share one traversal.
package walk

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
