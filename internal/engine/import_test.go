package engine

import (
	"context"
	"testing"
	"time"

	"github.com/athanor-iac/athanor/state"
)

// An imported record carries the time it was written, as every record a
// run writes does, in what Import returns and in the store.
func TestImportRecordsWhenItWasWritten(t *testing.T) {
	store, prov := stage(t), newFakeProvider()
	prov.resources[flowLogType] = map[string]map[string]any{"fl-1": flowLog("Id", "fl-1")}
	before := time.Now().UTC()
	rec, err := Import(context.Background(), store, state.StageRef{App: "app", Stage: "dev"}, prov, flowLogType, "fl-1", "fl")
	if err != nil {
		t.Fatal(err)
	}
	if rec.UpdatedAt.Before(before) {
		t.Errorf("Import returned updatedAt %v; want the time of the import (after %v)", rec.UpdatedAt, before)
	}
	if got := records(t, store)["fl"].UpdatedAt; got.Before(before) {
		t.Errorf("stored updatedAt %v; want the time of the import (after %v)", got, before)
	}
}
