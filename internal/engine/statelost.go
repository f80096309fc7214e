package engine

import (
	"errors"

	"github.com/athanor-iac/athanor/state"
)

// haltIfStateGone stops the run from starting any operation once a write of
// state failed because the run may no longer write at all: its lock on the
// stage was lost (another run may hold it now) or the stage's state was
// replaced. An operation started after that could not record its intent,
// and so could leave a resource nobody tracks. Operations in flight go on;
// their own writes fail the same way, and the next run resumes them from
// the intents already written.
func (e *Engine) haltIfStateGone(err error) {
	var lost *state.LockLostError
	var lineage *state.LineageError
	if errors.As(err, &lost) || errors.As(err, &lineage) {
		e.stateGone.Store(true)
	}
}
