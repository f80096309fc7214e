package state

import (
	"strings"
	"testing"
)

// TestEscapeName checks that escaped names are lower case, distinct for
// names differing only in case, and reversible.
func TestEscapeName(t *testing.T) {
	seen := map[string]string{}
	for _, id := range []string{"a", "A", "Bucket", "bucket", "BUCKET", "bUcKeT", "My-Flow.Log_2", "Z9"} {
		file := escapeName(id)
		if strings.ToLower(file) != file {
			t.Errorf("escapeName(%q) = %q has upper case", id, file)
		}
		if other, dup := seen[file]; dup {
			t.Errorf("%q and %q both escape to %q", id, other, file)
		}
		seen[file] = id
		if back, ok := unescapeName(file); !ok || back != id {
			t.Errorf("unescapeName(%q) = %q, %v; want %q", file, back, ok, id)
		}
	}
	if got := escapeName("MyBucket"); got != "+my+bucket" {
		t.Errorf("escapeName(MyBucket) = %q", got)
	}
	for _, bad := range []string{"Bucket", "a+", "+1", "++a", "+A"} {
		if _, ok := unescapeName(bad); ok {
			t.Errorf("unescapeName(%q) accepted a name escapeName cannot produce", bad)
		}
	}
}
