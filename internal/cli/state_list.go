package cli

import (
	"context"
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/athanor-iac/athanor/internal/jsonout"
	"github.com/athanor-iac/athanor/state"
)

// newCmdStateList builds `athanor state list`: every record of the stage,
// as a table or with --json as JSON.
func newCmdStateList(opts *StateOptions, run stateRun) *cobra.Command {
	list := &cobra.Command{Use: "list", Short: "List the stage's records: logical ID, type, identifier, pending operation", Args: cobra.NoArgs, RunE: run("list", 0)}
	list.Flags().BoolVar(&opts.JSON, "json", false, "print JSON")
	return list
}

// StateList is the JSON form of `athanor state list --json`.
type StateList struct {
	FormatVersion int          `json:"formatVersion"`
	App           string       `json:"app"`
	Stage         string       `json:"stage"`
	State         string       `json:"state"` // the store, a file store as an absolute folder
	Records       []StateEntry `json:"records"`
}

// StateEntry is one record in `athanor state list --json`.
type StateEntry struct {
	LogicalID  string `json:"logicalId"`
	Type       string `json:"type"`
	Identifier string `json:"identifier"`
	// Pending is the operation started and not known to be finished, or "".
	Pending string `json:"pending"`
	// Superseded counts replaced resources not yet deleted.
	Superseded int `json:"superseded"`
}

func stateList(ctx context.Context, o *StateOptions, s state.Store) error {
	recs, err := s.Load(ctx)
	if err != nil {
		return err
	}
	recs = withoutKeyRecord(recs)
	entries := make([]StateEntry, len(recs))
	for i, r := range recs {
		e := StateEntry{LogicalID: r.LogicalID, Type: r.Type, Identifier: r.Identifier, Superseded: len(r.Superseded)}
		if r.Pending != nil {
			e.Pending = string(r.Pending.Operation)
		}
		entries[i] = e
	}
	if o.JSON {
		return jsonout.Write(o.IO.Out, StateList{FormatVersion: jsonout.FormatVersion, App: o.App, Stage: o.Stage, State: state.Redact(o.URL), Records: entries})
	}
	if len(entries) == 0 {
		fmt.Fprintf(o.IO.Err, "stage %s of app %s has no records in %s\n", o.Stage, o.App, o.URL)
		return nil
	}
	tw := tabwriter.NewWriter(o.IO.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "LOGICAL ID\tTYPE\tIDENTIFIER\tPENDING")
	for _, e := range entries {
		pending := "-"
		if e.Pending != "" {
			pending = e.Pending + " (pending)"
		}
		if e.Superseded > 0 {
			pending += fmt.Sprintf(", %d superseded", e.Superseded)
		}
		id := e.Identifier
		if id == "" {
			id = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", e.LogicalID, e.Type, id, pending)
	}
	return tw.Flush()
}
