package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/athanor-iac/athanor/internal/engine"
	"github.com/athanor-iac/athanor/internal/version"
	"github.com/athanor-iac/athanor/state"
)

// newCmdStateMv builds `athanor state mv OLD NEW`: rename a record, for
// the renames a run does not find by itself.
func newCmdStateMv(run stateRun) *cobra.Command {
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
	return mv
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
