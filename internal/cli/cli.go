// Package cli implements the athanor command line. It lives apart from
// cmd/athanor so that every command can be run in tests by calling
// [Execute] with arguments, a context and in-memory streams, without
// building a binary or sending signals.
//
// Commands follow cli/cli's pattern: a constructor NewCmdX(f, runF) parses
// flags into an XOptions struct and calls runF with it (runX when runF is
// nil), so a test can capture the parsed options without running anything.
// Dependencies come from a [Factory]. Errors are mapped to exit codes in one
// place, [Execute]. To add a command (state, import, plan), write a file with
// its constructor and append it to [DefaultCommands].
package cli

import (
	"context"
	"errors"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/athanor-iac/athanor/internal/cli/cmdutil"
	"github.com/athanor-iac/athanor/internal/jsonout"
	"github.com/athanor-iac/athanor/internal/version"
	"github.com/athanor-iac/athanor/schema"
)

// IOStreams are the streams a command reads and writes. Commands never touch
// os.Stdin/Stdout/Stderr directly, so tests can pass buffers or pipes.
type IOStreams struct {
	In  io.Reader
	Out io.Writer
	Err io.Writer

	// NoColor is set when the NO_COLOR environment variable is non-empty
	// (https://no-color.org). The CLI prints no colour today; commands that
	// add colour later must check this first.
	NoColor bool
}

// Factory holds what commands depend on. Fields that are costly to build
// are functions, called only by the commands that need them, so that
// `athanor --help` does not open the schema archive.
type Factory struct {
	IOStreams *IOStreams

	// Schemas returns the resource schema registry.
	Schemas func() *schema.Registry
}

// CommandFunc builds one top-level command from the factory.
type CommandFunc func(f *Factory) *cobra.Command

// DefaultCommands are the commands of the athanor binary, in help order.
var DefaultCommands = []CommandFunc{
	func(f *Factory) *cobra.Command { return NewCmdLocal(f, nil) },
	func(f *Factory) *cobra.Command { return NewCmdSchema(f, nil) },
	func(f *Factory) *cobra.Command { return NewCmdValidate(f, nil) },
	func(f *Factory) *cobra.Command { return NewCmdImport(f, nil) },
	func(f *Factory) *cobra.Command { return NewCmdState(f, nil) },
	func(f *Factory) *cobra.Command { return NewCmdNew(f, nil) },
	func(f *Factory) *cobra.Command { return NewCmdVersion(f) },
}

// NewFactory returns a factory over the given streams and the embedded
// schemas.
func NewFactory(streams *IOStreams) *Factory {
	return &Factory{IOStreams: streams, Schemas: schema.Default}
}

// NewRootCmd builds the athanor root command with the given subcommands.
// Usage errors (unknown command or flag, bad flag value, wrong arguments)
// come back as *[UsageError], so that [Execute] can exit 2 for them.
func NewRootCmd(f *Factory, cmds ...CommandFunc) *cobra.Command {
	root := &cobra.Command{
		Use:   "athanor",
		Short: "Infrastructure as code on AWS Cloud Control",
		Long: `Athanor programs are Go programs that declare AWS resources (athanor.Run);
running one applies them through the Cloud Control API. This command is the
toolbox around them: starting a program (athanor new), a local Cloud Control
endpoint for development and tests (athanor local), questions about resource
types (athanor schema, athanor validate), taking over existing resources
(athanor import) and inspecting and repairing state (athanor state).

Exit status: 0 on success, 1 on an error, 2 on a usage error.
Output has no colour; NO_COLOR is respected by design.`,
		Version:       version.Get().Report("athanor"),
		SilenceErrors: true, // Execute prints errors, prefixed "athanor: "
		SilenceUsage:  true, // a usage dump hides the error; Execute prints a hint instead
		// The root takes arguments only to report an unknown command as a
		// usage error; cobra's own check returns a plain error.
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return cmdutil.UnknownCommand(cmd, args[0])
			}
			return cmd.Help()
		},
	}
	root.SuggestionsMinimumDistance = 2
	root.SetVersionTemplate("{{.Version}}")
	root.SetIn(f.IOStreams.In)
	root.SetOut(f.IOStreams.Out)
	root.SetErr(f.IOStreams.Err)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &UsageError{Err: err} })
	for _, c := range cmds {
		root.AddCommand(c(f))
	}
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	wrapArgs(root)
	return root
}

// wrapArgs makes every positional-argument check in the tree return a
// *UsageError, including those of cobra's own help and completion commands.
func wrapArgs(c *cobra.Command) {
	if check := c.Args; check != nil {
		c.Args = func(cmd *cobra.Command, args []string) error {
			if err := check(cmd, args); err != nil {
				return asUsage(err)
			}
			return nil
		}
	}
	for _, sub := range c.Commands() {
		wrapArgs(sub)
	}
}

// Execute runs athanor with args (without the program name) and returns the
// process exit status. ctx ends long-running commands such as `athanor
// local`: cancelling it is how tests stop them, and how [Main] turns
// SIGINT/SIGTERM into a clean shutdown.
func Execute(ctx context.Context, args []string, in io.Reader, out, errOut io.Writer) int {
	streams := &IOStreams{In: in, Out: out, Err: errOut, NoColor: os.Getenv("NO_COLOR") != ""}
	return ExecuteWith(ctx, NewFactory(streams), args, DefaultCommands...)
}

// ExecuteWith is [Execute] with an explicit factory and command list, for
// tests and for binaries that add their own commands.
func ExecuteWith(ctx context.Context, f *Factory, args []string, cmds ...CommandFunc) int {
	root := NewRootCmd(f, cmds...)
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return ExitOK
	}
	code := reportError(f.IOStreams.Err, cmd, err)
	var se *SilentError
	if !errors.As(err, &se) && wantsJSON(cmd, args) {
		jsonout.Write(f.IOStreams.Out, jsonout.NewError(err, code))
	}
	return code
}

// Main runs the athanor binary: os.Args and the standard streams, with
// SIGINT and SIGTERM cancelling the context. It does not return.
func Main() {
	// os.Interrupt and syscall.SIGTERM both exist on every platform Go
	// supports, so this builds for Windows too.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// After the first signal, restore the default handling, so that a
		// second Ctrl-C kills a shutdown that hangs.
		<-ctx.Done()
		stop()
	}()
	code := Execute(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
