package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/athanor-iac/athanor/internal/jsonout"
	"github.com/athanor-iac/athanor/internal/secrets"
	"github.com/athanor-iac/athanor/state"
)

// StateOutputs is the JSON form of `athanor state outputs --json`.
type StateOutputs struct {
	FormatVersion int            `json:"formatVersion"`
	App           string         `json:"app"`
	Stage         string         `json:"stage"`
	State         string         `json:"state"`
	Outputs       map[string]any `json:"outputs"`
}

// newCmdStateOutputs builds `athanor state outputs`: what the last up
// recorded with app.Output.
func newCmdStateOutputs(opts *StateOptions, run stateRun) *cobra.Command {
	outputs := &cobra.Command{
		Use:   "outputs",
		Short: "Print the outputs the stage's last up recorded (app.Output)",
		Long: `Print the outputs the stage's last complete up recorded (app.Output).

A secret output is stored encrypted and printed as (sensitive), which needs
no key. With --show-secrets it is decrypted and printed in plain text, with
the stage's key: ATHANOR_PASSPHRASE, or ATHANOR_AGE_IDENTITY_FILE.`,
		Example: `  athanor state outputs --app network --stage prod
  ATHANOR_PASSPHRASE=... athanor state outputs --app network --stage prod --show-secrets --json`,
		Args: cobra.NoArgs, RunE: run("outputs", 0),
	}
	outputs.Flags().BoolVar(&opts.JSON, "json", false, "print JSON")
	outputs.Flags().BoolVar(&opts.Show, "show-secrets", false, "decrypt secret outputs and print them in plain text (needs the stage's key)")
	return outputs
}

func stateOutputs(ctx context.Context, o *StateOptions, s state.Store) error {
	outs, err := loadOutputs(ctx, o.Show, s)
	if err != nil {
		return err
	}
	if o.JSON {
		return jsonout.Write(o.IO.Out, StateOutputs{FormatVersion: jsonout.FormatVersion, App: o.App, Stage: o.Stage, State: state.Redact(o.URL), Outputs: outs})
	}
	if len(outs) == 0 {
		fmt.Fprintf(o.IO.Err, "stage %s of app %s has no outputs in %s; a program records them with app.Output and up\n", o.Stage, o.App, state.Redact(o.URL))
		return nil
	}
	names := make([]string, 0, len(outs))
	for n := range outs {
		names = append(names, n)
	}
	sort.Strings(names)
	tw := tabwriter.NewWriter(o.IO.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tVALUE")
	for _, n := range names {
		fmt.Fprintf(tw, "%s\t%s\n", n, OutputValue(outs[n]))
	}
	return tw.Flush()
}

// loadOutputs reads the stage's outputs: secret ones as "(sensitive)",
// which needs no key, or in plain text when show is set, decrypted with the
// key the environment configures.
func loadOutputs(ctx context.Context, show bool, s state.Store) (map[string]any, error) {
	if !show {
		outs, err := state.LoadOutputs(ctx, s)
		return secrets.RedactStoredOutputs(outs), err
	}
	outs, err := secrets.LoadOutputs(ctx, s)
	if err != nil {
		return nil, err
	}
	revealed, _ := secrets.Reveal(outs).(map[string]any)
	return revealed, nil
}

// OutputValue shows an output's value: a string as it is, anything else
// as JSON.
func OutputValue(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
