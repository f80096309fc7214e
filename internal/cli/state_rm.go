package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/athanor-iac/athanor/internal/secrets"
	"github.com/athanor-iac/athanor/internal/version"
	"github.com/athanor-iac/athanor/state"
)

// newCmdStateRm builds `athanor state rm ID`: forget a record, leaving
// the AWS resource alone.
func newCmdStateRm(opts *StateOptions, run stateRun) *cobra.Command {
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
	return rm
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
