package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/athanor-iac/athanor/internal/engine"
	"github.com/athanor-iac/athanor/internal/jsonout"
	"github.com/athanor-iac/athanor/internal/secrets"
	"github.com/athanor-iac/athanor/internal/version"
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

	run := func(name string, nargs int) func(*cobra.Command, []string) error {
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
	list := &cobra.Command{Use: "list", Short: "List the stage's records: logical ID, type, identifier, pending operation", Args: cobra.NoArgs, RunE: run("list", 0)}
	list.Flags().BoolVar(&opts.JSON, "json", false, "print JSON")
	show := &cobra.Command{Use: "show ID", Short: "Print one record as JSON", Args: exactArgs(1, "show needs the logical ID of a record"), RunE: run("show", 1),
		Annotations: map[string]string{alwaysJSON: "yes"}}
	rm := &cobra.Command{
		Use:   "rm ID",
		Short: "Forget a record, leaving the AWS resource alone",
		Long: `Remove a record from the stage's state only. Nothing is sent to AWS: the
resource keeps existing, and athanor no longer manages it (a program that
still declares it will try to create it again, or adopt it with --adopt).
Use it for a resource deleted outside athanor, or for a corrupted record.
Removal needs --yes; the record of a resource declared with Protect()
also needs --force.`,
		Args: exactArgs(1, "rm needs the logical ID of a record"), RunE: run("rm", 1),
	}
	rm.Flags().BoolVar(&opts.Yes, "yes", false, "really remove the record")
	rm.Flags().BoolVar(&opts.Force, "force", false, "remove the record of a protected resource (athanor.Protect())")
	mv := &cobra.Command{
		Use:   "mv OLD NEW",
		Short: "Rename a record, for a resource the program now declares under another logical ID",
		Long: `Rename record OLD to NEW in the stage's state, under the stage's lock.
Nothing is sent to AWS: the resource stays as it is, and the next run of a
program that declares NEW finds it instead of creating another one (and
does not delete it as OLD). Records that depended on OLD depend on NEW.

A run finds most renames by itself (same type and user-chosen name, or the
same flow log configuration) and its plan shows them as "moved"; mv is for
the others. It refuses when OLD is missing or NEW already exists.`,
		Example: "  athanor state mv first second --app flowlogs --stage prod",
		Args:    exactArgs(2, "mv needs the record's logical ID and its new one: athanor state mv OLD NEW"), RunE: run("mv", 2),
	}
	unlock := &cobra.Command{
		Use:   "unlock",
		Short: "Break the lock a dead run left behind, and say whose it was",
		Args:  cobra.NoArgs, RunE: run("unlock", 0),
	}
	migrate := &cobra.Command{
		Use:   "migrate --from URL --to URL",
		Short: "Copy the stage's state to another backend, holding both locks, and verify it",
		Long: `Copy every record of the stage, and the outputs its last up recorded, from
--from to --to while holding the lock of the stage in both, then read the copy
back and compare it record by record.
It refuses when the destination already holds records of the stage, unless
--force, which makes the destination an exact copy (removing records the
source does not have). The source is left as it is.`,
		Example: `  athanor state migrate --app network --stage prod --from file://.athanor --to s3://my-bucket/athanor`,
		Args:    cobra.NoArgs, RunE: run("migrate", 0),
	}
	migrate.Flags().StringVar(&opts.From, "from", "", "source state URL (required)")
	migrate.Flags().StringVar(&opts.To, "to", "", "destination state URL (required)")
	migrate.Flags().BoolVar(&opts.Force, "force", false, "overwrite a destination that already has records")
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
	cmd.AddCommand(list, show, rm, mv, unlock, migrate, outputs, newCmdRekey(opts, run))
	return cmd
}

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

// StateList is the JSON form of `athanor state list --json`.
type StateList struct {
	FormatVersion int          `json:"formatVersion"`
	App           string       `json:"app"`
	Stage         string       `json:"stage"`
	State         string       `json:"state"` // the store, a file store as an absolute folder
	Records       []StateEntry `json:"records"`
}

// RecordDocument is the JSON form of one state record, as `athanor state
// show` and `athanor import --json` print it.
type RecordDocument struct {
	FormatVersion int          `json:"formatVersion"`
	App           string       `json:"app"`
	Stage         string       `json:"stage"`
	Record        state.Record `json:"record"`
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

// stateRm removes one record under the stage's lock. A corrupted record
// cannot be loaded, so rm does not require the record to load: it is the
// way out the corruption message points to.
func stateRm(ctx context.Context, o *StateOptions, s state.Store) error {
	if err := state.ValidateLogicalID(o.ID); err != nil {
		return usageErrorf("%v", err)
	}
	if o.ID == secrets.KeyRecordID {
		return usageErrorf("%s holds the stage's encryption keys; without it the stage's secrets cannot be read. To change the key: `%s`", o.ID, o.location().Command("state rekey"))
	}
	if !o.Yes {
		fmt.Fprintf(o.IO.Err, "This removes record %s from the state of stage %s only. Nothing is sent to AWS:\n"+
			"the resource keeps existing and athanor stops managing it.\n", o.ID, o.Stage)
		if r, err := findRecord(ctx, o, s); err == nil && r.Protect && !o.Force {
			return usageErrorf("not removed: record %s is protected (athanor.Protect()); add --yes --force to remove it", o.ID)
		}
		return usageErrorf("not removed: add --yes to remove record %s", o.ID)
	}
	u, err := s.Lock(ctx, state.NewLockInfo("state rm", version.Get().String()))
	if err != nil {
		return err
	}
	defer u.Unlock()
	desc := ""
	if recs, err := s.Load(ctx); err == nil {
		found := false
		for _, r := range recs {
			if r.LogicalID != o.ID {
				continue
			}
			found, desc = true, fmt.Sprintf(" (%s %s)", r.Type, r.Identifier)
			if r.Protect && !o.Force {
				return protectedRmError(o, r)
			}
		}
		if !found {
			return fmt.Errorf("stage %s of app %s has no record %s (see `%s`)", o.Stage, o.App, o.ID, o.location().Command("state list"))
		}
	}
	if err := s.Delete(ctx, o.ID); err != nil {
		return err
	}
	if err := u.Unlock(); err != nil {
		return err
	}
	fmt.Fprintf(o.IO.Out, "removed %s%s from the state of stage %s; AWS was not touched, and athanor no longer manages that resource\n", o.ID, desc, o.Stage)
	return nil
}

// protectedRmError refuses to remove the record of a protected resource
// without --force: Protect says the resource is not to be lost, and a
// record removed leaves it unmanaged (a program that still declares it
// then creates another one, or fails on its name).
func protectedRmError(o *StateOptions, r state.Record) error {
	return fmt.Errorf("not removed: record %s (%s %s) is protected (athanor.Protect()), and without its record athanor no longer manages the resource: "+
		"a program that still declares it would create another one or fail on its name. If that is what you want: `%s`",
		r.LogicalID, r.Type, r.Identifier, o.location().Command("state rm", r.LogicalID, "--yes", "--force"))
}

// stateMv renames one record under the stage's lock.
func stateMv(ctx context.Context, o *StateOptions, s state.Store) error {
	for _, id := range []string{o.ID, o.NewID} {
		if err := state.ValidateLogicalID(id); err != nil {
			return usageErrorf("%v", err)
		}
	}
	u, err := s.Lock(ctx, state.NewLockInfo("state mv", version.Get().String()))
	if err != nil {
		return err
	}
	defer u.Unlock()
	rec, err := engine.MoveRecord(ctx, s, o.location(), o.ID, o.NewID)
	var me *engine.MoveError
	if errors.As(err, &me) {
		return fmt.Errorf("not moved, nothing changed: stage %s of app %s: %s", o.Stage, o.App, me.Msg)
	}
	if err != nil {
		return err
	}
	if err := u.Unlock(); err != nil {
		return err
	}
	fmt.Fprintf(o.IO.Out, "moved %s to %s (%s %s) in the state of stage %s; AWS was not touched, and a program that declares %s now manages that resource\n",
		o.ID, o.NewID, rec.Type, rec.Identifier, o.Stage, o.NewID)
	return nil
}

func stateUnlock(ctx context.Context, o *StateOptions) error {
	info, err := state.ForceUnlock(ctx, o.URL, o.App, o.Stage)
	if err != nil {
		return err
	}
	if info == (state.LockInfo{}) {
		fmt.Fprintf(o.IO.Out, "stage %s was not locked\n", o.Stage)
		return nil
	}
	fmt.Fprintf(o.IO.Out, "unlocked stage %s; the lock was held by %s\n", o.Stage, info)
	return nil
}

// copyOutputs makes the destination's outputs those of the source and
// reads them back, returning how many there are. A source that cannot
// keep outputs has none to copy.
func copyOutputs(ctx context.Context, src, dst state.Store) (int, error) {
	outputs, err := state.LoadOutputs(ctx, src)
	if errors.Is(err, state.ErrNoOutputs) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read the source's outputs: %w", err)
	}
	if err := state.PutOutputs(ctx, dst, outputs); err != nil && (len(outputs) > 0 || !errors.Is(err, state.ErrNoOutputs)) {
		return 0, fmt.Errorf("copy the outputs: %w", err)
	}
	want, err := state.EncodeOutputs(outputs)
	if err != nil {
		return 0, err
	}
	back, err := state.LoadOutputs(ctx, dst)
	if err != nil && !errors.Is(err, state.ErrNoOutputs) {
		return 0, fmt.Errorf("verify the outputs: %w", err)
	}
	if got, err := state.EncodeOutputs(back); err != nil || !bytes.Equal(got, want) {
		return 0, fmt.Errorf("verify the copy: the destination's outputs differ from the source's")
	}
	return len(outputs), nil
}

// stateMigrate copies the stage under both locks, then verifies the copy
// by reading it back.
func stateMigrate(ctx context.Context, o *StateOptions) error {
	src, err := state.Open(ctx, o.From, o.App, o.Stage)
	if err != nil {
		return err
	}
	defer closeStore(src)
	dst, err := state.Open(ctx, o.To, o.App, o.Stage)
	if err != nil {
		return err
	}
	defer closeStore(dst)
	info := state.NewLockInfo("state migrate", version.Get().String())
	from := state.StageRef{URL: o.From, App: o.App, Stage: o.Stage}
	to := state.StageRef{URL: o.To, App: o.App, Stage: o.Stage}
	su, err := src.Lock(ctx, info)
	if err != nil {
		return fmt.Errorf("lock the source: %w", state.Locate(err, from))
	}
	defer su.Unlock()
	du, err := dst.Lock(ctx, info)
	if err != nil {
		return fmt.Errorf("lock the destination: %w", state.Locate(err, to))
	}
	defer du.Unlock()
	recs, err := src.Load(ctx)
	if err != nil {
		return fmt.Errorf("read the source: %w", state.Locate(err, from))
	}
	existing, err := dst.Load(ctx)
	if err != nil {
		return fmt.Errorf("read the destination: %w", state.Locate(err, to))
	}
	if len(existing) > 0 && !o.Force {
		return fmt.Errorf("the destination already holds %d records of stage %s; nothing was copied. Add --force to make it a copy of the source", len(existing), o.Stage)
	}
	want := make(map[string][]byte, len(recs))
	for _, r := range recs {
		data, err := state.EncodeRecord(r)
		if err != nil {
			return err
		}
		want[r.LogicalID] = data
		if err := dst.Put(ctx, r); err != nil {
			return fmt.Errorf("copy record %s: %w", r.LogicalID, err)
		}
	}
	removed := 0
	for _, r := range existing {
		if _, ok := want[r.LogicalID]; !ok {
			if err := dst.Delete(ctx, r.LogicalID); err != nil {
				return fmt.Errorf("remove record %s from the destination: %w", r.LogicalID, err)
			}
			removed++
		}
	}
	got, err := dst.Load(ctx)
	if err != nil {
		return fmt.Errorf("verify the copy: %w", err)
	}
	if len(got) != len(recs) {
		return fmt.Errorf("verify the copy: the destination holds %d records, the source %d", len(got), len(recs))
	}
	for _, r := range got {
		data, err := state.EncodeRecord(r)
		if err != nil || !bytes.Equal(data, want[r.LogicalID]) {
			return fmt.Errorf("verify the copy: record %s differs from the source", r.LogicalID)
		}
	}
	outputs, err := copyOutputs(ctx, src, dst)
	if err != nil {
		return err
	}
	// The copy keeps the source's lineage: it is the same history.
	if m, ok := state.CurrentMeta(src); ok {
		if err := state.AdoptMeta(ctx, dst, m); err != nil {
			return fmt.Errorf("carry the lineage to the destination: %w", err)
		}
	}
	if err := errors.Join(du.Unlock(), su.Unlock()); err != nil {
		return err
	}
	fmt.Fprintf(o.IO.Out, "copied %d records and %d outputs of stage %s from %s to %s and verified them", len(recs), outputs, o.Stage, state.Redact(o.From), state.Redact(o.To))
	if removed > 0 {
		fmt.Fprintf(o.IO.Out, "; removed %d records the source does not have", removed)
	}
	fmt.Fprintln(o.IO.Out)
	return nil
}
