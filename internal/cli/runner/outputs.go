package runner

import (
	"context"
	"errors"
	"fmt"

	"github.com/athanor-iac/athanor/state"
)

// saveOutputs records the program's outputs in the stage's state. A store
// that cannot keep outputs is an error only when there are some.
func saveOutputs(ctx context.Context, store state.Store, outputs map[string]any) error {
	err := state.PutOutputs(ctx, store, outputs)
	if errors.Is(err, state.ErrNoOutputs) && len(outputs) == 0 {
		return nil
	}
	if err != nil {
		return fmt.Errorf("record the outputs: %w", err)
	}
	return nil
}
