package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/athanor-iac/athanor/internal/cli/runner"
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
	// STSEndpoint is where STS is asked (the account, a role); empty
	// means Endpoint when given, else the SDK's resolution.
	STSEndpoint string
	Region      string
	Profile     string
	// Scope is where the resource lives when not in the program's own
	// account and region.
	Scope ImportScope
	JSON  bool
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

A resource in another account or region than the program's own is imported
through the scope the program declares it in (athanor.ScopeOptions):
--scope-region, --role-arn, --external-id, --session-name, --role-duration
and --scope-profile give its Region, RoleARN, ExternalID, SessionName,
Duration and Profile, while --region and --profile stay those the program
runs with. The record keeps the scope as the program's declaration would,
so the program's next run finds the resource where it declares it.
--account, when given, is checked against the account the scope leads to.

Importing a resource that does not exist, or one already managed, fails and
changes nothing. Import never changes the resource itself.`,
		Example: `  athanor import AWS::EC2::FlowLog fl-0123456789abcdef0 --as vpcFlowLog --app flowlogs --stage prod
  athanor import AWS::Logs::LogGroup app-logs --as appLogs --app org --account 222222222222 \
    --role-arn arn:aws:iam::222222222222:role/Deploy --scope-region eu-west-1`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Type, opts.ID = args[0], args[1]
			if opts.As == "" {
				return usageErrorf("--as LOGICAL_ID is required: the logical ID the program declares the resource under")
			}
			if opts.App == "" {
				return usageErrorf("--app is required: the name the program passes to athanor.Run")
			}
			if _, err := checkImportFlags(opts); err != nil {
				return err
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
	fl.StringVar(&opts.STSEndpoint, "sts-endpoint", "", "STS endpoint URL, for the account and --role-arn (default: --endpoint when given, else the SDK's, which reads AWS_ENDPOINT_URL_STS)")
	fl.StringVar(&opts.Region, "region", "", "AWS region the program runs in (default from the AWS configuration)")
	fl.StringVar(&opts.Profile, "profile", "", "AWS shared configuration profile the program runs with")
	sc := &opts.Scope
	fl.StringVar(&sc.Region, "scope-region", "", "region the resource lives in, as the program's ScopeOptions.Region (default --region's)")
	fl.StringVar(&sc.RoleARN, "role-arn", "", "role to assume to reach the resource's account, as ScopeOptions.RoleARN")
	fl.StringVar(&sc.ExternalID, "external-id", "", "external ID to assume --role-arn with, as ScopeOptions.ExternalID")
	fl.StringVar(&sc.SessionName, "session-name", "", "role session name, as ScopeOptions.SessionName (default athanor)")
	fl.DurationVar(&sc.Duration, "role-duration", 0, "how long --role-arn's credentials last, as ScopeOptions.Duration (default 15m)")
	fl.StringVar(&sc.Profile, "scope-profile", "", "shared configuration profile of the scope, as ScopeOptions.Profile")
	fl.StringVar(&sc.Account, "account", "", "account the resource lives in, checked against where --role-arn or --scope-profile lead")
	fl.BoolVar(&opts.JSON, "json", false, "print the imported record as JSON")
	return cmd
}

func runImport(ctx context.Context, opts *ImportOptions) error {
	spec, err := checkImportFlags(opts)
	if err != nil {
		return err
	}
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
	// An endpoint given (the local one) answers STS too, as in a run,
	// unless --sts-endpoint says where: the check that no other record
	// holds the resource asks it which account a record without a scope
	// is in, and a scope's role is assumed there.
	stsEndpoint := opts.STSEndpoint
	if stsEndpoint == "" {
		stsEndpoint = opts.Endpoint
	}
	base := cloudcontrol.Options{Endpoint: opts.Endpoint, STSEndpoint: stsEndpoint, Region: opts.Region, Profile: opts.Profile}
	prov, err := cloudcontrol.New(ctx, base)
	if err != nil {
		return err
	}
	where := state.StageRef{URL: state.ResolveURL(opts.StateURL), App: opts.App, Stage: stage}
	var rec *state.Record
	if opts.Scope.set() {
		rec, err = importScoped(ctx, store, where, prov, base, spec, opts)
	} else {
		rec, err = engine.Import(ctx, store, where, prov, opts.Type, opts.ID, opts.As)
	}
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
	from := ""
	if rec.Scope != nil {
		from = " from " + rec.Scope.String()
	}
	fmt.Fprintf(opts.IO.Out, "imported %s %s%s as %q in %s/%s; the next run of the program adopts it, and `plan` shows how it differs from the program\n", rec.Type, rec.Identifier, from, rec.LogicalID, opts.App, stage)
	return nil
}

// importScoped imports a resource of another account or region: the
// scope is resolved as the program's run resolves it, and checked against
// --account.
func importScoped(ctx context.Context, store state.Store, where state.StageRef, prov *cloudcontrol.Provider, base cloudcontrol.Options, spec state.Scope, opts *ImportOptions) (*state.Record, error) {
	scope, scoped, err := runner.ResolveScope(ctx, prov, base, spec)
	if err != nil {
		return nil, fmt.Errorf("import refused, nothing changed: scope %s: %w", scopeFlags(opts.Scope), err)
	}
	if want := opts.Scope.Account; want != "" {
		acct, err := scopeAccount(ctx, scope, prov)
		if err != nil {
			return nil, err
		}
		if acct != want {
			return nil, fmt.Errorf("import refused, nothing changed: the scope leads to account %s, not --account %s: give --role-arn (or --scope-profile) of account %s, or correct --account", acct, want, want)
		}
	}
	return engine.ImportScoped(ctx, store, where, prov, scope, scoped, opts.Type, opts.ID, opts.As)
}

// scopeAccount is the account a resolved scope is in: the run's own (the
// provider's, asked already) for nil.
func scopeAccount(ctx context.Context, scope *state.Scope, prov *cloudcontrol.Provider) (string, error) {
	if scope != nil {
		return scope.Account, nil
	}
	return prov.Account(ctx)
}

// scopeFlags names a scope by the flags that gave it, for messages.
func scopeFlags(s ImportScope) string {
	var parts []string
	for _, f := range []struct{ name, value string }{{"--scope-region", s.Region}, {"--role-arn", s.RoleARN}, {"--scope-profile", s.Profile}} {
		if f.value != "" {
			parts = append(parts, f.name+" "+f.value)
		}
	}
	return "(" + strings.Join(parts, ", ") + ")"
}
