package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/athanor-iac/athanor/internal/version"
	"github.com/athanor-iac/athanor/state"
)

// newCmdStateMigrate builds `athanor state migrate`: copy the stage to
// another backend and verify the copy.
func newCmdStateMigrate(opts *StateOptions, run stateRun) *cobra.Command {
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
	return migrate
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
	copied, removed, err := copyRecords(ctx, o, src, dst)
	if err != nil {
		return err
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
	fmt.Fprintf(o.IO.Out, "copied %d records and %d outputs of stage %s from %s to %s and verified them", copied, outputs, o.Stage, state.Redact(o.From), state.Redact(o.To))
	if removed > 0 {
		fmt.Fprintf(o.IO.Out, "; removed %d records the source does not have", removed)
	}
	fmt.Fprintln(o.IO.Out)
	return nil
}

// copyRecords makes the destination's records those of the source (with
// --force, removing those the source does not have) and verifies the copy
// by reading it back. It returns how many records it copied and removed.
func copyRecords(ctx context.Context, o *StateOptions, src, dst state.Store) (copied, removed int, err error) {
	from := state.StageRef{URL: o.From, App: o.App, Stage: o.Stage}
	to := state.StageRef{URL: o.To, App: o.App, Stage: o.Stage}
	recs, err := src.Load(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("read the source: %w", state.Locate(err, from))
	}
	existing, err := dst.Load(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("read the destination: %w", state.Locate(err, to))
	}
	if len(existing) > 0 && !o.Force {
		return 0, 0, fmt.Errorf("the destination already holds %d records of stage %s; nothing was copied. Add --force to make it a copy of the source", len(existing), o.Stage)
	}
	want := make(map[string][]byte, len(recs))
	for _, r := range recs {
		data, err := state.EncodeRecord(r)
		if err != nil {
			return 0, 0, err
		}
		want[r.LogicalID] = data
		if err := dst.Put(ctx, r); err != nil {
			return 0, 0, fmt.Errorf("copy record %s: %w", r.LogicalID, err)
		}
	}
	for _, r := range existing {
		if _, ok := want[r.LogicalID]; !ok {
			if err := dst.Delete(ctx, r.LogicalID); err != nil {
				return 0, 0, fmt.Errorf("remove record %s from the destination: %w", r.LogicalID, err)
			}
			removed++
		}
	}
	return len(recs), removed, verifyRecords(ctx, dst, want)
}

// verifyRecords reads the destination back and compares it, record by
// record, with the encoded records of the source.
func verifyRecords(ctx context.Context, dst state.Store, want map[string][]byte) error {
	got, err := dst.Load(ctx)
	if err != nil {
		return fmt.Errorf("verify the copy: %w", err)
	}
	if len(got) != len(want) {
		return fmt.Errorf("verify the copy: the destination holds %d records, the source %d", len(got), len(want))
	}
	for _, r := range got {
		data, err := state.EncodeRecord(r)
		if err != nil || !bytes.Equal(data, want[r.LogicalID]) {
			return fmt.Errorf("verify the copy: record %s differs from the source", r.LogicalID)
		}
	}
	return nil
}
