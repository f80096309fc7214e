package engine

import (
	"strconv"
	"strings"

	"github.com/athanor-iac/athanor/schema"
)

// Property paths name a value inside a resource's properties, as JSON
// Pointers (RFC 6901) relative to the property object: "Tags",
// "Tags/0/Value", "LoggingConfiguration/DestinationBucketName". A leading
// '/' is optional; '~1' and '~0' escape '/' and '~' in a name.

// splitPath splits a property path into its tokens, unescaped.
func splitPath(p string) []string { return schema.SplitPointer(strings.TrimPrefix(p, "/")) }

// getPath follows toks through decoded JSON.
func getPath(v any, toks []string) (any, bool) { return schema.ValueAt(v, toks) }

// setPath sets the value at toks inside v, whose containers must already
// exist (a map key may be new). It reports whether it could.
func setPath(v any, toks []string, val any) bool {
	if len(toks) == 0 {
		return false
	}
	parent, ok := getPath(v, toks[:len(toks)-1])
	if !ok {
		return false
	}
	last := toks[len(toks)-1]
	switch c := parent.(type) {
	case map[string]any:
		c[last] = val
		return true
	case []any:
		i, err := strconv.Atoi(last)
		if err != nil || i < 0 || i >= len(c) {
			return false
		}
		c[i] = val
		return true
	}
	return false
}

// deletePath removes the value at toks: a map key is deleted; a list
// element cannot be, without shifting the others, and is left alone.
func deletePath(v any, toks []string) {
	if len(toks) == 0 {
		return
	}
	parent, ok := getPath(v, toks[:len(toks)-1])
	if !ok {
		return
	}
	if m, ok := parent.(map[string]any); ok {
		delete(m, toks[len(toks)-1])
	}
}

// deepCopy copies decoded JSON, so that setPath on the copy leaves the
// original (shared with state records) alone.
func deepCopy(v any) any {
	switch c := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(c))
		for k, e := range c {
			m[k] = deepCopy(e)
		}
		return m
	case []any:
		l := make([]any, len(c))
		for i, e := range c {
			l[i] = deepCopy(e)
		}
		return l
	}
	return v
}

func copyProps(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	return deepCopy(m).(map[string]any)
}
