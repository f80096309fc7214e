package athanor

import (
	"context"
	"io"

	"github.com/athanor-iac/athanor/internal/cli/cmdutil"
	"github.com/athanor-iac/athanor/internal/cli/runner"
)

// Exit codes a program returns, for scripts: the athanor command's.
const (
	ExitOK      = cmdutil.ExitOK
	ExitError   = cmdutil.ExitError
	ExitUsage   = cmdutil.ExitUsage
	ExitChanges = cmdutil.ExitChanges // plan --detailed-exitcode: changes are pending
)

// Run makes fn's program a command line and runs it with os.Args, exiting
// with the run's exit code: `up` (the default), `plan`, `refresh` and
// `destroy`, with --help.
//
// The first interrupt (Ctrl-C or SIGTERM) stops submitting new work, waits
// for the requests in flight and saves state. A second one cancels those
// requests with CancelResourceRequest and saves state. Either way the next
// run picks up where this one stopped. A third one exits at once, for a
// program that does not return (its functions wait on channels of their
// own, say): the intents of requests in flight are already in state, so
// the next run still finds them.
func Run(appName string, fn func(*App) error) {
	runner.Run(appName, program(fn))
}

// Main runs fn's program with args (without the program name) and returns
// the exit code. It is Run without the process around it, for tests and
// for programs that do more after the run. It has no terminal to ask on,
// so an up or destroy that would change anything needs --yes (or
// --local), as in a script; cancelling ctx abandons the requests in flight
// (their intents stay in state for the next run).
func Main(ctx context.Context, appName string, args []string, stdout, stderr io.Writer, fn func(*App) error) int {
	return runner.Main(ctx, appName, args, stdout, stderr, program(fn))
}

// program hands fn to the runner: each pass runs it on a new App, waits
// for the functions it started with Go, and returns the outputs it
// declared.
func program(fn func(*App) error) runner.Program {
	return func(ctx context.Context, p runner.Pass) (map[string]any, error) {
		app := &App{name: p.App, stage: p.Stage, ctx: ctx, eng: p.Engine, planning: p.Planning,
			slots: newGoSlots(max(p.Parallelism, minGoSlots) + 1), logf: p.Log, stop: p.Stop, scopes: p.Scopes}
		app.waits.begin()
		app.slots.hold() // main's own, for Await to lend
		err := app.call(func() error { return fn(app) })
		app.slots.release()
		app.waits.end()
		if werr := app.wait(); err == nil {
			err = werr
		}
		return app.recordedOutputs(), err
	}
}
