package jsonout

import (
	"strings"
	"testing"
)

func TestRequested(t *testing.T) {
	for args, want := range map[string]bool{
		"plan --json":          true,
		"plan --json=true":     true,
		"plan --json=false":    false,
		"plan --jsonx":         false,
		"plan":                 false,
		"plan -- --json":       false,
		"--json=1 plan --bad":  true,
		"plan --json=nonsense": false,
	} {
		if got := Requested(strings.Fields(args)); got != want {
			t.Errorf("Requested(%q) = %v, want %v", args, got, want)
		}
	}
}
