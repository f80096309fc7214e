package secrets

import (
	"context"
	"crypto/sha256"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/athanor-iac/athanor/state"
	"github.com/athanor-iac/athanor/state/statetest"
)

// The encrypting store is a state.Store like any other: it passes the
// backends' conformance suite over the file store, optional interfaces
// (lock reporting, stage listing, LoadAll) included.
func TestStoreConformance(t *testing.T) {
	root := t.TempDir()
	creds := ageCreds(t)
	statetest.Run(t, func(t *testing.T) state.Store {
		t.Helper()
		stage := fmt.Sprintf("s%x", sha256.Sum256([]byte(t.Name())))[:17]
		s, err := state.Open(context.Background(), "file://"+filepath.ToSlash(root), "app", stage)
		if err != nil {
			t.Fatal(err)
		}
		return NewStore(s, creds)
	})
}
