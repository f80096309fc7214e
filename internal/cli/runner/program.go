// Package runner is the command line every Athanor program gets from
// athanor.Run: the up, plan, refresh and destroy commands, their flags,
// interrupts, confirmation, progress, plan text and --json. The root
// package keeps what programs are written with (App, resource options,
// values) and hands the program to this package as a [Program], so that
// the runner never imports it.
//
// The athanor command (package cli) and this runner share their exit
// codes, usage errors and did-you-mean through package cmdutil.
package runner

import (
	"context"

	"github.com/athanor-iac/athanor/internal/engine"
	"github.com/athanor-iac/athanor/state"
)

// Pass is one pass of a run over the program: planning, then applying.
// The root package builds its App from it.
type Pass struct {
	App   string // the app's name, as given to Run
	Stage string
	// Engine plans (Planning) or applies the program's declarations.
	Engine   *engine.Engine
	Planning bool
	// Parallelism is --parallelism: resource operations in flight at once.
	Parallelism int
	// Log prints a line of the program's in the run's output.
	Log func(format string, args ...any)
	// Stop is closed at the first interrupt: start nothing new.
	Stop <-chan struct{}
	// Scopes resolves the other accounts and regions the program
	// declares in (App.Scope); nil when the run reads nothing from AWS
	// (plan --refresh=false).
	Scopes Scopes
}

// Scopes finds where a scope of the program leads: its account and
// region, reached with its own credentials (nil: the run's own). Both
// passes of a run share one, so that each account and region is resolved
// once.
type Scopes interface {
	Resolve(ctx context.Context, spec state.Scope) (*state.Scope, error)
}

// Program runs the user's program for one pass and returns the stage
// outputs it declared, which the runner records after an apply that
// declared everything. ctx is cancelled when the run is abandoned (the
// second interrupt).
type Program func(ctx context.Context, p Pass) (outputs map[string]any, err error)
