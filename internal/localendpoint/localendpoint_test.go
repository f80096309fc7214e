package localendpoint

import (
	"errors"
	"testing"
)

// This package's tests do not import localcc: --local has nothing to
// start, and says so with ErrNotLinked rather than failing later.
func TestStartWithoutLocalcc(t *testing.T) {
	if Linked() {
		t.Fatal("Linked() in a binary that does not import localcc")
	}
	if _, err := Start(t.TempDir()); !errors.Is(err, ErrNotLinked) {
		t.Fatalf("Start: %v; want ErrNotLinked", err)
	}
}
