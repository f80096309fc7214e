package cli

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/athanor-iac/athanor/internal/secrets"
	"github.com/athanor-iac/athanor/state"

	// The shared backends, so that every scheme a program accepts works here.
	_ "github.com/athanor-iac/athanor/state/pgstore"
	_ "github.com/athanor-iac/athanor/state/s3store"
)

// StateOptions are the parsed arguments of `athanor state ...`.
type StateOptions struct {
	IO *IOStreams

	Command string // list, show, rm, mv, unlock, migrate, outputs, rekey
	URL     string // --state
	App     string
	Stage   string
	ID      string // show, rm and mv
	NewID   string // mv
	JSON    bool   // list, outputs
	Show    bool   // outputs: --show-secrets
	Rewrap  bool   // rekey: rewrap the data key only
	Yes     bool   // rm
	From    string // migrate
	To      string // migrate
	Force   bool   // migrate; rm of a protected record
}

// NewCmdState builds `athanor state` and its subcommands, which read and
// repair a stage's state without running the program: list and show what is
// recorded, forget a record, break a dead run's lock, and move state between
// backends. runF replaces the run step in tests.
func NewCmdState(f *Factory, runF func(*StateOptions) error) *cobra.Command {
	opts := &StateOptions{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "state",
		Short: "Inspect, repair and migrate the state of a stage",
		Long: `Inspect, repair and migrate what athanor records about a stage's resources.

The state URL is the one programs use: --state, else $ATHANOR_STATE, else
file://.athanor. s3://bucket/prefix and postgres://... are understood too.
--app is the name the program passes to athanor.Run; --stage defaults to
$ATHANOR_STAGE, then your user name, as in programs.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return nil
			}
			msg := "unknown command " + quote(args[0]) + " for \"athanor state\""
			if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
				msg += "; did you mean " + quote(s[0]) + "?"
			}
			return usageErrorf("%s", msg)
		},
		RunE:                       func(cmd *cobra.Command, args []string) error { return cmd.Help() },
		SuggestionsMinimumDistance: 2,
	}
	pf := cmd.PersistentFlags()
	pf.StringVar(&opts.URL, "state", "", "state store URL (default $ATHANOR_STATE, then "+state.DefaultURL+")")
	pf.StringVar(&opts.App, "app", "", "app name, as passed to athanor.Run (required)")
	pf.StringVar(&opts.Stage, "stage", "", "stage (default $ATHANOR_STAGE, then the user name)")

	var run stateRun = func(name string, nargs int) func(*cobra.Command, []string) error {
		return func(cmd *cobra.Command, args []string) error {
			opts.Command = name
			if nargs >= 1 {
				opts.ID = args[0]
			}
			if nargs == 2 {
				opts.NewID = args[1]
			}
			if runF != nil {
				return runF(opts)
			}
			return state.Locate(runState(cmd.Context(), opts), opts.location())
		}
	}
	cmd.AddCommand(newCmdStateList(opts, run), newCmdStateShow(run), newCmdStateRm(opts, run), newCmdStateMv(run),
		newCmdStateUnlock(run), newCmdStateMigrate(opts, run), newCmdStateOutputs(opts, run), newCmdRekey(opts, run))
	return cmd
}

// stateRun makes the RunE of the state subcommand name, which takes nargs
// arguments: the record's logical ID, then mv's new one.
type stateRun func(name string, nargs int) func(*cobra.Command, []string) error

func exactArgs(n int, msg string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return usageErrorf("%s", msg)
		}
		return nil
	}
}

// resolve fills the defaults programs use, so that the command finds the
// state a program wrote.
func (o *StateOptions) resolve() error {
	if o.App == "" {
		return usageErrorf("--app is required: the name the program passes to athanor.Run")
	}
	o.Stage = state.ResolveStage(o.Stage)
	url, err := state.CheckURL(state.ResolveURL(o.URL))
	if err != nil {
		return &UsageError{Err: err}
	}
	o.URL = url
	if o.Command == "migrate" {
		if o.From == "" || o.To == "" {
			return usageErrorf("migrate needs --from URL and --to URL")
		}
		if o.From == o.To {
			return usageErrorf("--from and --to are the same URL")
		}
		for _, u := range []string{o.From, o.To} {
			if _, err := state.CheckURL(u); err != nil {
				return &UsageError{Err: err}
			}
		}
	}
	return nil
}

// location is where the command's stage is, for the commands messages
// suggest; after resolve, with the defaults filled in.
func (o *StateOptions) location() state.StageRef {
	return state.StageRef{URL: o.URL, App: o.App, Stage: o.Stage}
}

func runState(ctx context.Context, o *StateOptions) error {
	if err := o.resolve(); err != nil {
		return err
	}
	if o.Command == "unlock" {
		return stateUnlock(ctx, o)
	}
	if o.Command == "migrate" {
		return stateMigrate(ctx, o)
	}
	if o.Command == "rekey" {
		return stateRekey(ctx, o)
	}
	s, err := state.Open(ctx, o.URL, o.App, o.Stage)
	if err != nil {
		return err
	}
	defer closeStore(s)
	switch o.Command {
	case "list":
		return stateList(ctx, o, s)
	case "show":
		return stateShow(ctx, o, s)
	case "rm":
		return stateRm(ctx, o, s)
	case "outputs":
		return stateOutputs(ctx, o, s)
	case "mv":
		// Encrypted values are bound to their record's logical ID: a
		// renamed record is decrypted and encrypted again, which needs
		// the stage's key when it holds secrets.
		creds, err := secrets.CredentialsFromOSEnv()
		if err != nil {
			return err
		}
		return stateMv(ctx, o, secrets.NewStore(s, creds))
	}
	return fmt.Errorf("unknown state command %q", o.Command)
}

func closeStore(s state.Store) {
	if c, ok := s.(io.Closer); ok {
		c.Close()
	}
}
