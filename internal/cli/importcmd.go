package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/athanor-iac/athanor/internal/engine"
	"github.com/athanor-iac/athanor/internal/jsonout"
	"github.com/athanor-iac/athanor/internal/secrets"
	"github.com/athanor-iac/athanor/internal/version"
	"github.com/athanor-iac/athanor/provider/cloudcontrol"
	"github.com/athanor-iac/athanor/state"
)

// ImportOptions are the parsed arguments of `athanor import`.
type ImportOptions struct {
	IO       *IOStreams
	Type     string
	ID       string
	As       string
	App      string
	Stage    string
	StateURL string
	Endpoint string
	Region   string
	Profile  string
	JSON     bool
}

// NewCmdImport builds `athanor import TYPE IDENTIFIER --as LOGICAL_ID`.
func NewCmdImport(f *Factory, runF func(context.Context, *ImportOptions) error) *cobra.Command {
	opts := &ImportOptions{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "import TYPE IDENTIFIER --as LOGICAL_ID --app APP",
		Short: "Put an existing AWS resource under management",
		Long: `Import reads an existing resource through Cloud Control and records it in the
stage's state under a logical ID. The next run of a program that declares
that logical ID adopts the resource instead of creating another one; its
plan shows exactly the properties where the program and the resource differ.

Importing a resource that does not exist, or one already managed, fails and
changes nothing. Import never changes the resource itself.`,
		Example: `  athanor import AWS::EC2::FlowLog fl-0123456789abcdef0 --as vpcFlowLog --app flowlogs --stage prod`,
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Type, opts.ID = args[0], args[1]
			if opts.As == "" {
				return usageErrorf("--as LOGICAL_ID is required: the logical ID the program declares the resource under")
			}
			if opts.App == "" {
				return usageErrorf("--app is required: the name the program passes to athanor.Run")
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			loc := state.StageRef{URL: state.ResolveURL(opts.StateURL), App: opts.App, Stage: state.ResolveStage(opts.Stage)}
			return state.Locate(runImport(cmd.Context(), opts), loc)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.As, "as", "", "logical ID to manage the resource under (required)")
	fl.StringVar(&opts.App, "app", "", "app name, as given to athanor.Run (required)")
	fl.StringVar(&opts.Stage, "stage", "", "stage (default $ATHANOR_STAGE, then the user name)")
	fl.StringVar(&opts.StateURL, "state", "", "state store URL (default $ATHANOR_STATE, then file://.athanor)")
	fl.StringVar(&opts.Endpoint, "endpoint", "", "Cloud Control endpoint URL (default: the SDK's, which reads AWS_ENDPOINT_URL_CLOUDCONTROL)")
	fl.StringVar(&opts.Region, "region", "", "AWS region")
	fl.StringVar(&opts.Profile, "profile", "", "AWS shared configuration profile")
	fl.BoolVar(&opts.JSON, "json", false, "print the imported record as JSON")
	return cmd
}

func runImport(ctx context.Context, opts *ImportOptions) error {
	stage := state.ResolveStage(opts.Stage)
	url, err := state.CheckURL(state.ResolveURL(opts.StateURL))
	if err != nil {
		return &UsageError{Err: err}
	}
	store, err := secrets.OpenStore(ctx, url, opts.App, stage)
	if err != nil {
		return err
	}
	defer store.Close()
	u, err := store.Lock(ctx, state.NewLockInfo("import", version.Get().String()))
	if err != nil {
		return err
	}
	defer u.Unlock()
	// An endpoint given (the local one) answers STS too, as in a run: the
	// check that no other record holds the resource asks it which account
	// a record without a scope is in.
	prov, err := cloudcontrol.New(ctx, cloudcontrol.Options{Endpoint: opts.Endpoint, STSEndpoint: opts.Endpoint, Region: opts.Region, Profile: opts.Profile})
	if err != nil {
		return err
	}
	where := state.StageRef{URL: state.ResolveURL(opts.StateURL), App: opts.App, Stage: stage}
	rec, err := engine.Import(ctx, store, where, prov, opts.Type, opts.ID, opts.As)
	var ie *engine.ImportError
	var he *engine.HeldError
	if errors.As(err, &ie) || errors.As(err, &he) {
		return fmt.Errorf("import refused, nothing changed: %w", err)
	}
	if err != nil {
		return err
	}
	if opts.JSON {
		return jsonout.Write(opts.IO.Out, RecordDocument{FormatVersion: jsonout.FormatVersion, App: opts.App, Stage: stage, Record: secrets.RedactStored(*rec)})
	}
	fmt.Fprintf(opts.IO.Out, "imported %s %s as %q in %s/%s; the next run of the program adopts it, and `plan` shows how it differs from the program\n", rec.Type, rec.Identifier, rec.LogicalID, opts.App, stage)
	return nil
}
