package schema

import "strings"

// RemovePaths deletes from model (in place) every value at the given schema
// paths ("/properties/A/B", with "*" standing for every element of an array
// or every key of an object). Reads use it to drop write-only values, and
// the engine to separate what a user declares from what AWS fills in.
func RemovePaths(model map[string]any, paths []string) {
	for _, p := range paths {
		rest, ok := strings.CutPrefix(p, "/properties/")
		if !ok {
			continue
		}
		removeAt(model, strings.Split(rest, "/"))
	}
}

func removeAt(node any, toks []string) {
	if len(toks) == 0 {
		return
	}
	tok := toks[0]
	switch n := node.(type) {
	case map[string]any:
		if tok == "*" {
			for k, v := range n {
				if len(toks) == 1 {
					delete(n, k)
				} else {
					removeAt(v, toks[1:])
				}
			}
			return
		}
		if len(toks) == 1 {
			delete(n, tok)
			return
		}
		if v, ok := n[tok]; ok {
			removeAt(v, toks[1:])
		}
	case []any:
		if tok != "*" {
			return
		}
		for _, v := range n {
			removeAt(v, toks[1:])
		}
	}
}
