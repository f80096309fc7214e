package athanor_test

import (
	"strings"
	"testing"

	"github.com/athanor-iac/athanor"
	"github.com/athanor-iac/athanor/localcc"
)

// Destroying a stage with nothing in it says so.
func TestDestroyEmptyStage(t *testing.T) {
	e := newEnv(t, localcc.Options{})
	code, out := e.run(func(*athanor.App) error { return nil }, "destroy")
	if code != 0 || !strings.Contains(out, "Destroy complete: nothing to delete") {
		t.Fatalf("destroy of an empty stage: exit %d\n%s", code, out)
	}
}
