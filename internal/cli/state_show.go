package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/athanor-iac/athanor/internal/jsonout"
	"github.com/athanor-iac/athanor/internal/secrets"
	"github.com/athanor-iac/athanor/state"
)

// newCmdStateShow builds `athanor state show ID`: one record, always as
// JSON.
func newCmdStateShow(run stateRun) *cobra.Command {
	return &cobra.Command{Use: "show ID", Short: "Print one record as JSON", Args: exactArgs(1, "show needs the logical ID of a record"), RunE: run("show", 1),
		Annotations: map[string]string{alwaysJSON: "yes"}}
}

// RecordDocument is the JSON form of one state record, as `athanor state
// show` and `athanor import --json` print it.
type RecordDocument struct {
	FormatVersion int          `json:"formatVersion"`
	App           string       `json:"app"`
	Stage         string       `json:"stage"`
	Record        state.Record `json:"record"`
}

func findRecord(ctx context.Context, o *StateOptions, s state.Store) (state.Record, error) {
	if err := state.ValidateLogicalID(o.ID); err != nil {
		return state.Record{}, usageErrorf("%v", err)
	}
	recs, err := s.Load(ctx)
	if err != nil {
		return state.Record{}, err
	}
	for _, r := range recs {
		if r.LogicalID == o.ID {
			return r, nil
		}
	}
	return state.Record{}, fmt.Errorf("stage %s of app %s has no record %s (see `%s`)", o.Stage, o.App, o.ID, o.location().Command("state list"))
}

func stateShow(ctx context.Context, o *StateOptions, s state.Store) error {
	r, err := findRecord(ctx, o, s)
	if err != nil {
		return err
	}
	// Encrypted values show as "(sensitive)": show needs no key.
	return jsonout.Write(o.IO.Out, RecordDocument{FormatVersion: jsonout.FormatVersion, App: o.App, Stage: o.Stage, Record: secrets.RedactStored(r)})
}
