package state_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/athanor-iac/athanor/state"
)

// A program links only the backends it imports, as database/sql drivers.
// One that names a backend of this module it did not import is told the
// import line to add; and each line named does register its scheme.
func TestUnlinkedBackendNamesItsImport(t *testing.T) {
	for scheme, pkg := range state.BackendPackages {
		err := state.UnlinkedScheme(scheme+"://me:secret@host/x", scheme)
		var ue *state.URLError
		want := `add import _ "` + pkg + `"`
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "secret") {
			t.Errorf("%s: %v; want a URLError with %s", scheme, err, want)
		}
		// registry_test.go imports every backend package: the scheme
		// named must be one of those the import registers.
		if _, err := state.CheckURL(scheme + "://host/x"); err != nil {
			t.Errorf("%s: importing %s does not register it: %v", scheme, pkg, err)
		}
	}
	if err := state.UnlinkedScheme("s4://b/x", "s4"); !strings.Contains(err.Error(), `unknown scheme "s4"`) {
		t.Errorf("s4: %v", err)
	}
}
