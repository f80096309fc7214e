// Package walk visits the values of decoded JSON (map[string]any, []any,
// string, ...), so that the engine's dependency and placeholder checks,
// the secrets package's marking and sealing, and the numbers programs see
// share one traversal.
package walk

import (
	"strconv"
	"strings"
)

// Transform rewrites the leaves of v for which fn returns a new value,
// copying only what changes; ptr is v's JSON pointer.
func Transform(v any, ptr string, fn func(ptr string, v any) (any, bool, error)) (any, bool, error) {
	return transform(v, ptr, true, fn)
}

// Map is Transform for a fn that needs no pointer: it builds none, which
// on values read from state for every declaration is most of the cost.
func Map(v any, fn func(v any) (any, bool)) (any, bool) {
	out, changed, _ := transform(v, "", false, func(_ string, v any) (any, bool, error) {
		n, changed := fn(v)
		return n, changed, nil
	})
	return out, changed
}

// transform is Transform, building the pointers of v's elements only
// when withPtr.
func transform(v any, ptr string, withPtr bool, fn func(ptr string, v any) (any, bool, error)) (any, bool, error) {
	if n, changed, err := fn(ptr, v); err != nil || changed {
		return n, changed, err
	}
	switch v := v.(type) {
	case map[string]any:
		var out map[string]any
		for k, e := range v {
			var p string
			if withPtr {
				p = ptr + "/" + PointerToken(k)
			}
			n, changed, err := transform(e, p, withPtr, fn)
			if err != nil {
				return nil, false, err
			}
			if !changed {
				continue
			}
			if out == nil {
				out = make(map[string]any, len(v))
				for k2, e2 := range v {
					out[k2] = e2
				}
			}
			out[k] = n
		}
		if out != nil {
			return out, true, nil
		}
	case []any:
		var out []any
		for i, e := range v {
			var p string
			if withPtr {
				p = ptr + "/" + strconv.Itoa(i)
			}
			n, changed, err := transform(e, p, withPtr, fn)
			if err != nil {
				return nil, false, err
			}
			if !changed {
				continue
			}
			if out == nil {
				out = append([]any(nil), v...)
			}
			out[i] = n
		}
		if out != nil {
			return out, true, nil
		}
	}
	return v, false, nil
}

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
