package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/athanor-iac/athanor/state"
)

// newCmdStateUnlock builds `athanor state unlock`: break the lock a dead
// run left behind.
func newCmdStateUnlock(run stateRun) *cobra.Command {
	unlock := &cobra.Command{
		Use:   "unlock",
		Short: "Break the lock a dead run left behind, and say whose it was",
		Args:  cobra.NoArgs, RunE: run("unlock", 0),
	}
	return unlock
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
